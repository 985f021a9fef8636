import { afterEach, describe, expect, it } from 'vitest';
import { startFakeLlm, type ChatRequest, type FakeLlm } from './helpers/fake-llm.ts';
import { freePort, postJson, startService, type RunningService } from './helpers/service.ts';

// The agent planner against a local OpenAI-compatible server; the client code is the real one.

const MENTIONS = 'function score(prompt, response, reference) { return response.toLowerCase().includes(String(reference).toLowerCase()) ? 1 : 0; }';

function plan(verifiers: { name: string; code: string; weight?: number }[], tools = [{ tool: 'length_penalty', weight: 0.2 }]) {
  return JSON.stringify({
    label: 'city trivia',
    basic_tasks: ['question answering'],
    tools,
    verifiers: verifiers.map((v) => ({ description: v.name, weight: 1, ...v })),
    rationale: 'answers must name the city',
  });
}

const running: { close?(): Promise<void>; stop?(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => (r.close ? r.close() : r.stop!())));
});

async function setup(llm: Parameters<typeof startFakeLlm>[0], env: Record<string, string> = {}): Promise<{ llm: FakeLlm; service: RunningService }> {
  const fake = await startFakeLlm(llm);
  running.push(fake);
  const service = await startService({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test-key', RLAR_PLANNER_MODEL: 'planner-x', ...env });
  running.push(service);
  return { llm: fake, service };
}

const item = (i: number) => ({ prompt: `Capital of country ${i}?`, response: `It is Paris, of course.`, reference: 'Paris' });

describe('agent planner', () => {
  it('plans a new signature with a validated synthesized verifier that scores the items', async () => {
    const { llm, service } = await setup({ answer: () => plan([{ name: 'mentions_reference', code: MENTIONS, weight: 0.8 }]) });
    const { status, json } = await postJson(`${service.url}/reward`, {
      items: [item(1), { prompt: 'Capital of Italy?', response: 'Milan', reference: 'Rome' }],
    });
    expect(status).toBe(200);
    expect(json.rewards).toEqual([1, 0.2]);
    const tools = json.results[0].components.map((c: any) => [c.tool, c.weight]);
    expect(tools).toEqual([
      ['length_penalty', 0.2],
      ['synthesized', 0.8],
    ]);
    const toolset = await (await fetch(`${service.url}/toolsets/${json.results[0].signature}`)).json();
    expect(toolset.planner).toBe('agent');
    expect(toolset.provenance).toMatchObject({ model: 'planner-x', label: 'city trivia' });
    expect(toolset.provenance.validation[0]).toMatchObject({ name: 'mentions_reference', accepted: true });
    expect(llm.calls).toHaveLength(1);
    expect(llm.calls[0]!.response_format).toMatchObject({ type: 'json_schema' });
    expect(llm.calls[0]!.messages[1]!.content).toContain('Capital of country 1?');
  });

  it('rejects verifiers that loop, eat memory, throw, return NaN or reach for the host, and keeps the good one', async () => {
    // At most 5 verifiers per plan (the schema says so): two signatures, two plans.
    const first = [
      { name: 'loops', code: 'function score() { while (true) {} }' },
      { name: 'eats_memory', code: 'function score() { const a = []; while (true) a.push(new Array(1e6).fill(1)); }' },
      { name: 'throws', code: 'function score() { throw new Error("boom"); }' },
      { name: 'nan', code: 'function score() { return NaN; }' },
      { name: 'good', code: MENTIONS },
    ];
    const second = [
      { name: 'requires', code: 'function score() { return require("fs").readFileSync("/etc/passwd").length; }' },
      { name: 'process', code: 'function score() { return process.env.HOME.length; }' },
      { name: 'global_escape', code: 'function score() { return globalThis.constructor.constructor("return process")().pid; }' },
      { name: 'out_of_range', code: 'function score() { return 7; }' },
      { name: 'constant', code: 'function score() { return 1; }' },
    ];
    const { service } = await setup({ answer: (r) => plan(r.messages[1]!.content.includes('hostile_one') ? first : second, []) });
    const { json } = await postJson(`${service.url}/reward`, {
      items: [
        { ...item(2), task: 'hostile-one' },
        { ...item(2), task: 'hostile-two' },
      ],
    });
    const planned = await (await fetch(`${service.url}/toolsets/${json.results[0].signature}`)).json();
    const why = `toolset: ${JSON.stringify(planned.rationale)}; results: ${JSON.stringify(json.results).slice(0, 2000)}`;
    expect(json.rewards, why).toEqual([1, 0]);
    expect(json.results[0].components.map((c: any) => c.tool)).toEqual(['synthesized']);
    const verdicts: Record<string, boolean> = {};
    for (const result of json.results) {
      const toolset = await (await fetch(`${service.url}/toolsets/${result.signature}`)).json();
      for (const v of toolset.provenance?.validation ?? []) verdicts[v.name] = v.accepted;
      if (result === json.results[0]) {
        expect(toolset.rationale.join('\n')).toMatch(/rejected verifier "loops": the verifier failed: InternalError: interrupted/);
      } else {
        // Nothing usable: the agent's plan fails as a whole and the heuristic toolset serves.
        expect(toolset.planner).toBe('heuristic (agent fallback)');
        expect(toolset.rationale[0]).toMatch(/the agent proposed no usable tool/);
        expect(toolset.rationale[0]).toMatch(/requires: the verifier failed: ReferenceError: 'require' is not defined/);
        expect(toolset.rationale[0]).toMatch(/process: the verifier failed: ReferenceError: 'process' is not defined/);
        expect(toolset.rationale[0]).toMatch(/global_escape: the verifier failed/);
        expect(toolset.rationale[0]).toMatch(/out_of_range: returned 7, outside \[0, 1\]/);
        expect(toolset.rationale[0]).toMatch(/constant: does not score the reference above/);
      }
    }
    expect(verdicts).toEqual({ loops: false, eats_memory: false, throws: false, nan: false, good: true });
  });

  it('drops tools whose weights are not positive finite numbers up to 1000, and refuses an oversized answer', async () => {
    const huge = JSON.stringify({ ...JSON.parse(plan([{ name: 'mentions', code: MENTIONS }])), rationale: 'x'.repeat(3_000_000) });
    const weighty = plan(
      [
        { name: 'overweight', code: MENTIONS, weight: 1e308 },
        { name: 'mentions', code: MENTIONS, weight: 1 },
      ],
      [{ tool: 'length_penalty', weight: 1e308 }],
    );
    const { service } = await setup({ answer: (r) => (r.messages[1]!.content.includes('huge_answer') ? huge : weighty) });
    const { json } = await postJson(`${service.url}/reward`, { items: [{ ...item(3), task: 'weighty' }, { ...item(3), task: 'huge-answer' }] });
    expect(json.rewards[0]).toBe(1);
    expect(json.results[0].components.map((c: any) => [c.tool, c.weight])).toEqual([['synthesized', 1]]);
    const weighted = await (await fetch(`${service.url}/toolsets/${json.results[0].signature}`)).json();
    expect(weighted.rationale.join('\n')).toMatch(/dropped tool "length_penalty": its weight must be a finite number above 0 and at most 1000, not 1e\+308/);
    expect(weighted.rationale.join('\n')).toMatch(/rejected verifier "overweight": its weight must be a finite number above 0 and at most 1000, not 1e\+308/);
    const response = await fetch(`${service.url}/toolsets/${json.results[1].signature}`);
    const text = await response.text();
    expect(text.length).toBeLessThan(100_000);
    const refused = JSON.parse(text);
    expect(refused.planner).toBe('heuristic (agent fallback)');
    expect(refused.rationale[0]).toMatch(/more than a plan needs/);
  });

  it('falls back to the heuristic toolset, flagged, when the endpoint is down', async () => {
    const port = await freePort();
    const service = await startService({ OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`, RLAR_PLANNER_TIMEOUT_MS: '2000' });
    running.push(service);
    const started = Date.now();
    const { status, json } = await postJson(`${service.url}/reward`, { items: [item(3)] });
    expect(status).toBe(200);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(json.rewards).toEqual([0]); // exact_match: the response is a sentence, not the bare answer
    const toolset = await (await fetch(`${service.url}/toolsets/${json.results[0].signature}`)).json();
    expect(toolset.planner).toBe('heuristic (agent fallback)');
    expect(toolset.rationale[0]).toMatch(/^agent planning failed: /);
  });

  it('falls back within the planner deadline when the endpoint is slow', async () => {
    const { service } = await setup({ answer: () => plan([{ name: 'good', code: MENTIONS }]), delayMs: 10_000 }, { RLAR_PLANNER_TIMEOUT_MS: '500' });
    const started = Date.now();
    const { json } = await postJson(`${service.url}/reward`, { items: [item(4)] });
    expect(Date.now() - started).toBeLessThan(8_000);
    const toolset = await (await fetch(`${service.url}/toolsets/${json.results[0].signature}`)).json();
    expect(toolset.planner).toBe('heuristic (agent fallback)');
  });

  it('works with servers that refuse response_format, and retries once on an answer that breaks the schema', async () => {
    let call = 0;
    const { llm, service } = await setup({
      rejectResponseFormat: true,
      answer: () => (++call === 1 ? '{"label": "incomplete"}' : `Sure:\n\`\`\`json\n${plan([{ name: 'good', code: MENTIONS }])}\n\`\`\``),
    });
    const { json } = await postJson(`${service.url}/reward`, { items: [item(5)] });
    const toolset = await (await fetch(`${service.url}/toolsets/${json.results[0].signature}`)).json();
    expect(toolset.planner).toBe('agent');
    expect(toolset.provenance.raw_answers).toHaveLength(2);
    const withFormat = llm.calls.filter((c: ChatRequest) => c.response_format !== undefined).length;
    expect(withFormat).toBe(1); // refused once, then the schema goes in the prompt only
    expect(llm.calls).toHaveLength(3);
  });

  it('calls the LLM once per new signature, not per item: 10,000 items over 5 signatures', async () => {
    // Every reward is 1 here; drift re-planning (tested below) is off so only planning is counted.
    const { llm, service } = await setup({ answer: () => plan([{ name: 'good', code: MENTIONS }]) }, { RLAR_DRIFT_WINDOW: '0' });
    const tasks = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    const items = Array.from({ length: 10_000 }, (_, i) => ({ ...item(i), task: `agent-count/${tasks[i % 5]}` }));
    const first = await postJson(`${service.url}/reward`, { items: items.slice(0, 5_000) });
    const second = await postJson(`${service.url}/reward`, { items: items.slice(5_000) });
    expect(first.json.rewards).toHaveLength(5_000);
    expect(second.json.rewards.every((r: number) => r === 1)).toBe(true);
    expect(llm.calls).toHaveLength(5);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/rlar_llm_tokens_total\{kind="prompt"\} 500/);
  });

  it('re-plans with the agent when rewards collapse, as a new version', async () => {
    const { llm, service } = await setup({ answer: () => plan([{ name: 'good', code: MENTIONS }]) }, { RLAR_DRIFT_WINDOW: '50' });
    const items = Array.from({ length: 50 }, (_, i) => ({ ...item(i), task: 'agent-drift' }));
    const { json } = await postJson(`${service.url}/reward`, { items });
    const signature = json.results[0].signature;
    let current: any;
    for (let i = 0; i < 100 && (current?.version ?? 0) < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      current = await (await fetch(`${service.url}/toolsets/${signature}`)).json();
    }
    expect(current).toMatchObject({ version: 2, planner: 'agent' });
    expect(current.rationale[0]).toBe('re-planned: every reward was 1 over 50 items');
    expect(llm.calls).toHaveLength(2);
  });

  it('tries the agent again for a fallback toolset every RLAR_FALLBACK_RETRY_MS, and replaces it only with an agent plan', async () => {
    let agentUp = false;
    const { llm, service } = await setup(
      { answer: () => (agentUp ? plan([{ name: 'good', code: MENTIONS }]) : '{"label": "incomplete"}') },
      { RLAR_FALLBACK_RETRY_MS: '1000', RLAR_DRIFT_WINDOW: '0' },
    );
    const post = () => postJson(`${service.url}/reward`, { items: [{ ...item(7), task: 'agent-retry' }] });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const signature = (await post()).json.results[0].signature;
    const toolset = () => fetch(`${service.url}/toolsets/${signature}`).then((r) => r.json());
    expect(await toolset()).toMatchObject({ version: 1, planner: 'heuristic (agent fallback)' });
    expect(llm.calls).toHaveLength(2); // the answer breaks the schema, and so does the one retry

    // The agent is retried in the background and fails again: no new version.
    await sleep(1100);
    await post();
    for (let i = 0; i < 100 && llm.calls.length < 4; i++) await sleep(20);
    await post(); // within the interval again: no call
    await sleep(100);
    expect(llm.calls).toHaveLength(4);
    expect(await toolset()).toMatchObject({ version: 1, planner: 'heuristic (agent fallback)' });

    agentUp = true;
    await sleep(1100);
    await post();
    let current: any;
    for (let i = 0; i < 100 && (current?.version ?? 0) < 2; i++) {
      await sleep(50);
      current = await toolset();
    }
    expect(current).toMatchObject({ version: 2, planner: 'agent' });
    expect(current.rationale[0]).toBe('re-planned: the agent failed when this toolset was planned');
    expect((await post()).json.rewards).toEqual([1]);
  });

  it("falls back within the request's own deadline when that is shorter than the planner's", async () => {
    const { service } = await setup({ answer: () => plan([{ name: 'good', code: MENTIONS }]), delayMs: 20_000 });
    const started = Date.now();
    const { status, json } = await postJson(`${service.url}/reward`, { items: [item(6)], options: { timeout_ms: 3000 } });
    expect(status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3_000);
    const toolset = await (await fetch(`${service.url}/toolsets/${json.results[0].signature}`)).json();
    expect(toolset.planner).toBe('heuristic (agent fallback)');
  });

  it('stops a verifier that QuickJS cannot interrupt, and one that recurses without end, without stalling the service', async () => {
    const verifiers = [
      { name: 'bigint', code: 'function score() { return ((1n << 3000000n) - 1n).toString().length > 0 ? 1 : 0; }' },
      { name: 'recursion', code: 'function score() { const f = (n) => f(n + 1) + 1; return f(0); }' },
      { name: 'good', code: MENTIONS },
    ];
    const { service } = await setup({ answer: () => plan(verifiers, []) });
    const started = Date.now();
    const pending = postJson(`${service.url}/reward`, { items: [item(7)] });
    // The service keeps answering while the validation runs.
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const { json } = await pending;
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(json.rewards).toEqual([1]);
    const toolset = await (await fetch(`${service.url}/toolsets/${json.results[0].signature}`)).json();
    const verdicts = Object.fromEntries(toolset.provenance.validation.map((v: any) => [v.name, v.accepted]));
    expect(verdicts).toEqual({ bigint: false, recursion: false, good: true });
  });

  it('validates Python verifiers in the sandbox by the same checks, and scores with the ones that pass', async () => {
    const mentions = 'import re\ndef score(prompt, response, reference):\n    return 1.0 if re.search(re.escape(str(reference)), response, re.I) else 0.0\n';
    const verifiers = [
      { name: 'py_mentions', language: 'python', code: mentions, weight: 0.8 },
      { name: 'py_loops', language: 'python', code: 'def score(prompt, response, reference):\n    while True:\n        pass\n' },
      { name: 'py_raises', language: 'python', code: 'def score(prompt, response, reference):\n    raise KeyError("answer")\n' },
      { name: 'py_out_of_range', language: 'python', code: 'def score(prompt, response, reference):\n    return 7\n' },
      { name: 'py_constant', language: 'python', code: 'def score(prompt, response, reference):\n    return 1\n' },
    ];
    const { service } = await setup({ answer: () => plan(verifiers) });
    const { json } = await postJson(`${service.url}/reward`, {
      items: [item(5), { prompt: 'Capital of Italy?', response: 'Milan', reference: 'Rome' }],
    });
    expect(json.rewards).toEqual([1, 0.2]);
    expect(json.results[0].components.map((c: any) => [c.tool, c.weight])).toEqual([
      ['length_penalty', 0.2],
      ['python', 0.8],
    ]);
    const toolset = await (await fetch(`${service.url}/toolsets/${json.results[0].signature}`)).json();
    const verdicts = Object.fromEntries(toolset.provenance.validation.map((v: any) => [v.name, v.accepted]));
    expect(verdicts).toEqual({ py_mentions: true, py_loops: false, py_raises: false, py_out_of_range: false, py_constant: false });
    const rationale = toolset.rationale.join('\n');
    expect(rationale).toMatch(/rejected verifier "py_loops": the verifier failed: the call took longer than 1000 ms/);
    expect(rationale).toMatch(/rejected verifier "py_raises": the verifier failed: the function raised KeyError: 'answer'/);
    expect(rationale).toMatch(/rejected verifier "py_out_of_range": the verifier failed: the function returned 7, outside \[0, 1\]/);
    expect(rationale).toMatch(/rejected verifier "py_constant": does not score the reference above/);
    expect(toolset.provenance.verifiers[0]).toMatchObject({ name: 'py_mentions', language: 'python' });
  });
});
