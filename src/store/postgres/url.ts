// Connection URLs as people see them: credentials masked wherever a URL is shown or stored.

/** `postgres://user:***@host/db`: a password (in the userinfo or a `password` parameter) never reaches a message. */
export function maskUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // An unparseable URL may still hold a password somewhere: show nothing of it.
    return 'postgres://(unparseable url)';
  }
  if (parsed.password !== '') parsed.password = '***';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.toString();
}
