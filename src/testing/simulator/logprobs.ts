// Log probabilities for generated tokens, in api.Logprob's shape (server/logprob.go): produced only when a
// request asks with `logprobs: true`, with `top_logprobs` alternatives per token when it asks for them.
import { createRandom, hashString } from '../../util/random.ts';
import { words } from './strings.ts';

interface TokenLogprob {
  token: string;
  logprob: number;
  /** stringToByteInts: the token's UTF-8 bytes; omitted (omitempty) for an empty token. */
  bytes?: number[];
}

export interface Logprob extends TokenLogprob {
  top_logprobs?: TokenLogprob[];
}

function withBytes(token: string, logprob: number): TokenLogprob {
  return { token, logprob, ...(token === '' ? {} : { bytes: [...Buffer.from(token, 'utf8')] }) };
}

/**
 * The log probability of the `index`-th generated token, deterministic in (seed, position, token). The sampled
 * token leads its alternatives, each less likely than the one before, as llama-server lists them.
 */
export function tokenLogprob(seed: number, index: number, token: string, top: number): Logprob {
  const random = createRandom(hashString(`logprob|${seed}|${index}|${token}`));
  const logprob = -random() * 2;
  const entry: Logprob = withBytes(token, logprob);
  if (top <= 0) return entry;
  const alternatives = words(top - 1, random).map((word, i) => withBytes(` ${word}`, logprob - (i + 1) * (0.5 + random())));
  return { ...entry, top_logprobs: [withBytes(token, logprob), ...alternatives] };
}
