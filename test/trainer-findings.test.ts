import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startService, type RunningService } from './helpers/service.ts';

// What verl, OpenRLHF, slime and TRL actually send (issue 12), through HTTP against the built service.

const CHATML_PROMPT = (question: string) =>
  `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n${question}<|im_end|>\n<|im_start|>assistant\n`;

let service: RunningService;

beforeAll(async () => {
  service = await startService();
});
afterAll(async () => {
  await service.stop();
});

const post = (body: unknown, path = '/reward') => postJson(`${service.url}${path}`, body);

describe('OpenRLHF queries decoded with their special tokens', () => {
  it('strips end-of-turn tokens before scoring, so exact match, choice and translation keep their 1', async () => {
    const samples = [
      ['What is the capital of France? Answer in one word.', 'Paris<|im_end|>', 'Paris'],
      ['Pick one:\nA) red\nB) blue\nC) green', 'The answer is (B).<|im_end|>\n<|endoftext|>', 'B'],
      ['Translate to French: the cat sat on the mat', 'le chat était assis sur le tapis<|eot_id|>', 'le chat était assis sur le tapis'],
      ['Summarize: the cat sat on the mat all day long.', 'A cat sat on a mat all day.</s>', 'A cat sat on a mat all day.'],
    ];
    const { status, json } = await post({
      query: samples.map(([q, r]) => CHATML_PROMPT(q!) + r),
      prompts: samples.map(([q]) => CHATML_PROMPT(q!)),
      labels: samples.map(([, , label]) => label),
    });
    expect(status).toBe(200);
    expect(json.rewards).toEqual([1, 1, 1, 1]);
    expect(json.extra_logs).toEqual({ error: [0, 0, 0, 0], unscored: [0, 0, 0, 0], format_only: [0, 0, 0, 0], prompt_not_found: [0, 0, 0, 0] });
  });

  it('finds the response after a prompt OpenRLHF truncated on the left', async () => {
    const question = `${'Some context the model was given. '.repeat(40)}Translate to French: the cat sat on the mat`;
    const prompt = CHATML_PROMPT(question);
    const truncated = prompt.slice(prompt.length - 120); // the tokens OpenRLHF kept, decoded
    const { status, json } = await post({
      query: [`${truncated}le chat était assis sur le tapis<|im_end|>`],
      prompts: [prompt],
      labels: ['le chat était assis sur le tapis'],
    });
    expect(status).toBe(200);
    expect(json.rewards).toEqual([1]);
    expect(json.extra_logs.prompt_not_found).toEqual([0]);
    // A query with no trace of its prompt is scored whole, and says so.
    const lost = await post({ query: ['le chat était assis sur le tapis'], prompts: [prompt], labels: ['le chat était assis sur le tapis'] });
    expect(lost.json.extra_logs.prompt_not_found).toEqual([1]);
  });

  it('says in the item detail what was stripped and how the response was found', async () => {
    const { json } = await post({
      items: [{ prompt: 'Capital of France? One word.', response: 'Paris<|im_end|>\n<|endoftext|>', reference: 'Paris' }],
    });
    expect(json.results[0].reward).toBe(1);
    expect(json.results[0].detail).toEqual({ stripped_tokens: ['<|im_end|>', '<|endoftext|>'] });
  });
});

describe('references that are not strings', () => {
  it('scores numbers, booleans, lists of numbers and null in the native dialect, numbers as numbers', async () => {
    const item = (response: string, reference: unknown) => ({ prompt: 'Solve.', response, reference, task: 'math' });
    const { status, json } = await post({
      items: [
        item('The answer is \\boxed{42}.', 42),
        item('The answer is \\boxed{\\frac{1}{2}}.', 0.5),
        item('The answer is \\boxed{3}.', 4),
        item('The answer is \\boxed{7}.', [7, 7.0]),
        { prompt: 'Is the sky blue? Answer true or false.', response: 'true', reference: true },
        { prompt: 'Say hi.', response: 'hi', reference: null },
      ],
    });
    expect(status).toBe(200);
    expect(json.rewards.slice(0, 5)).toEqual([1, 1, 0, 1, 1]);
    expect(json.results[5].signature).toMatch(/\.none/);
  });

  it('takes OpenRLHF labels and slime labels of any JSON type', async () => {
    const openrlhf = await post({ query: ['Q: 6*7? A: 42', 'Q: 6*7? A: 41'], prompts: ['Q: 6*7? A:', 'Q: 6*7? A:'], labels: [42, 42] });
    expect(openrlhf.status).toBe(200);
    expect(openrlhf.json.rewards).toEqual([1, 0]);
    const slime = await post({ prompt: 'What is 6*7?', response: 'It is \\boxed{42}', label: 42 });
    expect(slime.status).toBe(200);
    expect(slime.json.reward).toBe(1);
  });
});

