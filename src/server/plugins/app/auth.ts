import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import { errorBody } from '../../errors.ts';

const PUBLIC_PATHS = ['/healthz', '/readyz', '/docs'];

function isPublic(url: string): boolean {
  const path = url.split('?', 1)[0]!;
  return PUBLIC_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** The key a request presents: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  const key = headers['x-api-key'];
  return typeof key === 'string' ? key.trim() : undefined;
}

/**
 * API keys (RLAR_API_KEYS): every route but health and docs needs one. Keys are compared as digests in
 * constant time and never logged.
 */
export default fp(
  async (app, options: { apiKeys: string[] }) => {
    if (options.apiKeys.length === 0) return;
    const accepted = options.apiKeys.map(digest);
    app.addHook('onRequest', async (request, reply) => {
      if (isPublic(request.url)) return;
      const key = presentedKey(request.headers);
      const given = key === undefined ? undefined : digest(key);
      if (given && accepted.some((a) => timingSafeEqual(a, given))) return;
      const message =
        key === undefined
          ? 'this service needs an API key: send "Authorization: Bearer <key>" or "x-api-key: <key>"'
          : 'the API key is not valid';
      return reply.code(401).send(errorBody(401, message));
    });
  },
  { name: 'auth' },
);
