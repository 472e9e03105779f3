import { describe, expect, it } from 'vitest';
import { declaredOptions, optionSpellings } from '../../src/cli/declared-options.ts';
import { commands } from '../../src/cli/registry.ts';
import { repoRoot } from './harness.ts';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('each command\'s --help', () => {
  it('names every option the command parses (read from its parseFlags call, so help cannot drift)', async () => {
    const missing: string[] = [];
    for (const [name, load] of Object.entries(commands)) {
      const command = await load();
      const options = await declaredOptions(command, repoRoot);
      expect(options, `${name} parses its flags with parseFlags`).toBeDefined();
      const spellings = optionSpellings(options ?? {});
      expect(spellings.length, name).toBeGreaterThan(0);
      for (const spelling of spellings) {
        // As a whole word: --inspect must not count as written because --inspect-port is.
        if (!new RegExp(`(^|[\\s[(,|])${escape(spelling)}(?![\\w-])`, 'm').test(command.help)) missing.push(`${name} ${spelling}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
