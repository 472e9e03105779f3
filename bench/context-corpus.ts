// A varied, seeded corpus of chat requests for measuring the token estimate: prose, code, JSON, tool schemas, many
// short messages, agent transcripts, tables of numbers, markdown and non-English text, from ~50 to ~8,000 tokens.
import { z } from 'zod';
import type { ChatMessage, ToolSpec } from '../src/llm/types.ts';
import { createRandom } from '../src/util/random.ts';

export interface CorpusRequest {
  kind: string;
  messages: ChatMessage[];
  tools?: ToolSpec[];
}

const ENGLISH = (
  'the a of and to in is that for it as was with be by on not he this are or at from his but have an they which one ' +
  'you all were her she there would their we him been has when who will more no if out so said what up its about ' +
  'into than them can only other new some could time these two may then do first any my now such like our over ' +
  'window context model prompt truncation silently harness workflow checkpoint journal resumable compaction summary ' +
  'transcript deterministic estimate calibration tokenizer vocabulary conversation assistant developer infrastructure ' +
  'configuration repository documentation performance measurement benchmark throughput latency reliability ' +
  'escalation validation structured schema reasoning requirement implementation architecture ' +
  'river mountain evening garden kitchen library morning shadow quietly remember wonder travel station ' +
  'government economic political international environmental agricultural pharmaceutical photograph ' +
  'extraordinary misunderstanding responsibilities characteristics unfortunately approximately ' +
  'small large quick slow bright dark early late simple complex open closed strong weak'
).split(' ');

const GERMAN = 'die der und Überprüfung Eingabedaten ergab dass mehrere Einträge unvollständig waren nachträglich ergänzt werden müssen Zusammenfassung Arbeitsspeicher größer schön Straße Fußgänger über'.split(' ');
const FRENCH = 'le la les des et est une résumé fenêtre modèle réponse déjà très être où ça élève précédent conversation mémoire tâche'.split(' ');
const RUSSIAN = 'модель должна сохранять контекст задачи даже после сжатия истории разговора окно токенов ответ система пользователь'.split(' ');
const CHINESE = '模型 在 上下文 窗口 用尽 时 会 静默 截断 最早 的 消息 因此 需要 发送 前 估算 提示 长度 工具 调用 结果 摘要'.split(' ');
const JAPANESE = 'モデル は コンテキスト ウィンドウ を 超える と 古い メッセージ を 黙って 切り捨てる ため 要約 が 必要 です'.split(' ');

type Random = () => number;
const pick = <T>(items: readonly T[], random: Random): T => items[Math.floor(random() * items.length)] as T;
const int = (n: number, random: Random): number => Math.floor(random() * n);

function sentence(words: readonly string[], random: Random, joiner = ' '): string {
  const n = 6 + int(14, random);
  const parts = Array.from({ length: n }, () => pick(words, random));
  const first = parts[0] ?? '';
  parts[0] = first.charAt(0).toUpperCase() + first.slice(1);
  const mark = pick(['.', '.', '.', '?', '!', ';'], random);
  return parts.join(joiner) + (joiner === '' ? '。' : mark);
}

function prose(random: Random, paragraphs: number): string {
  return Array.from({ length: paragraphs }, () => Array.from({ length: 3 + int(5, random) }, () => sentence(ENGLISH, random)).join(' ')).join('\n\n');
}

const IDENTS = ['userId', 'fetchRows', 'parseConfig', 'maxTokens', 'contextWindow', 'retryCount', 'items', 'result', 'value', 'index', 'runStore', 'HTTP_TIMEOUT', 'isValid', 'toJSON', 'planSteps'];

