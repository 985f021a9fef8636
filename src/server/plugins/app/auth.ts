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

function isAdmin(url: string): boolean {
  const path = url.split('?', 1)[0]!;
  return path === '/admin' || path.startsWith('/admin/');
}

/**
 * API keys (RLAR_API_KEYS): every route but health and docs needs one. The admin routes (/admin/...,
 * the queue dashboard) need an admin key (RLAR_ADMIN_KEYS), which also opens every other route; an API
 * key does not open them. Keys are compared as digests in constant time and never logged.
 */
export default fp(
  async (app, options: { apiKeys: string[]; adminKeys: string[] }) => {
    if (options.apiKeys.length === 0 && options.adminKeys.length === 0) return;
    const admins = options.adminKeys.map(digest);
    const users = [...options.apiKeys.map(digest), ...admins];
    app.addHook('onRequest', async (request, reply) => {
      if (isPublic(request.url)) return;
      const admin = isAdmin(request.url);
      const key = presentedKey(request.headers);
      const given = key === undefined ? undefined : digest(key);
      if (given && (admin ? admins : users).some((a) => timingSafeEqual(a, given))) return;
      if (admin && given && users.some((a) => timingSafeEqual(a, given))) {
        return reply.code(403).send(errorBody(403, 'the admin routes need an admin key (RLAR_ADMIN_KEYS), not an API key'));
      }
      const message =
        key === undefined
          ? `this service needs an ${admin ? 'admin' : 'API'} key: send "Authorization: Bearer <key>" or "x-api-key: <key>"`
          : `the ${admin ? 'admin' : 'API'} key is not valid`;
      return reply.code(401).send(errorBody(401, message));
    });
  },
  { name: 'auth' },
);
