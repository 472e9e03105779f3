// Loads the LangGraph comparison lazily: where LangGraph or better-sqlite3's addon is missing, the figures say how to get it.
import type { LangGraphChain } from './langgraph-chain.ts';

/**
 * The LangGraph comparison, or null with a note saying why and how to get it: the SqliteSaver needs better-sqlite3's
 * native addon, which its install script builds; a comparison must never be skipped silently.
 */
export async function loadLangGraph(host: string, dbPath: string, question: string, notes: string[]): Promise<LangGraphChain | null> {
  try {
    const { langGraphChain } = await import('./langgraph-chain.ts');
    return langGraphChain(host, dbPath, question);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const note =
      `LangGraph comparison not run: ${reason}. better-sqlite3's native addon is built by its install script: ` +
      'keep "better-sqlite3": true under "allowScripts" in package.json and run `npm rebuild better-sqlite3 --ignore-scripts=false` ' +
      '(a C++ toolchain and Python are needed where no prebuilt binary matches this Node).';
    process.stderr.write(`  ${note}\n`);
    notes.push(note);
    return null;
  }
}
