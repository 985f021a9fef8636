/**
 * Reward-model micro-batching: 256 concurrent one-sample requests (OpenRLHF's pattern) to the built
 * service scoring with a reward model, with coalescing on (batches of up to 32, 5 ms wait) and off
 * (batches of 1): upstream calls, and request latency. The model server is a local TEI stand-in that
 * takes 10 ms per call plus 0.2 ms per input, like a GPU that batches well.
 *
 * Run: npm run build && node bench/coalescing.ts
 */
import { createServer } from 'node:http';
import { postJson, startService } from '../test/helpers/service.ts';
import { cpuPressure } from './machine.ts';

const REQUESTS = 256;

async function startModel(): Promise<{ url: string; calls: number[]; close(): Promise<void> }> {
  const calls: number[] = [];
  const server = createServer(async (request, response) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    const inputs = (JSON.parse(text) as { inputs: string[][] }).inputs;
    calls.push(inputs.length);
    await new Promise((r) => setTimeout(r, 10 + 0.2 * inputs.length));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(inputs.map((t) => [{ score: t[0]!.length % 7, label: 'LABEL_0' }])));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, calls, close: () => new Promise((r) => server.close(() => r())) };
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.floor(p * (values.length - 1))]!;

console.log(`cpu pressure: ${cpuPressure()}`);

for (const [label, batch] of [
  ['coalescing on (batch 32)', '32'],
  ['coalescing off (batch 1)', '1'],
] as const) {
  const model = await startModel();
  const service = await startService({ RLAR_RM_URL: model.url, RLAR_RM_BATCH: batch, RLAR_RM_BATCH_WAIT_MS: '5', RLAR_LOG_LEVEL: 'warn' });
  try {
    await postJson(`${service.url}/reward`, { query: ['Hi. Hello'], prompts: ['Hi.'] }); // plans the signature
    model.calls.length = 0;
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const t = performance.now();
        const { status } = await postJson(`${service.url}/reward`, { query: [`Hi. Hello number ${i}`], prompts: ['Hi.'] });
        if (status !== 200) throw new Error(`status ${status}`);
        latencies.push(performance.now() - t);
      }),
    );
    const total = performance.now() - started;
    console.log(
      `${label.padEnd(26)} upstream calls ${String(model.calls.length).padStart(4)} (mean batch ${(REQUESTS / model.calls.length).toFixed(1)})   ` +
        `latency p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p95 ${percentile(latencies, 0.95).toFixed(0)} ms   all ${REQUESTS} in ${total.toFixed(0)} ms`,
    );
  } finally {
    await service.stop();
    await model.close();
  }
}
