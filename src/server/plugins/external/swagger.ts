import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';

/** The OpenAPI document, built from the routes' TypeBox schemas, and Swagger UI at /docs. */
export default fp(
  async (app, options: { version: string }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'RLAR reward service',
          version: options.version,
          description:
            'Rewards for reinforcement learning on language models: POST batches of (prompt, response, reference) ' +
            'and get one reward per item. Toolsets are planned per task signature and reused.',
        },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'One of RLAR_API_KEYS, when it is set.' },
            apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The same key, as a header.' },
          },
        },
        // Auth applies only when the service has RLAR_API_KEYS; `{}` says it may be absent.
        security: [{ bearer: [] }, { apiKey: [] }, {}],
      },
      // The queue dashboard exists only in distributed mode; the document is the same in both.
      transform: ({ schema, url }) => ({ schema: url.startsWith('/admin/') ? { ...schema, hide: true } : schema, url }),
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'swagger' },
);
