/**
 * Distributed mode: throughput of a CPU-bound batch with 1 and 2 worker processes (one thread each),
 * and the latency the queue adds over embedded mode for 1-item and 1024-item requests. Everything is
 * measured in this run: a private redis-server, the built API (`--workers 0`) and `rlar worker`s.
 *
 * Run: npm run build && node bench/queue.ts
 */
import { postJson, startRedis, startService, startWorker } from '../test/helpers/service.ts';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed(url: string, body: unknown): Promise<number> {
  const started = performance.now();
  const { status } = await postJson(url, body);
  if (status !== 200) throw new Error(`status ${status}`);
  return performance.now() - started;
}

// CPU-bound: ROUGE-L between two 4,000-word texts (an LCS of 16 million cells, ~50 ms, per item).
const words = (shift: number) => Array.from({ length: 4000 }, (_, i) => `w${(i * 7 + shift) % 97}`).join(' ');
const heavy = Array.from({ length: 64 }, (_, i) => ({ prompt: 'p', response: words(i), reference: words(i + 1) }));
const mathItems = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ prompt: 'q', response: `so \\boxed{${i}}`, reference: `${i}`, task: 'bench/math' }));

const redis = await startRedis();
const env = { REDIS_URL: redis.url, RLAR_LOG_LEVEL: 'warn' };
const api = await startService(env, ['--workers', '0']);
const embedded = await startService({ RLAR_LOG_LEVEL: 'warn' });
const workers = [await startWorker(env)];
try {
  const rougeBody = { items: heavy, params: { variant: 'rougeL' } };
  const throughput = async () => {
    await timed(`${api.url}/tools/rouge/score`, rougeBody); // warm-up
    const times = [];
    for (let round = 0; round < 5; round++) times.push(await timed(`${api.url}/tools/rouge/score`, rougeBody));
    return heavy.length / (median(times) / 1000);
  };
  // One worker before and after the two-worker run: the baseline is their mean, so drift in the
  // machine's speed during the run shows up in both.
  const oneBefore = await throughput();
  const second = await startWorker(env);
  const two = await throughput();
  await second.stop();
  const oneAfter = await throughput();
  const one = (oneBefore + oneAfter) / 2;
  console.log(`CPU-bound batch (${heavy.length} ROUGE-L items of 4,000 words), worker processes with 1 thread each:`);
  console.log(`  1 worker   ${one.toFixed(1)} items/s (before ${oneBefore.toFixed(1)}, after ${oneAfter.toFixed(1)})`);
  console.log(`  2 workers  ${two.toFixed(1)} items/s   ratio ${(two / one).toFixed(2)}`);
  workers.push(await startWorker(env));

  console.log('Latency, median of 20 requests (2 workers), queue vs embedded (2 threads):');
  for (const size of [1, 1024]) {
    const body = { items: mathItems(size) };
    await timed(`${embedded.url}/reward`, body);
    await timed(`${api.url}/reward`, body);
    const local: number[] = [];
    const queued: number[] = [];
    for (let round = 0; round < 20; round++) {
      local.push(await timed(`${embedded.url}/reward`, body));
      queued.push(await timed(`${api.url}/reward`, body));
    }
    const [e, q] = [median(local), median(queued)];
    console.log(
      `  ${String(size).padStart(4)} items  embedded ${e.toFixed(1).padStart(7)} ms   queue ${q.toFixed(1).padStart(7)} ms   +${(q - e).toFixed(1)} ms (x${(q / e).toFixed(2)})`,
    );
  }
} finally {
  await Promise.all([...workers.map((w) => w.stop()), api.stop(), embedded.stop()]);
  await redis.stop();
}