describe('slime', () => {
  it('answers the bare number with ?format=number, which stock slime takes as the reward', async () => {
    const { status, text } = await post({ prompt: 'What is 3+4?', response: 'The answer is \\boxed{7}.', label: '7' }, '/reward?format=number');
    expect(status).toBe(200);
    expect(JSON.parse(text)).toBe(1);
    const refused = await post({ items: [] }, '/reward?format=number');
    expect(refused.status).toBe(400);
    expect(refused.json.message).toMatch(/only for one-sample \(slime\) requests/);
    const unknown = await post({ prompt: 'p', response: 'r' }, '/reward?format=text');
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toBe('querystring/format must be "number" (the bare reward, for slime) or left out');
  });

  it('keeps the text of content blocks, drops images and tool calls with a note', async () => {
    const { status, json } = await post({
      prompt: [
        { role: 'system', content: null },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'text', text: 'What is 3+4?' },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'add', arguments: '{}' } }] },
        { role: 'tool', content: '7' },
      ],
      response: 'The answer is \\boxed{7}.',
      label: '7',
    });
    expect(status).toBe(200);
    expect(json.reward).toBe(1);
    expect(json.detail.content).toBe('kept the text only; dropped 1 image_url block, 1 tool-call message without text');
  });
});

describe('open-ended items without a quality signal', () => {
  it('flags format-only rewards in the detail, the rationale, the metrics and the log', async () => {
    const { json } = await post({ items: [{ prompt: 'Write a haiku about rain.', response: 'ok' }] });
    expect(json.results[0].detail).toEqual({ format_only: true });
    const { toolsets } = await (await fetch(`${service.url}/toolsets`)).json();
    const toolset = toolsets.find((t: any) => t.signature === json.results[0].signature);
    expect(toolset.rationale.join(' ')).toMatch(/format only, no quality signal/);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`rlar_format_only_items_total\\{signature="${json.results[0].signature.replace(/[.+]/g, '\\$&')}"\\} [1-9]`));
    // The log line comes through the child's stdout pipe, which may arrive after the HTTP answer.
    await expect.poll(() => service.output(), { timeout: 10_000 }).toMatch(/their reward checks format only/);
  });

  it('abstains with RLAR_OPEN_ENDED=abstain: the fallback and a flag (and strips the tokens RLAR_STRIP_TOKENS adds)', async () => {
    const abstaining = await startService({ RLAR_OPEN_ENDED: 'abstain', RLAR_STRIP_TOKENS: '<|my_eos|>' });
    try {
      const custom = await postJson(`${abstaining.url}/reward`, { items: [{ prompt: 'Say B.', response: 'B<|my_eos|><|im_end|>', reference: 'B' }] });
      expect(custom.json.results[0]).toMatchObject({ reward: 1, detail: { stripped_tokens: ['<|my_eos|>', '<|im_end|>'] } });
      const { json } = await postJson(`${abstaining.url}/reward`, {
        items: [{ prompt: 'Write a haiku about rain.', response: 'ok' }, { prompt: 'What is 2+2?', response: '\\boxed{4}', reference: '4' }],
      });
      expect(json.rewards).toEqual([0, 1]);
      expect(json.results[0]).toMatchObject({ abstained: true, detail: { format_only: true }, components: [] });
      expect(json.results[1].abstained).toBeUndefined();
      // A toolset the user declared is scored as declared, format-only or not.
      const declared = await postJson(`${abstaining.url}/reward`, {
        items: [{ prompt: 'Write a haiku about rain.', response: 'ok' }],
        options: { toolset: { tools: [{ tool: 'length_penalty' }] } },
      });
      expect(declared.json.results[0].abstained).toBeUndefined();
      expect(declared.json.results[0].components.map((c: any) => c.tool)).toEqual(['length_penalty']);
    } finally {
      await abstaining.stop();
    }
  });
});

describe('POST /tools/{name}/score', () => {
  it('takes items without a prompt for tools that do not read it, and names the tools that do', async () => {
    const bleu = await post({ items: [{ response: 'the cat sat on the mat', reference: 'the cat sat on the mat' }] }, '/tools/bleu/score');
    expect(bleu.status).toBe(200);
    expect(bleu.json.scores).toEqual([1]);
    const math = await post({ items: [{ response: '\\boxed{0.5}', reference: 0.5 }] }, '/tools/math_answer/score');
    expect(math.json.scores).toEqual([1]);
    const judge = await post({ items: [{ response: 'x' }] }, '/tools/llm_judge/score');
    expect(judge.status).toBe(400);
    expect(judge.json.message).toBe('body/items/0/prompt is required: the tool "llm_judge" reads the prompt');
  });
});

