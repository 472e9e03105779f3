// Every bad setting is a usage error: exit 2, one line naming the flag or variable and the whole value, nothing written.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localPostgresUrl, postgresMissing } from '../helpers/postgres.ts';
import { fixture, inProcess, start, tempDir, type Env, type Result } from './harness.ts';

const env: Env = { ollamaHost: 'http://127.0.0.1:1', snapshots: join(tempDir(), 'runs') };
const workflow = fixture('quick.workflow.ts');

/** Exit 2, nothing on stdout, and exactly one line on stderr (a usage error's help hint aside) matching `line`. */
function badSetting(result: Result, line: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n').filter((text) => !/^\(see 'harness \w+ --help'\)$/.test(text));
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(line);
}

/**
 * Spawns a command that must end by itself; one that is still running after a generous while is killed and reported
 * as such (the bug these tests catch is a command that never exits), never waited on forever.
 */
async function ends(args: string[], extra: Record<string, string> = {}): Promise<Result> {
  const { child, done } = start(args, env, extra);
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const result = await done;
  clearTimeout(guard);
  expect(result.signal, `harness ${args.join(' ')} did not end by itself: ${result.stderr.slice(0, 500)}`).toBeNull();
  return result;
}

afterAll(() => {
  expect(existsSync(env.snapshots) ? readdirSync(env.snapshots) : []).toEqual([]); // no run was created by any of them
});

const pgMissing = await postgresMissing();