function code(random: Random, functions: number): string {
  const lines: string[] = [];
  for (let f = 0; f < functions; f++) {
    const name = pick(IDENTS, random);
    if (random() < 0.5) {
      lines.push(`export async function ${name}(${pick(IDENTS, random)}: string, ${pick(IDENTS, random)}: number): Promise<${pick(['void', 'string[]', 'Record<string, unknown>'], random)}> {`);
      for (let l = 0; l < 3 + int(8, random); l++) {
        const indent = '  '.repeat(1 + int(3, random));
        lines.push(pick([
          `${indent}const ${pick(IDENTS, random)} = await ${pick(IDENTS, random)}(${pick(IDENTS, random)}, ${int(1000, random)});`,
          `${indent}if (${pick(IDENTS, random)} === null || ${pick(IDENTS, random)}.length > ${int(64, random)}) return;`,
          `${indent}for (const item of ${pick(IDENTS, random)}) ${pick(IDENTS, random)}.push(item.${pick(IDENTS, random)});`,
          `${indent}// ${sentence(ENGLISH, random)}`,
          `${indent}throw new Error(\`${pick(IDENTS, random)} failed: \${${pick(IDENTS, random)}}\`);`,
        ], random));
      }
      lines.push('}', '');
    } else {
      lines.push(`def ${name.toLowerCase()}(self, ${pick(IDENTS, random).toLowerCase()}=None):`);
      for (let l = 0; l < 3 + int(6, random); l++) {
        lines.push(pick([
          `    ${pick(IDENTS, random).toLowerCase()} = self.${pick(IDENTS, random).toLowerCase()}.get("${pick(ENGLISH, random)}", ${int(100, random)})`,
          `    if not ${pick(IDENTS, random).toLowerCase()}:`,
          `        return [x for x in range(${int(50, random)}) if x % ${1 + int(7, random)} == 0]`,
          `    # ${sentence(ENGLISH, random)}`,
        ], random));
      }
      lines.push('');
    }
  }
  return lines.join('\n');
}

function jsonValue(random: Random, depth: number): unknown {
  const r = random();
  if (depth <= 0 || r < 0.45) {
    const leaf = random();
    if (leaf < 0.35) return Array.from({ length: 1 + int(5, random) }, () => pick(ENGLISH, random)).join(' ');
    if (leaf < 0.65) return random() < 0.5 ? int(100_000, random) : Math.round(random() * 10_000) / 100;
    if (leaf < 0.8) return random() < 0.5;
    if (leaf < 0.9) return null;
    return `${pick(ENGLISH, random)}-${int(9999, random)}@example.com`;
  }
  if (r < 0.7) return Array.from({ length: 1 + int(5, random) }, () => jsonValue(random, depth - 1));
  return Object.fromEntries(Array.from({ length: 2 + int(6, random) }, () => [pick(IDENTS, random), jsonValue(random, depth - 1)]));
}

function table(random: Random, rows: number): string {
  const header = 'date,region,units,revenue,margin,sku';
  const lines = Array.from({ length: rows }, () =>
    `2026-${String(1 + int(12, random)).padStart(2, '0')}-${String(1 + int(28, random)).padStart(2, '0')},${pick(['north', 'south', 'east', 'west'], random)},${int(5000, random)},${(random() * 100_000).toFixed(2)},${(random()).toFixed(3)},SKU-${int(99999, random)}`);
  return [header, ...lines].join('\n');
}

function markdown(random: Random, sections: number): string {
  const parts: string[] = [];
  for (let s = 0; s < sections; s++) {
    parts.push(`## ${sentence(ENGLISH, random).slice(0, 40)}`, '', sentence(ENGLISH, random), '');
    for (let i = 0; i < 2 + int(4, random); i++) parts.push(`- **${pick(ENGLISH, random)}**: ${sentence(ENGLISH, random)} ([link](https://example.com/${pick(ENGLISH, random)}/${int(500, random)}))`);
    parts.push('', '```sh', `npx harness run machines/${pick(IDENTS, random)}.ts --input '{"n": ${int(100, random)}}'`, '```', '');
  }
  return parts.join('\n');
}

function foreign(random: Random, sentences: number): string {
  const language = pick(['de', 'fr', 'ru', 'zh', 'ja'], random);
  const words = { de: GERMAN, fr: FRENCH, ru: RUSSIAN, zh: CHINESE, ja: JAPANESE }[language] ?? GERMAN;
  const joiner = language === 'zh' || language === 'ja' ? '' : ' ';
  return Array.from({ length: sentences }, () => sentence(words, random, joiner)).join(joiner === '' ? '' : ' ');
}