describe('deadlines', () => {
  let silent: Server;
  let silentUrl: string;
  beforeAll(async () => {
    // A reward model that never answers: the request deadline passes while it is asked.
    silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    silentUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('answers 200 with every scored item and flags the others, in each dialect', async () => {
    const withModel = await startService({ RLAR_RM_URL: silentUrl, RLAR_RM_PROTOCOL: 'tei', RLAR_REQUEST_TIMEOUT_MS: '2500' });
    try {
      const choice = { prompt: 'Pick one:\nA) red\nB) blue', response: 'The answer is (B).', reference: 'B' };
      const openEnded = { prompt: 'Write a haiku about rain.', response: 'Rain on the roof.' };
      const at = (path: string, body: unknown) => postJson(`${withModel.url}${path}`, body);
      // Warm the threads up (on a busy machine the first runs may miss the deadline), so the deadline below
      // is about the silent model only.
      let warm = await at('/reward', { items: [choice] });
      for (let tries = 0; tries < 20 && warm.json.results[0].unscored; tries++) warm = await at('/reward', { items: [choice] });
      expect(warm.json.rewards).toEqual([1]);
      const native = await at('/reward', { items: [choice, openEnded, choice] });
      expect(native.status).toBe(200);
      expect(native.json.rewards).toEqual([1, 0, 1]);
      expect(native.json.results.map((r: any) => r.unscored ?? false)).toEqual([false, true, false]);
      expect(native.json.results[1].error).toBe('the request deadline passed before this item was scored');
      const openrlhf = await at('/reward', {
        query: [choice.prompt + choice.response, openEnded.prompt + openEnded.response],
        prompts: [choice.prompt, openEnded.prompt],
        labels: ['B', null],
      });
      expect(openrlhf.status).toBe(200);
      expect(openrlhf.json.rewards).toEqual([1, 0]);
      expect(openrlhf.json.extra_logs).toEqual({ error: [0, 1], unscored: [0, 1], format_only: [0, 0], prompt_not_found: [0, 0] });
      const slime = await at('/reward', { prompt: openEnded.prompt, response: openEnded.response });
      expect(slime.status).toBe(200);
      expect(slime.json).toMatchObject({ reward: 0, unscored: true });
      expect(slime.headers.get('x-rlar-deadline-ms')).toBe('2500');
      const tool = await at('/tools/reward_model/score', { items: [openEnded] });
      expect(tool.status).toBe(200);
      expect(tool.json.details[0]).toMatchObject({ unscored: true });
    } finally {
      await withModel.stop();
    }
  });

  it("ends before the trainer's own timeout, which would throw the answer away and post the sample again", async () => {
    // slime's remote_rm waits 120 s (aiohttp total), OpenRLHF 180 s: a deadline of 300 s is cut to 10 s before.
    const patient = await startService({ RLAR_REQUEST_TIMEOUT_MS: '300000' });
    try {
      const at = (body: unknown) => postJson(`${patient.url}/reward`, body);
      const item = { prompt: 'Pick one:\nA) red\nB) blue', response: 'The answer is (B).', reference: 'B' };
      const deadlines = [
        await at({ prompt: item.prompt, response: item.response, label: 'B' }),
        await at({ query: [item.prompt + item.response], prompts: [item.prompt], labels: ['B'] }),
        await at({ items: [item] }),
        await at({ items: [item], options: { timeout_ms: 400_000 } }),
      ].map((answer) => {
        expect(answer.status).toBe(200);
        return answer.headers.get('x-rlar-deadline-ms');
      });
      expect(deadlines).toEqual(['110000', '170000', '300000', '400000']);
      // A client that says how long it waits: the deadline ends a tenth (at most 10 s) before.
      const stated = (ms: string, body: unknown) => postJson(`${patient.url}/reward`, body, { 'x-rlar-client-timeout-ms': ms });
      const withHeader = [
        await stated('60000', { items: [item], options: { timeout_ms: 400_000 } }),
        await stated('30000', { prompt: item.prompt, response: item.response, label: 'B' }),
        await stated('500000', { items: [item] }),
      ];
      expect(withHeader.map((answer) => [answer.status, answer.headers.get('x-rlar-deadline-ms')])).toEqual([
        [200, '54000'],
        [200, '27000'],
        [200, '300000'],
      ]);
      const bad = await stated('soon', { items: [item] });
      expect(bad.status).toBe(400);
      expect(bad.json.message).toMatch(/x-rlar-client-timeout-ms must be a whole number of milliseconds/);
    } finally {
      await patient.stop();
    }
  });
});
