/** The dashboard's token check: Authorization: Bearer <token> or ?token=<token>, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The token the request presents, if any (header first). */
export function presentedToken(req: IncomingMessage, url: URL): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m ? m[1]! : url.searchParams.get('token');
}

export function tokenMatches(expected: string, presented: string | null): boolean {
  return presented !== null && timingSafeEqual(digest(expected), digest(presented));
}
