// PostgreSQL URLs as people see them: credentials masked wherever a URL is shown or stored.
import { maskUrl as mask } from '../../util/mask-url.ts';

/** `postgres://user:***@host/db`: a password (in the userinfo or a `password` parameter) never reaches a message. */
export function maskUrl(url: string): string {
  return mask(url, 'postgres:');
}
