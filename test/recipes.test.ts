import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { postJson, runCli, startService, type RunningService } from './helpers/service.ts';

// Declared rewards through HTTP and the CLI: request toolsets, combinations and gates, hashes, recipe
// files, PUT /toolsets/{signature}.

let service: RunningService;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rlar-recipes-'));
  service = await startService();
});
afterAll(async () => {
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const formatted = { prompt: 'What is 2+2?', response: '<think>2 and 2</think> The answer is \\boxed{4}', reference: '4' };
const unformatted = { prompt: 'What is 2+2?', response: 'The answer is \\boxed{4}', reference: '4' };
const wrong = { prompt: 'What is 2+2?', response: '<think>hm</think> \\boxed{5}', reference: '4' };

const R1 = {
  tools: [
    { tool: 'math_answer', weight: 0.9 },
    { tool: 'think_format', weight: 0.1, gate: 1 },
  ],
};

describe('a toolset in the request', () => {
  it('scores every item with options.toolset, and a gate zeroes the reward when its check fails', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, { items: [formatted, unformatted, wrong], options: { toolset: R1 } });
    expect(status).toBe(200);
    expect(json.rewards[0]).toBeCloseTo(1, 12);
    // Right answer, no <think> block: the gate shuts, though math_answer scored 1.
    expect(json.rewards[1]).toBe(0);
    expect(json.results[1].components.map((c: any) => c.score)).toEqual([1, 0]);
    expect(json.rewards[2]).toBeCloseTo(0.1, 12);
    for (const result of json.results) {
      expect(result.toolset_version).toBe(0);
      expect(result.toolset_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    expect(new Set(json.results.map((r: any) => r.toolset_hash)).size).toBe(1);
  });

  it('lets an item carry its own toolset, which wins over the request\'s', async () => {
    const own = { ...unformatted, toolset: { tools: [{ tool: 'math_answer' }] } };
    const { json } = await postJson(`${service.url}/reward`, { items: [unformatted, own], options: { toolset: R1 } });
    expect(json.rewards).toEqual([0, 1]);
    expect(json.results[0].toolset_hash).not.toBe(json.results[1].toolset_hash);
  });

  it('combines by min, max and product', async () => {
    const tools = [
      { tool: 'math_answer' },
      { tool: 'length_penalty', params: { max_length: 8, buffer: 4 } },
    ];
    const item = { prompt: 'p', response: 'so the answer is six hence \\boxed{6}', reference: '6' };
    const rewards: Record<string, number> = {};
    for (const combination of ['mean', 'min', 'max', 'product']) {
      const { json } = await postJson(`${service.url}/reward`, { items: [item], options: { toolset: { tools, combination } } });
      const [answer, length] = json.results[0].components.map((c: any) => c.score);
      expect(answer).toBe(1);
      expect(length).toBeGreaterThan(0);
      expect(length).toBeLessThan(1);
      rewards[combination] = json.rewards[0];
      if (combination === 'mean') expect(rewards.mean).toBeCloseTo((answer + length) / 2, 12);
      if (combination === 'min' || combination === 'product') expect(json.rewards[0]).toBe(length);
      if (combination === 'max') expect(json.rewards[0]).toBe(1);
    }
  });

  it('gives the same hash to the same scoring content, whatever the rationale or key order', async () => {
    const a = { tools: [{ tool: 'exact_match', weight: 2, params: { ignore_case: true, ignore_articles: false } }], fallback: 0 };
    const b = { rationale: ['why not'], fallback: 0, tools: [{ params: { ignore_articles: false, ignore_case: true }, weight: 2, tool: 'exact_match' }] };
    const c = { tools: [{ tool: 'exact_match', weight: 2, params: { ignore_case: false } }] };
    const item = { prompt: 'p', response: 'Paris', reference: 'paris' };
    const hashes = [];
    for (const toolset of [a, b, c]) hashes.push((await postJson(`${service.url}/reward`, { items: [item], options: { toolset } })).json.results[0].toolset_hash);
    expect(hashes[0]).toBe(hashes[1]);
    expect(hashes[2]).not.toBe(hashes[0]);
  });

  it('answers 400 naming the field for an unknown tool, an unknown param, a bad param or a bad weight', async () => {
    const cases: [unknown, RegExp][] = [
      [{ tools: [{ tool: 'math_answr' }] }, /body\/options\/toolset\/tools\/0\/tool no tool named "math_answr"/],
      [{ tools: [{ tool: 'math_answer', params: { timeout: 5 } }] }, /tools\/0\/params\/timeout math_answer has no param "timeout"; it takes timeout_ms/],
      [{ tools: [{ tool: 'rouge', params: { variant: 'rouge9' } }] }, /tools\/0\/params\/variant must be equal to one of the allowed values/],
      [{ tools: [{ tool: 'code_tests', params: { time_limit_clock: 'gpu' } }] }, /tools\/0\/params\/time_limit_clock must be equal to one of the allowed values/],
      [{ tools: [{ tool: 'math_answer', weight: 0 }] }, /tools\/0\/weight must be a finite number above 0, not 0/],
      [{ tools: [{ tool: 'math_answer', weight: -1 }] }, /tools\/0\/weight must be a finite number above 0/],
      [{ tools: [] }, /toolset\/tools must NOT have fewer than 1 items/],
      [{ tools: [{ tool: 'math_answer' }], combination: 'median' }, /combination/],
    ];
    for (const [toolset, message] of cases) {
      const { status, json } = await postJson(`${service.url}/reward`, { items: [unformatted], options: { toolset } });
      expect(status, JSON.stringify(toolset)).toBe(400);
      expect(json.message).toMatch(message);
    }
    const perItem = await postJson(`${service.url}/reward`, { items: [unformatted, { ...unformatted, toolset: { tools: [{ tool: 'nope' }] } }] });
    expect(perItem.status).toBe(400);
    expect(perItem.json.message).toMatch(/body\/items\/1\/toolset\/tools\/0\/tool no tool named "nope"/);
  });

  it('stamps planned results with the stored version and hash of their toolset', async () => {
    const { json } = await postJson(`${service.url}/reward`, { items: [{ ...unformatted, task: 'stamp-test/gsm8k' }] });
    const stored = await (await fetch(`${service.url}/toolsets/${json.results[0].signature}`)).json();
    expect(json.results[0].toolset_version).toBe(stored.version);
    expect(json.results[0].toolset_hash).toMatch(/^sha256:/);
  });
});

const RECIPES = `# gsm8k must be reasoned in <think> blocks
rules:
  - name: gsm8k-r1
    match: { task: "openai/*" }
    toolset:
      tools:
        - { tool: math_answer, weight: 0.9 }
        - { tool: think_format, weight: 0.1, gate: 1 }
  - name: strict-qa
    match: { metadata: { grading.mode: strict, level: 3 } }
    toolset:
      tools:
        - { tool: exact_match, params: { ignore_case: false } }
`;

describe('recipe files', () => {
  it('override the planner for the items they match, and leave the others to it', async () => {
    const recipes = await startService({}, ['--recipes', file('rewards.yaml', RECIPES)]);
    try {
      const gsm8k = { ...unformatted, task: 'openai/gsm8k' };
      const unmatched = { ...unformatted, task: 'other/gsm8k' };
      const strict = { prompt: 'Capital of France?', response: 'paris', reference: 'Paris', metadata: { grading: { mode: 'strict' }, level: 3 } };
      const lenient = { ...strict, metadata: { grading: { mode: 'strict' }, level: 2 } };
      const { json } = await postJson(`${recipes.url}/reward`, { items: [gsm8k, unmatched, strict, lenient] });
      // The planner would give the right answer 1; the recipe's gate wants <think>.
      expect(json.rewards).toEqual([0, 1, 0, 1]);
      expect(json.results[0].components.map((c: any) => c.tool)).toEqual(['math_answer', 'think_format']);
      expect(json.results[0].toolset_version).toBe(0);
      expect(json.results[1].toolset_version).toBe(1);
      // The same toolset sent in a request has the same hash: the hash is the content.
      const sent = await postJson(`${service.url}/reward`, { items: [unformatted], options: { toolset: R1 } });
      expect(json.results[0].toolset_hash).toBe(sent.json.results[0].toolset_hash);
      // A request's own toolset still wins over a recipe.
      const own = await postJson(`${recipes.url}/reward`, { items: [{ ...gsm8k, toolset: { tools: [{ tool: 'math_answer' }] } }] });
      expect(own.json.rewards).toEqual([1]);
    } finally {
      await recipes.stop();
    }
  });

  it('are read from RLAR_RECIPES, in JSON too', async () => {
    const json = JSON.stringify({ rules: [{ match: { signature: 'qa.*' }, toolset: { tools: [{ tool: 'exact_match', params: { ignore_case: false } }], fallback: 0 } }] }, null, 2);
    const recipes = await startService({ RLAR_RECIPES: file('rewards.json', json) });
    try {
      const answer = await postJson(`${recipes.url}/reward`, { items: [{ prompt: 'Capital of France?', response: 'paris', reference: 'Paris' }] });
      expect(answer.json.results[0].signature).toMatch(/^qa\./);
      expect(answer.json.rewards).toEqual([0]);
    } finally {
      await recipes.stop();
    }
  });

  it('stop the start when broken, with a message naming the file, the line and the field', async () => {
    const cases: [string, string, RegExp][] = [
      ['tool.yaml', RECIPES.replace('tool: think_format', 'tool: think_fromat'), /tool\.yaml:8: rules\/0\/toolset\/tools\/1\/tool no tool named "think_fromat"/],
      ['weight.yaml', RECIPES.replace('weight: 0.9', 'weight: -0.9'), /weight\.yaml:7: rules\/0\/toolset\/tools\/0\/weight must be a finite number above 0, not -0\.9/],
      ['param.yaml', RECIPES.replace('ignore_case: false', 'ignore_cas: false'), /param\.yaml:13: rules\/1\/toolset\/tools\/0\/params\/ignore_cas exact_match has no param "ignore_cas"/],
      ['field.yaml', RECIPES.replace('match: { task: "openai/*" }', 'match: { tsak: "openai/*" }'), /field\.yaml:4: rules\/0\/match\/tsak is not a known field here/],
      ['infinite.yaml', RECIPES.replace('weight: 0.1, gate: 1', 'weight: .inf, gate: 1'), /infinite\.yaml:8: rules\/0\/toolset\/tools\/1\/weight must be a finite number of 0 or more, not Infinity/],
      ['syntax.yaml', RECIPES.replace('    match: { metadata', '    match: { metadata:: ['), /syntax\.yaml:1[0-9]: not valid YAML or JSON/],
      ['syntax.json', '{\n  "rules": [\n    { "match": { "task": "x" } "toolset": {} }\n  ]\n}\n', /syntax\.json:3: not valid YAML or JSON/],
    ];
    for (const [name, text, message] of cases) {
      const { code, output } = await runCli(['serve', '--recipes', file(name, text)], { PORT: '0' });
      expect(code, output).toBe(2);
      expect(output).toMatch(/^configuration error: /m);
      expect(output).toMatch(message);
    }
    const missing = await runCli(['serve', '--recipes', join(dir, 'none.yaml')], { PORT: '0' });
    expect(missing.code).toBe(2);
    expect(missing.output).toMatch(/none\.yaml: cannot be read/);
  });

  it('examples/rewards.yaml has the rules the README shows', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Declare your rewards'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    expect(parse(block)).toEqual(parse(readFileSync('examples/rewards.yaml', 'utf8')));
  });

  it('examples/rewards.yaml loads, and its rules score a multi-task mix', async () => {
    const example = await startService({}, ['--recipes', 'examples/rewards.yaml']);
    try {
      const items = [
        { ...unformatted, task: 'openai/gsm8k' },
        { prompt: 'Compute \\frac{1}{2}+\\frac{1}{3}.', response: '\\boxed{\\frac{5}{6}}', reference: '\\frac{5}{6}', task: 'hendrycks/math' },
        { prompt: 'Translate to French: the cat', response: 'le chat', reference: 'le chat', task: 'wmt14-en-fr' },
        { prompt: 'Tell me about cats.', response: 'Cats are small carnivorous mammals.' },
      ];
      const { json } = await postJson(`${example.url}/reward`, { items });
      expect(json.rewards.slice(0, 3)).toEqual([0, 1, 1]);
      expect(json.results[1].components.map((c: any) => c.tool)).toEqual(['math_answer']);
      expect(json.results[2].components.map((c: any) => c.tool)).toEqual(['chrf', 'bleu']);
      // No judge is configured here: the chat rule's fallback, with the reason.
      expect(json.rewards[3]).toBe(0.5);
      expect(json.results[3].error).toMatch(/llm_judge/);
    } finally {
      await example.stop();
    }
  });
});

describe('PUT /toolsets/{signature}', () => {
  const signature = 'qa.put_test.short_text';
  const item = { prompt: 'Capital of France?', response: 'paris', reference: 'Paris', task: 'put_test' };

  it('declares a toolset that scores the signature from then on, in the shape GET shows', async () => {
    const planned = await postJson(`${service.url}/reward`, { items: [item] });
    expect(planned.json.results[0].signature).toBe(signature);
    expect(planned.json.rewards).toEqual([1]);
    const put = await fetch(`${service.url}/toolsets/${signature}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tools: [{ tool: 'exact_match', weight: 1, params: { ignore_case: false } }], rationale: ['case matters here'] }),
    });
    expect(put.status).toBe(200);
    const declared = await put.json();
    expect(declared).toMatchObject({ signature, version: 2, planner: 'declared', fallback: 0, rationale: ['case matters here'] });
    const scored = await postJson(`${service.url}/reward`, { items: [item] });
    expect(scored.json.rewards).toEqual([0]);
    expect(scored.json.results[0]).toMatchObject({ toolset_version: 2, toolset_hash: declared.toolset_hash });

    // What GET shows can be sent back as it is; the same content adds no version.
    const shown = await (await fetch(`${service.url}/toolsets/${signature}`)).json();
    expect(shown).toEqual(declared);
    const again = await fetch(`${service.url}/toolsets/${signature}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(shown) });
    expect(again.status).toBe(200);
    expect((await again.json()).version).toBe(2);
    const versions = await (await fetch(`${service.url}/toolsets/${signature}/versions`)).json();
    expect(versions.toolsets.map((t: any) => [t.version, t.planner])).toEqual([
      [1, 'heuristic'],
      [2, 'declared'],
    ]);
  });

  it('answers 400 naming the problem', async () => {
    const put = (body: unknown, sig = signature) =>
      fetch(`${service.url}/toolsets/${sig}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const cases: [unknown, RegExp][] = [
      [{ tools: [{ tool: 'no_such' }] }, /body\/tools\/0\/tool no tool named "no_such"/],
      [{ tools: [{ tool: 'exact_match', weight: 0 }] }, /body\/tools\/0\/weight must be a finite number above 0/],
      [{ tools: [{ tool: 'exact_match', params: { ignore_case: 'yes' } }] }, /body\/tools\/0\/params\/ignore_case must be boolean/],
      [{ tools: [{ tool: 'exact_match' }], signature: 'qa.other.short_text' }, /body\/signature "qa.other.short_text" is not the signature of the path/],
      [{ tools: [{ tool: 'exact_match', weight: '1' }] }, /body\/tools\/0\/weight must be number/],
      [{ tools: [{ tool: 'exact_match' }], extra: 1 }, /must NOT have additional properties/],
      [{ tools: [{ tool: 'regex_match', params: { pattern: Array.from({ length: 40 }).reduce((inner) => ({ inner }), 1) } }] }, /body is nested deeper than 32 levels/],
    ];
    for (const [body, message] of cases) {
      const response = await put(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await response.json()).message).toMatch(message);
    }
  });

  it('is never re-planned by the drift monitor, even when its rewards never vary', async () => {
    const drifting = await startService({ RLAR_DRIFT_WINDOW: '20' });
    try {
      const declaredSignature = 'dialogue.declared_drift.none';
      const put = await fetch(`${drifting.url}/toolsets/${declaredSignature}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tools: [{ tool: 'length_penalty' }] }),
      });
      expect((await put.json()).version).toBe(1);
      // The same constant rewards, for a declared and a planned signature, in one request.
      const items = ['declared_drift', 'planned_drift'].flatMap((task) => Array.from({ length: 20 }, (_, i) => ({ prompt: `Say hi ${i}`, response: 'hi there', task })));
      const { json } = await postJson(`${drifting.url}/reward`, { items });
      expect(json.results[0].signature).toBe(declaredSignature);
      const planned = json.results[20].signature;
      let version = 1;
      for (let i = 0; i < 600 && version < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        version = (await (await fetch(`${drifting.url}/toolsets/${planned}`)).json()).version;
      }
      expect(version).toBe(2);
      const declared = await (await fetch(`${drifting.url}/toolsets/${declaredSignature}/versions`)).json();
      expect(declared.toolsets.map((t: any) => t.planner)).toEqual(['declared']);
    } finally {
      await drifting.stop();
    }
  });

  it('needs an API key when the service has keys', async () => {
    const keyed = await startService({ RLAR_API_KEYS: 'k1' });
    try {
      const body = JSON.stringify({ tools: [{ tool: 'exact_match' }] });
      const anonymous = await fetch(`${keyed.url}/toolsets/${signature}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
      expect(anonymous.status).toBe(401);
      const keyedPut = await fetch(`${keyed.url}/toolsets/${signature}`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: 'Bearer k1' }, body });
      expect(keyedPut.status).toBe(200);
    } finally {
      await keyed.stop();
    }
  });
});