const TOOLS: ToolSpec[] = [
  { name: 'read_file', description: 'Reads a file of the repository, with numbered lines.', input: z.object({ path: z.string(), from: z.number().int().optional(), to: z.number().int().optional() }) },
  { name: 'search', description: 'Searches the repository for a regular expression and lists matching lines.', input: z.object({ pattern: z.string(), glob: z.string().optional(), maxResults: z.number().int().min(1).max(200).default(50) }) },
  { name: 'list_files', description: 'Lists the files under a directory.', input: z.object({ dir: z.string(), recursive: z.boolean().default(false) }) },
  { name: 'write_note', description: 'Keeps a progress note that survives compaction.', input: z.object({ note: z.string().max(2000), done: z.boolean() }) },
  { name: 'lookup_customer', description: 'Finds a customer by email and returns plan, seats and status.', input: z.object({ email: z.email(), include: z.array(z.enum(['plan', 'seats', 'invoices', 'status'])).optional() }) },
  { name: 'create_ticket', description: 'Opens a support ticket with a priority and labels.', input: z.object({ title: z.string().min(5), body: z.string(), priority: z.enum(['low', 'normal', 'high', 'urgent']), labels: z.array(z.string()).max(8) }) },
];

function transcript(random: Random, turns: number): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: 'You answer questions about a repository with the tools you are given.' }, { role: 'user', content: sentence(ENGLISH, random) }];
  for (let t = 0; t < turns; t++) {
    const tool = pick(['read_file', 'search'], random);
    messages.push({ role: 'assistant', content: '', tool_calls: [{ function: { name: tool, arguments: tool === 'read_file' ? { path: `src/${pick(IDENTS, random)}.ts` } : { pattern: pick(IDENTS, random) } } }] });
    const body = random() < 0.5 ? code(random, 2).split('\n').map((line, i) => `${i + 1}: ${line}`).join('\n') : JSON.stringify(jsonValue(random, 3));
    messages.push({ role: 'tool', content: body.slice(0, 2048), tool_name: tool });
  }
  return messages;
}

const user = (content: string): ChatMessage => ({ role: 'user', content });

/** `count` requests, several of each kind, of sizes spread over two orders of magnitude. */
export function corpus(seed: number, count: number): CorpusRequest[] {
  const random = createRandom(seed);
  const scale = () => 1 + int(12, random);
  const kinds: [string, () => CorpusRequest][] = [
    ['prose', () => ({ kind: 'prose', messages: [{ role: 'system', content: 'You are a careful editor.' }, user(prose(random, scale()))] })],
    ['code', () => ({ kind: 'code', messages: [user(`Review this code:\n\n${code(random, scale())}`)] })],
    ['json', () => ({ kind: 'json', messages: [user(`Extract the totals from:\n${JSON.stringify(jsonValue(random, 2 + int(3, random)), null, random() < 0.5 ? 2 : 0)}`)] })],
    ['tools', () => ({ kind: 'tools', messages: [user(sentence(ENGLISH, random))], tools: TOOLS.slice(0, 1 + int(TOOLS.length, random)) })],
    ['short-messages', () => ({ kind: 'short-messages', messages: Array.from({ length: 10 + int(60, random) }, (_, i) => ({ role: i % 2 === 0 ? 'user' as const : 'assistant' as const, content: Array.from({ length: 2 + int(9, random) }, () => pick(ENGLISH, random)).join(' ') })) })],
    ['transcript', () => ({ kind: 'transcript', messages: transcript(random, 1 + int(8, random)), tools: TOOLS.slice(0, 3) })],
    ['numbers', () => ({ kind: 'numbers', messages: [user(`Sum the revenue per region:\n${table(random, 5 * scale())}`)] })],
    ['markdown', () => ({ kind: 'markdown', messages: [user(markdown(random, scale()))] })],
    ['non-english', () => ({ kind: 'non-english', messages: [{ role: 'system', content: 'Answer in the language of the question.' }, user(foreign(random, 3 * scale()))] })],
  ];
  return Array.from({ length: count }, (_, i) => (kinds[i % kinds.length] as [string, () => CorpusRequest])[1]());
}
