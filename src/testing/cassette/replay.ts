// Sends one recorded reply: status, kept headers, body or stream lines in order, optionally at their recorded times.
import type { ServerResponse } from 'node:http';
import type { CassetteReply } from './types.ts';

/** Waits until `ms` after `start` (performance.now()); false when `signal` fires first. */
function until(start: number, ms: number, signal: AbortSignal): Promise<boolean> {
  const wait = start + ms - performance.now();
  if (signal.aborted) return Promise.resolve(false);
  if (wait <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, wait);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Replays `reply` on `res`. `scale` multiplies the recorded times (0: as fast as possible). `signal` fires when the
 * client leaves or the simulator closes.
 */
export async function playReply(res: ServerResponse, reply: CassetteReply, scale: number, signal: AbortSignal): Promise<void> {
  const start = performance.now();
  const at = (ms: number) => until(start, ms * scale, signal);
  if (!(await at(reply.headersAt)) || res.destroyed) return;
  if (reply.lines !== undefined) {
    res.writeHead(reply.status, reply.headers);
    res.flushHeaders();
    const last = reply.lines.length - 1;
    for (const [i, { at: ms, line }] of reply.lines.entries()) {
      if (!(await at(ms)) || res.destroyed) return;
      res.write(i === last && reply.unterminated ? line : `${line}\n`);
    }
  } else {
    const body = reply.base64 !== undefined ? Buffer.from(reply.base64, 'base64') : Buffer.from(reply.body ?? '', 'utf8');
    if (reply.cut !== undefined) {
      res.writeHead(reply.status, reply.headers);
      res.write(body);
    } else {
      if (!(await at(reply.endAt)) || res.destroyed) return;
      res.writeHead(reply.status, { ...reply.headers, 'content-length': body.length });
      res.end(body);
      return;
    }
  }
  if (!(await at(reply.endAt)) || res.destroyed) return;
  if (reply.cut !== undefined) res.destroy();
  else res.end();
}
