// Addresses a command listens on (--host, --port): a port in range, and a failure to listen said as a bad setting.
import { SettingError, UsageError } from './command.ts';

/** `--<flag>` as a TCP port: a whole number from `min` (0: any free port) to 65535; `fallback` when not given. */
export function portFlag(flag: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (value.trim() === '' || !Number.isInteger(port) || port < min || port > 65_535) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to 65535, got "${value}"`);
  }
  return port;
}

/** Why listening failed, as a person can fix it: an address that is taken, not this machine's, or not a name at all. */
const reasons: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use',
  EACCES: 'this user may not listen on that port',
  EADDRNOTAVAIL: 'the address is not one of this machine',
  ENOTFOUND: 'no such host name',
  EAI_AGAIN: 'the host name could not be looked up',
};

/**
 * The refusal for a server that could not listen at `--host <host> --port <port>` because of that address (exit 2, one
 * line naming both flags); undefined for any other failure, which stays the command's own.
 */
export function listenRefusal(error: unknown, host: string, port: number): SettingError | undefined {
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const reason = code === undefined ? undefined : reasons[code];
  return reason === undefined ? undefined : new SettingError(`--host ${JSON.stringify(host)} --port ${port}: cannot listen there (${reason}, ${code})`);
}
