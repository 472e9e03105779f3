// Connection URLs as people see them: a password never reaches a message, a log line or a stored record.

/**
 * `scheme://user:***@host/…`: the password in the userinfo or in a `password` parameter replaced by `***`. An URL
 * that cannot be parsed may still hold a password somewhere, so nothing of it is shown: `<scheme>//(unparseable url)`.
 */
export function maskUrl(url: string, scheme: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${scheme}//(unparseable url)`;
  }
  if (parsed.password !== '') parsed.password = '***';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.toString();
}