describe('a run store out of reach when a worker starts', { timeout: 120_000 }, () => {
  it('is exit 2 naming --store or HARNESS_STORE and the URL, for a closed port, a bare postgres:// and a missing database', async () => {
    const closed = await ends(['worker', '--store', 'postgres://app:s3cr%2Fet@127.0.0.1:1/runs']);
    badSetting(closed, /^harness: --store: the PostgreSQL run store at postgres:\/\/\*\*\*@127\.0\.0\.1:1\/runs is unavailable: .*ECONNREFUSED/);
    expect(closed.stderr).not.toContain('s3cr');
    const unencoded = await ends(['worker', '--store', 'postgres://app:s3cr/et@127.0.0.1:1/runs']);
    badSetting(unencoded, /^harness: --store "postgres:\/\/\*\*\*@127\.0\.0\.1:1\/runs" is not a postgres:\/\/ URL \(it cannot be parsed; in a password, \/ \? # @ must be percent-encoded\)$/);
    const bare = await ends(['worker'], { HARNESS_STORE: 'postgres://' });
    badSetting(bare, /^harness: HARNESS_STORE: the PostgreSQL run store at postgres:\/\/ is unavailable: /);
  });

  it.skipIf(pgMissing !== null)('is exit 2 for a database that does not exist on a server that answers', async () => {
    const url = new URL(localPostgresUrl);
    url.pathname = '/no_such_database_for_harness';
    const missing = await ends(['worker', '--store', url.href]);
    badSetting(missing, /^harness: --store: the PostgreSQL run store at .*no_such_database_for_harness is unavailable: database "no_such_database_for_harness" does not exist$/);
  });
});

describe('OLLAMA_HOSTS', { timeout: 120_000 }, () => {
  const expected = 'expected [http[s]://]host[:port][*slots] entries separated by commas';

  it('that lists no host is exit 2 naming the variable, for every command that reads it', async () => {
    for (const argv of [['hosts'], ['config'], ['submit', workflow], ['run', workflow]]) {
      badSetting(await inProcess(argv, env, { OLLAMA_HOSTS: ',,' }), new RegExp(`^harness: OLLAMA_HOSTS ",," lists no host; ${escape(expected)}`));
    }
    badSetting(await ends(['worker'], { OLLAMA_HOSTS: ' , ,' }), /^harness: OLLAMA_HOSTS " , ," lists no host; /);
  });

  it('with a malformed entry is exit 2 naming the variable, the whole value and the entry, in submit as everywhere', async () => {
    const value = 'gpu1:11434,http://exa mple::';
    for (const argv of [['submit', workflow], ['submit', workflow, '--skip-model-check'], ['run', workflow], ['hosts'], ['config']]) {
      badSetting(
        await inProcess(argv, env, { OLLAMA_HOSTS: value }),
        new RegExp(`^harness: OLLAMA_HOSTS ${escape(JSON.stringify(value))}: entry "mple::" is not a valid host; ${escape(expected)}`),
      );
    }
    // The entry is shown whole, scrubbed: a password with `/` is not cut into the host.
    const secret = await inProcess(['submit', workflow], env, { OLLAMA_HOSTS: 'http://admin:s3cr/et@gpu2:99999*2' });
    badSetting(secret, /^harness: OLLAMA_HOSTS "http:\/\/\*\*\*@gpu2:99999\*2": entry "http:\/\/\*\*\*@gpu2:99999\*2" has an invalid port "99999"; /);
    expect(secret.stderr).not.toMatch(/s3cr|et@/);
    badSetting(await inProcess(['hosts'], env, { OLLAMA_HOSTS: 'a:1,http://a:1' }), /^harness: OLLAMA_HOSTS "a:1,http:\/\/a:1": entry "http:\/\/a:1" names http:\/\/a:1 again \(as "a:1" did\); /);
  });

  it('HARNESS_HOST_CONCURRENCY that is not a count is exit 2, not a silent 1', async () => {
    badSetting(await inProcess(['config'], env, { HARNESS_HOST_CONCURRENCY: 'four' }), /^harness: HARNESS_HOST_CONCURRENCY "four" must be a whole number of at least 1/);
  });
});

describe('numbers that start with a dash', () => {
  it('are read as the flag values they are, and refused for what is wrong with them', async () => {
    const cases: [string[], RegExp][] = [
      [['fork', 'some-run', '--at', '-3'], /^harness: --at must be a whole number of at least 1, got "-3"$/],
      [['run', workflow, '--budget-tokens', '-5'], /^harness: --budget-tokens must be a whole number of at least 1, got "-5"$/],
      [['run', workflow, '--budget-ms', '-0.5'], /^harness: --budget-ms must be a whole number of at least 1, got "-0\.5"$/],
      [['worker', '--concurrency', '-1'], /^harness: --concurrency must be a whole number of at least 1, got "-1"$/],
      [['simulate', '--port', '-1'], /^harness: --port must be a whole number from 0 to 65535, got "-1"$/],
      [['inspect', '--port', '-3'], /^harness: --port must be a whole number from 0 to 65535, got "-3"$/],
      [['usage', '--since', '-3'], /^harness: --since needs an ISO time such as 2026-11-01 or 2026-11-01T09:00Z, got "-3"$/],
    ];
    for (const [argv, line] of cases) badSetting(await inProcess(argv, env), line);
  });
});

describe('other flags', { timeout: 120_000 }, () => {
  it('record --to a path that cannot be written is exit 2 naming --to, and creates nothing', async () => {
    const dir = tempDir();
    badSetting(await inProcess(['record', '--to', join(dir, 'no', 'such', 'dir.ndjson'), '--port', '0'], env), /^harness: --to ".*\/no\/such\/dir\.ndjson" cannot be written \(ENOENT\); /);
    badSetting(await inProcess(['record', '--to', dir, '--port', '0'], env), /^harness: --to ".*" cannot be written \(EISDIR\); /);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an address a server cannot listen on is exit 2 naming --host and --port', async () => {
    for (const command of ['simulate', 'inspect', 'record']) {
      const argv = [command, '--host', 'no such host', '--port', '0', ...(command === 'record' ? ['--to', join(tempDir(), 'c.ndjson')] : [])];
      badSetting(await inProcess(argv, env), /^harness: --host "no such host" --port 0: cannot listen there \(no such host name, ENOTFOUND\)$/);
    }
  });

  it('a queue or store URL that is not one is exit 2 naming the flag and the value, scrubbed', async () => {
    badSetting(await inProcess(['submit', workflow, '--skip-model-check', '--store', 'mysql://u:pw@h/db', '--queue', 'redis://h'], env), /^harness: --store "mysql:\/\/\*\*\*@h\/db" is not a postgres:\/\/ URL$/);
    badSetting(await inProcess(['ls'], env, { HARNESS_STORE: 'not a url' }), /^harness: HARNESS_STORE "not a url" is not a postgres:\/\/ URL \(it cannot be parsed; /);
    badSetting(
      await inProcess(['worker', '--store', 'postgres://h/db', '--queue', 'redis://:pw@'], env),
      /^harness: --queue "redis:\/\/\*\*\*@" is not a redis:\/\/ \(or rediss:\/\/\) URL with a host/,
    );
    badSetting(await inProcess(['run', workflow, '--inspect-url', 'localhost:8080'], env), /^harness: --inspect-url "localhost:8080" is not a ws:\/\/ \(or wss:\/\/\) URL with a host/);
  });

  it('init into /proc, or under a file, is exit 2 and never spins', async () => {
    badSetting(await ends(['init', '/proc/harness-project']), /^harness: init \/proc\/harness-project: a project cannot live under \/proc$/);
    badSetting(await inProcess(['init', '/etc/hostname/project'], env), /^harness: init \/etc\/hostname\/project: \/etc\/hostname is not a directory$/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
