// inspectorScrub<N>: what scrubbing every inspector answer for credentials costs — JSON.stringify of a run's calls
// followed by scrubText (what sendJson does now), over JSON.stringify alone (what it did), for 100 to 3,000 calls.
import { scrubText } from '../src/util/secrets.ts';
import { progress, type BenchOptions } from './env.ts';
import { figure, type BenchResult, type Figure } from './report.ts';
import { interleave, median } from './stats.ts';

/** A run's calls as the inspector sends them: messages, a reply, the host that served it, a flag quoting a URL. */
function callsOf(count: number): unknown {
  const words = 'the quick model answers every question about state machines with care and a little json'.split(' ');
  const text = (n: number, seed: number) => Array.from({ length: n }, (_, i) => words[(i * 7 + seed) % words.length]).join(' ');
  return {
    calls: Array.from({ length: count }, (_, i) => ({
      key: `root.step-${i}:pass-${i}:0:1`,
      step: `step-${i}`,
      messages: [
        { role: 'system', content: text(40, i) },
        { role: 'user', content: `${text(60, i + 1)} see http://docs.example/page?id=${i}` },
      ],
      result: { content: JSON.stringify({ answer: text(30, i + 2), confidence: 0.9 }), model: 'qwen2.5-coder:7b', tokensIn: 120, tokensOut: 40, metadata: { host: 'http://gpu1:11434' } },
      flags: i % 10 === 0 ? [`step-${i}: cannot reach http://admin:s3cr/et@gpu2:11434 (connection refused)`] : [],
    })),
  };
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const sizes = quick ? [100, 1_000] : [100, 1_000, 3_000];
  const rounds = quick ? 5 : 15;
  const figures: Record<string, Figure> = {};
  const notes: string[] = [];
  for (const size of sizes) {
    const body = callsOf(size);
    const bytes = JSON.stringify(body).length;
    const fns = {
      stringify: async () => JSON.stringify(body),
      scrubbed: async () => scrubText(JSON.stringify(body)),
    };
    progress('secrets-scrub', `${size} calls (${(bytes / 1024).toFixed(0)} KiB of JSON): warm-up, then 3 repetitions of ${rounds} interleaved rounds`);
    await interleave(3, fns);
    const baselines: number[] = [];
    const candidates: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const samples = await interleave(rounds, fns);
      baselines.push(median(samples.stringify));
      candidates.push(median(samples.scrubbed));
    }
    figures[`inspectorScrub${size}`] = figure(
      candidates.map((c, i) => c / (baselines[i] ?? c)),
      {
        unit: 'ratio',
        goal: null,
        measure: `an inspector answer of ${size} calls: JSON.stringify + scrubText over JSON.stringify alone`,
        baselines,
        candidates,
      },
    );
    notes.push(`inspectorScrub${size}: ${(bytes / 1024).toFixed(0)} KiB of JSON, ${size * 2 + size / 10} URLs in it (one in ten with credentials).`);
  }
  notes.push('The ratio should stay flat as the answer grows: the scrubber is one pass over the text plus work per URL.');
  return { figures, notes };
}
