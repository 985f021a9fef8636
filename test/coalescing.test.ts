import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runner, RunLimits } from '../src/execution/runner.ts';
import { scoreTask, type ScoreTask, type ScoreTaskResult } from '../src/execution/score-task.ts';
import { TaskCoalescer } from '../src/pipeline/task-coalescer.ts';
import { builtinRegistry } from '../src/tools/builtin.ts';
import type { Toolset } from '../src/tools/toolset.ts';
import { postJson, startService, type RunningService } from './helpers/service.ts';

// Concurrent small requests share score tasks (OpenRLHF and slime send one sample per request).

const registry = builtinRegistry();

/** A runner of one slot whose tasks finish only when the test releases them; it records every task. */
class GatedRunner implements Runner {
  readonly minChunk = 1;
  readonly tasks: ScoreTask[] = [];
  readonly #gates: (() => void)[] = [];
  failNext = false;

  constructor(readonly parallelism = 1) {}

  async run(task: ScoreTask, limits: RunLimits): Promise<ScoreTaskResult> {
    this.tasks.push(task);
    await new Promise<void>((resolve) => this.#gates.push(resolve));
    limits.signal.throwIfAborted();
    if (this.failNext) {
      this.failNext = false;
      throw new Error('thread crashed');
    }
    return scoreTask(registry, task);
  }

  /** Lets the oldest running task finish, once there is one. */
  async release(): Promise<void> {
    while (this.#gates.length === 0) await new Promise((r) => setTimeout(r, 1));
    this.#gates.shift()!();
  }

  async close(): Promise<void> {}
}

const toolset = (weight = 1): Toolset => ({
  signature: 'math.any.number',
  version: 1,
  planner: 'test',
  tools: [{ tool: 'math_answer', weight }],
  fallback: 0,
  rationale: [],
  createdAt: '',
});
const item = (answer: number) => ({ prompt: 'What is it?', response: `The answer is ${answer}.`, reference: '7' });
const later = () => Date.now() + 30_000;
/** The end of the current turn of the event loop, when chunks that arrived in it start. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('task coalescing', () => {
  it('runs a lone chunk at the end of the turn, and chunks that wait for a slot together as one task', async () => {
    const runner = new GatedRunner();
    const tasks = new TaskCoalescer(runner, registry, 10_000);
    const first = tasks.run(toolset(), [item(7)], later());
    await turn();
    expect(runner.tasks).toHaveLength(1); // started without waiting for company
    const waiting = [7, 8, 7, 9].map((answer) => tasks.run(toolset(), [item(answer)], later()));
    expect(runner.tasks).toHaveLength(1);
    await runner.release();
    await runner.release();
    expect((await first).map((s) => s.reward)).toEqual([1]);
    expect((await Promise.all(waiting)).map((scores) => scores.map((s) => s.reward))).toEqual([[1], [0], [1], [0]]);
    expect(runner.tasks.map((t) => t.items.length)).toEqual([1, 4]);
  });

  it('starts chunks that arrive in one turn as few tasks, shared over the free slots', async () => {
    const runner = new GatedRunner(2);
    const tasks = new TaskCoalescer(runner, registry, 10_000);
    const burst = [7, 8, 7, 9, 7].map((answer) => tasks.run(toolset(), [item(answer)], later()));
    expect(runner.tasks).toHaveLength(0);
    await turn();
    expect(runner.tasks.map((t) => t.items.length)).toEqual([3, 2]);
    await runner.release();
    await runner.release();
    expect((await Promise.all(burst)).map((scores) => scores.map((s) => s.reward))).toEqual([[1], [0], [1], [0], [1]]);
  });

  it('never merges chunks of toolsets that score differently', async () => {
    const runner = new GatedRunner();
    const tasks = new TaskCoalescer(runner, registry, 10_000);
    const first = tasks.run(toolset(), [item(7)], later());
    await turn();
    const a = tasks.run(toolset(1), [item(7)], later());
    const b = tasks.run(toolset(2), [item(7)], later());
    const c = tasks.run(toolset(1), [item(7)], later());
    for (let i = 0; i < 3; i++) await runner.release();
    await Promise.all([first, a, b, c]);
    expect(runner.tasks.map((t) => [t.items.length, t.toolset.tools[0]!.weight])).toEqual([
      [1, 1],
      [2, 1],
      [1, 2],
    ]);
  });

  it('retries the items of a failed shared task one by one, so one bad task costs only its own item', async () => {
    const runner = new GatedRunner();
    const tasks = new TaskCoalescer(runner, registry, 10_000);
    const first = tasks.run(toolset(), [item(7)], later());
    await turn();
    const shared = [7, 8, 7].map((answer) => tasks.run(toolset(), [item(answer)], later()));
    await runner.release();
    await first;
    runner.failNext = true;
    await runner.release(); // the shared task of three fails
    for (let i = 0; i < 3; i++) await runner.release(); // each item again, alone
    expect((await Promise.all(shared)).map((scores) => scores.map((s) => s.reward))).toEqual([[1], [0], [1]]);
    expect(runner.tasks.map((t) => t.items.length)).toEqual([1, 3, 1, 1, 1]);
  });

  it('answers a waiting chunk unscored at its own deadline, while others go on', async () => {
    const runner = new GatedRunner();
    const tasks = new TaskCoalescer(runner, registry, 10_000);
    const first = tasks.run(toolset(), [item(7)], later());
    await turn();
    const soon = tasks.run(toolset(), [item(7)], Date.now() + 50);
    const patient = tasks.run(toolset(), [item(7)], later());
    const [late] = await soon; // answered while the only slot is still busy
    expect(late).toMatchObject({ reward: 0, unscored: true });
    await runner.release();
    await runner.release();
    expect((await first)[0]!.reward).toBe(1);
    expect((await patient)[0]!.reward).toBe(1);
    expect(runner.tasks.map((t) => t.items.length)).toEqual([1, 1]);
  });
});

describe('concurrent one-sample requests through HTTP', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ RLAR_THREADS: '1' });
  });
  afterAll(async () => {
    await service.stop();
  });

  const metric = async (name: string) => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  };

  it('share score tasks while the worker thread is busy, each answered with its own reward', async () => {
    // Programs that sleep hold the only thread long enough for the other requests to queue behind.
    const slow = (n: number) => ({
      prompt: 'Print the number you are given, after a pause.',
      response: '```python\nimport time\ntime.sleep(0.4)\nprint(int(input()))\n```',
      label: { inputs: [`${n}\n`], outputs: [n % 2 === 0 ? `${n}\n` : `${n + 1}\n`] },
    });
    await postJson(`${service.url}/reward`, slow(0)); // plans the signature
    const tasksBefore = await metric('rlar_score_tasks_total');
    const answers = await Promise.all(Array.from({ length: 12 }, (_, n) => postJson(`${service.url}/reward`, slow(n))));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(answers.map((a) => a.json.reward)).toEqual(Array.from({ length: 12 }, (_, n) => (n % 2 === 0 ? 1 : 0)));
    const tasks = (await metric('rlar_score_tasks_total')) - tasksBefore;
    expect(tasks).toBeGreaterThanOrEqual(2);
    expect(tasks).toBeLessThanOrEqual(6);
  });
});
