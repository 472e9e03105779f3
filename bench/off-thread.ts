// offThreadColdMs, offThreadWarmMs, offThreadGrepRatio*: what matching a model-given regular expression in a worker
// thread (grepOffThread, as repo-qa's search does) costs against matching on the calling thread (grepLines): a call
// that starts its thread, a call that finds one warm, and how the cost grows with the text searched.
import { grepLines, grepOffThread, type GrepRequest } from '../src/util/grep.ts';
import { progress, type BenchOptions } from './env.ts';
import { figure, type BenchResult, type Figure } from './report.ts';
import { interleave, median } from './stats.ts';

/** `files` texts of 40-character lines adding up to about `bytes`, one line in 50 matching. */
function request(bytes: number, files = 50): GrepRequest {
  const lines = Math.max(1, Math.round(bytes / files / 41));
  const text = Array.from({ length: lines }, (_, i) => (i % 50 === 0 ? `export const port${i} = ${i}; // listen here` : `const value${i} = compute(${i}, other${i});`)).join('\n');
  return { pattern: 'port\\d+\\s*=', files: Array.from({ length: files }, (_, i) => ({ name: `src/file${i}.ts`, text })), maxMatches: 1_000_000 };
}

async function sized(bytes: number, rounds: number): Promise<{ ratio: number; inline: number; offThread: number }> {
  const req = request(bytes);
  const s = await interleave(rounds, {
    inline: async () => grepLines(req),
    offThread: () => grepOffThread(req),
  });
  const inline = median(s.inline);
  const offThread = median(s.offThread);
  return { ratio: offThread / inline, inline, offThread };
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const rounds = quick ? 4 : 10;
  const sizes = quick ? [64 * 1024, 4 * 1024 * 1024] : [64 * 1024, 1024 * 1024, 16 * 1024 * 1024];
  progress('off-thread', `3 repetitions of ${rounds} interleaved rounds: a tiny text (cold, warm), then ${sizes.map((b) => `${b / 1024} KiB`).join(', ')}`);
  await grepOffThread(request(1024), { keepWarm: false }); // warms tsx's transform cache, leaves no thread
  const tiny = request(1024, 1);

  const fixed = async (fns: { inline: () => Promise<unknown>; offThread: () => Promise<unknown> }, measure: string): Promise<Figure> => {
    const values: number[] = [];
    const baselines: number[] = [];
    const candidates: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const s = await interleave(rounds, fns);
      values.push(median(s.offThread) - median(s.inline));
      baselines.push(median(s.inline));
      candidates.push(median(s.offThread));
    }
    return figure(values, { unit: 'ms', goal: null, measure, baselines, candidates });
  };
  const figures: Record<string, Figure> = {
    offThreadColdMs: await fixed(
      { inline: async () => grepLines(tiny), offThread: () => grepOffThread(tiny, { keepWarm: false }) },
      'grepOffThread − grepLines on 1 KiB, starting its thread (which loads the module, through tsx here)',
    ),
    offThreadWarmMs: await fixed({ inline: async () => grepLines(tiny), offThread: () => grepOffThread(tiny) }, 'grepOffThread − grepLines on 1 KiB, its thread warm'),
  };
  const notes: string[] = [];
  for (const bytes of sizes) {
    const reps = [];
    for (let rep = 0; rep < 3; rep++) reps.push(await sized(bytes, rounds));
    const name = `offThreadGrepRatio${bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024}MiB` : `${bytes / 1024}KiB`}`;
    figures[name] = figure(
      reps.map((r) => r.ratio),
      { unit: '×', goal: null, measure: `grepOffThread ÷ grepLines, ${bytes / 1024} KiB in 50 texts`, baselines: reps.map((r) => r.inline), candidates: reps.map((r) => r.offThread) },
    );
    notes.push(`${name}: medians inline ${reps.map((r) => r.inline.toFixed(2)).join('/')} ms, off-thread ${reps.map((r) => r.offThread.toFixed(2)).join('/')} ms.`);
  }
  notes.push('A thread that answered is kept warm 10 s for the next call; under tsx (a checkout) a new thread also loads tsx, which a built package does not.');
  return { figures, notes };
}
