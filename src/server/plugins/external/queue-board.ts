import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import fp from 'fastify-plugin';

const BASE_PATH = '/admin/queues';

/**
 * bull-board, the standard BullMQ dashboard, at /admin/queues in distributed mode. It sits behind the
 * API's auth hook like every other route, and stays out of the OpenAPI document.
 */
export default fp(
  async (app) => {
    const queue = app.scoring.queue;
    if (!queue) return;
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(BASE_PATH);
    createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter });
    await app.register(serverAdapter.registerPlugin(), { prefix: BASE_PATH });
  },
  { name: 'queue-board', dependencies: ['scoring'] },
);
