// Raw HTTP for the inspector tests: requests with exactly the headers a test sets, and the first SSE change about a run.
import { request } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => unknown;
}

/** A raw HTTP request, so tests control Host, Origin and Sec-Fetch-Site exactly as a browser or an attacker would. */
export function call(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) as unknown });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens /api/events and resolves with the first `change` about `runId`. */
export function nextChange(base: string, runId: string): { ready: Promise<void>; changed: Promise<unknown> } {
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  const changed = new Promise<unknown>((resolve, reject) => {
    const req = request(new URL('/api/events', base), (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        if (buffer.includes('event: hello')) ready();
        for (const block of buffer.split('\n\n')) {
          const data = /^event: change\ndata: (.*)$/m.exec(block)?.[1];
          if (data && (JSON.parse(data) as { runId: string }).runId === runId) {
            req.destroy();
            resolve(JSON.parse(data));
            return;
          }
        }
      });
    });
    req.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
    req.end();
  });
  return { ready: readyP, changed };
}
