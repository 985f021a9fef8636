import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm } from './helpers/fake-llm.ts';
import { runCli, startService, type RunningService } from './helpers/service.ts';

// `rlar score` and `rlar eval` run as a user runs them: the built CLI, on files in a temporary folder.
// Parquet inputs are written here with hyparquet-writer (a pure-JS Parquet writer, dev dependency), in
// verl's nested layout (prompt as a list of {role, content} structs, reward_model and extra_info structs).

const ENV = { RLAR_THREADS: '2', RLAR_LOG_LEVEL: 'warn', RLAR_DATA_DIR: ':memory:' };
const CLI_TIMEOUT = 120_000;
let dir: string;

const chat = (content: string) => [{ role: 'user', content }];
const GSM8K_PROMPT = 'Natalia sold 48 clips in April and half as many in May. How many in all? Output the final answer after "####".';

const JSONL_ROWS = [
  JSON.stringify({ data_source: 'openai/gsm8k', prompt: chat(GSM8K_PROMPT), response: '48/2 = 24, 48 + 24 = 72\n#### 72', reward_model: { style: 'rule', ground_truth: '72' }, extra_info: { index: 0 } }),
  JSON.stringify({ data_source: 'openai/gsm8k', prompt: chat(GSM8K_PROMPT), response: '#### 96', reward_model: { style: 'rule', ground_truth: '72' }, extra_info: { index: 1 } }),
  JSON.stringify({ id: 'fr-1', prompt: 'Translate to French: Hello world', response: 'Bonjour le monde', reference: 'Bonjour le monde' }),
  'this line is not JSON',
  JSON.stringify({ prompt: 'a row without a response' }),
  JSON.stringify({ prompt: 5, response: 'a prompt that is a number' }),
  '',
  JSON.stringify({ prompt: 'What is 7 times 6?', response: 'It is $\\boxed{42}$.', reference: 42 }),
];

function readJsonl(file: string): any[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

function rewardsByRow(file: string): Record<number, number> {
  return Object.fromEntries(readJsonl(file).map((line) => [line.row, line.reward]));
}

function writeVerlParquet(file: string): void {
  const str = (name: string) => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' }) as const;
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'data_source', data: ['openai/gsm8k', 'openai/gsm8k', 'openai/gsm8k'] },
      { name: 'prompt', data: [chat(GSM8K_PROMPT), chat(GSM8K_PROMPT), chat(GSM8K_PROMPT)] },
      { name: 'response', data: ['So 72 in all.\n#### 72', 'So 70 in all.\n#### 70', null] },
      { name: 'reward_model', data: [0, 1, 2].map(() => ({ style: 'rule', ground_truth: '72' })) },
      { name: 'extra_info', data: [0, 1, 2].map((i) => ({ index: BigInt(i), split: 'test' })) },
    ],
    schema: [
      { name: 'root', num_children: 5 },
      str('data_source'),
      { name: 'prompt', converted_type: 'LIST', repetition_type: 'OPTIONAL', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
      str('role'),
      str('content'),
      str('response'),
      { name: 'reward_model', repetition_type: 'OPTIONAL', num_children: 2 },
      str('style'),
      str('ground_truth'),
      { name: 'extra_info', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'index', type: 'INT64', repetition_type: 'OPTIONAL' },
      str('split'),
    ],
  });
  writeFileSync(file, Buffer.from(buffer));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rlar-score-eval-'));
  writeFileSync(join(dir, 'rows.jsonl'), `${JSONL_ROWS.join('\n')}\n`);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('rlar score', () => {
  it('scores verl and plain rows of a JSONL file, names malformed rows and scores the others', async () => {
    const out = join(dir, 'scored.jsonl');
    const { code, stdout, stderr } = await runCli(['score', join(dir, 'rows.jsonl'), '--out', out], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/row 4: not valid JSON/);
    expect(stderr).toMatch(/row 5: no response \(looked for "response", "responses"; --response-col names the column\)/);
    expect(stderr).toMatch(/row 6: item\/prompt must be one of: string, array/);
    const lines = readJsonl(out);
    expect(lines.map((l) => l.row).sort((a, b) => a - b)).toEqual([1, 2, 3, 8]);
    const byRow = Object.fromEntries(lines.map((l) => [l.row, l]));
    expect(byRow[1]).toMatchObject({ reward: 1, toolset_version: 1 });
    expect(byRow[1].signature).toMatch(/^math\.gsm8k\./);
    expect(byRow[1].components[0]).toMatchObject({ tool: 'math_answer', score: 1, detail: { extracted: '72' } });
    expect(byRow[2]).toMatchObject({ reward: 0 });
    expect(byRow[3]).toMatchObject({ id: 'fr-1', reward: 1 });
    expect(byRow[3].signature).toMatch(/^translation\./);
    expect(byRow[8]).toMatchObject({ reward: 1 });
    // The summary: one line per signature, and the malformed rows by number.
    expect(stdout).toMatch(/^signature\s+version\s+scored\s+mean\s+min\s+max\s+errors$/m);
    expect(stdout).toMatch(/^math\.gsm8k\.\S+\s+1\s+2\s+0\.500\s+0\.000\s+1\.000\s+0$/m);
    expect(stdout).toContain('3 malformed rows not scored (rows 4, 5, 6)');
    expect(stderr).toMatch(/scored 7\/7 \(100%\) [\d.]+\/s ETA/);
  });

  it('resumes: rows already in the output are kept as they are and not scored again; a cut line is scored again', async () => {
    const out = join(dir, 'resumed.jsonl');
    await runCli(['score', join(dir, 'rows.jsonl'), '--out', out], ENV, CLI_TIMEOUT);
    const [first, second, third] = readFileSync(out, 'utf8').split('\n');
    // A marker reward on the first line shows whether the row was scored again; the third line is cut
    // in the middle, as a run stopped while writing leaves it.
    const marked = first!.replace(/"reward":[\d.]+/, '"reward":0.123');
    writeFileSync(out, `${marked}\n${second}\n${third!.slice(0, 40)}`);
    const { code, stdout, stderr } = await runCli(['score', join(dir, 'rows.jsonl'), '--out', out], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('2 responses already in');
    expect(stdout).toContain('2 responses scored now, 2 were already in');
    const lines = readFileSync(out, 'utf8').split('\n').filter((l) => l !== '');
    expect(lines[0]).toBe(marked);
    expect(lines[1]).toBe(second);
    expect(lines.map((l) => JSON.parse(l).row).sort((a, b) => a - b)).toEqual([1, 2, 3, 8]);
  });

  it('scores only the first rows with --limit', async () => {
    const out = join(dir, 'limited.jsonl');
    const { code, stderr } = await runCli(['score', join(dir, 'rows.jsonl'), '--out', out, '--limit', '3'], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    expect(Object.keys(rewardsByRow(out))).toEqual(['1', '2', '3']);
    expect(stderr).toMatch(/scored 3\/3 \(100%\)/);
  });

  it('draws a progress bar with rate and ETA when stderr is a terminal', async () => {
    // util-linux `script` runs the command on a pseudo-terminal, as in an interactive shell.
    const out = join(dir, 'tty.jsonl');
    const command = `${process.execPath} dist/cli.js score ${join(dir, 'rows.jsonl')} --out ${out}`;
    const { output } = await new Promise<{ output: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk) => (text += chunk));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve({ output: text }) : reject(new Error(`exit ${code}: ${text}`))));
    });
    expect(output).toMatch(/\rscored \[#+\.*\] \d+\/7 \(\d+%\) [\d.]+\/s ETA /);
    expect(output).toContain('\rscored [##############################] 7/7 (100%)');
    expect(readJsonl(out)).toHaveLength(4);
  });

  it('scores each response of a list (verl generation output, n per prompt) and resumes by response', async () => {
    const file = join(dir, 'generations.jsonl');
    const row = { data_source: 'openai/gsm8k', prompt: chat(GSM8K_PROMPT), reward_model: { ground_truth: '72' } };
    writeFileSync(file, [{ ...row, responses: ['#### 72', '#### 70', 'So 72.\n#### 72'] }, { ...row, responses: [] }].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const out = join(dir, 'generations-scored.jsonl');
    const first = await runCli(['score', file, '--out', out], ENV, CLI_TIMEOUT);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('row 2: "responses" is an empty list of responses');
    const lines = readJsonl(out).sort((a, b) => a.sample - b.sample);
    expect(lines.map((l) => [l.row, l.sample, l.reward])).toEqual([
      [1, 0, 1],
      [1, 1, 0],
      [1, 2, 1],
    ]);
    // Keep two of the three responses: the run after scores only the third.
    const kept = readFileSync(out, 'utf8').split('\n').filter((l) => l !== '' && JSON.parse(l).sample !== 2);
    writeFileSync(out, `${kept.join('\n')}\n`);
    const second = await runCli(['score', file, '--out', out], ENV, CLI_TIMEOUT);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('1 responses scored now, 2 were already in');
    expect(readJsonl(out).map((l) => l.sample).sort()).toEqual([0, 1, 2]);
  });

  it('reads verl Parquet (nested prompt, reward_model, extra_info) and reports a row without a response', async () => {
    const file = join(dir, 'verl.parquet');
    writeVerlParquet(file);
    const out = join(dir, 'verl-scored.jsonl');
    const { code, stderr } = await runCli(['score', file, '--out', out], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('row 3: no response');
    const lines = readJsonl(out);
    expect(rewardsByRow(out)).toEqual({ 1: 1, 2: 0 });
    expect(lines[0].signature).toMatch(/^math\.gsm8k\./);
  });

  it('maps plain Parquet columns with --prompt-col, --response-col, --reference-col and --task-col', async () => {
    const file = join(dir, 'plain.parquet');
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'question', data: ['What is 2 + 3?', 'What is 2 + 3?'] },
        { name: 'answer', data: ['The answer is $\\boxed{5}$.', 'The answer is $\\boxed{6}$.'] },
        { name: 'gold', data: ['5', '5'] },
        { name: 'source', data: ['competition_math', 'competition_math'] },
      ],
    });
    writeFileSync(file, Buffer.from(buffer));
    const out = join(dir, 'plain-scored.jsonl');
    const flags = ['--prompt-col', 'question', '--response-col', 'answer', '--reference-col', 'gold', '--task-col', 'source'];
    const { code, stderr } = await runCli(['score', file, '--out', out, ...flags], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    expect(rewardsByRow(out)).toEqual({ 1: 1, 2: 0 });
    expect(readJsonl(out)[0].signature).toMatch(/^math\./);
  });
});

/** RewardBench 2 rows (with a Ties pair), pairs, and a malformed row; the expected accuracies by hand. */
const PREFERENCE_ROWS = [
  // best-of-N: a clear win (1), a tie at the top with one rejected (1/2), a loss (0): Math = 0.5
  { prompt: 'What is 6 times 7?', chosen: ['$\\boxed{42}$'], rejected: ['$\\boxed{41}$', '$\\boxed{40}$'], subset: 'Math', reference: '42' },
  { prompt: 'What is 2 + 2?', chosen: ['$\\boxed{4}$'], rejected: ['$\\boxed{4}$', '$\\boxed{5}$'], subset: 'Math', reference: '4' },
  { prompt: 'What is 2 + 2?', chosen: ['$\\boxed{5}$'], rejected: ['$\\boxed{4}$'], subset: 'Math', reference: '4' },
  // pairs (no subset: "all"): a win (1) and a tie (0): 0.5
  { prompt: 'What is 3 + 3?', chosen: '$\\boxed{6}$', rejected: '$\\boxed{7}$', reference: '6' },
  { prompt: 'What is 3 + 3?', chosen: '$\\boxed{6}$', rejected: 'It is $\\boxed{6}$', reference: '6' },
  // Ties: every correct answer above every incorrect one, correct answers tied: 1
  { prompt: 'What is 1 + 2?', id: 'ref:0', chosen: ['$\\boxed{3}$'], rejected: ['$\\boxed{5}$'], num_correct: 1, subset: 'Ties', reference: '3' },
  { prompt: 'What is 1 + 2?', id: 'tied:0', chosen: ['$\\boxed{3}$', 'The answer is $\\boxed{3}$.'], rejected: ['$\\boxed{5}$'], num_correct: 2, subset: 'Ties', reference: '3' },
  { prompt: 'no responses to choose from', chosen: [], rejected: ['a'] },
];

function writePreferences(): string {
  const file = join(dir, 'preferences.jsonl');
  writeFileSync(file, PREFERENCE_ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

function expectHandAccuracy(result: any): void {
  expect(result.subsets.Math).toMatchObject({ accuracy: 0.5, n: 3 });
  expect(result.subsets.all).toMatchObject({ accuracy: 0.5, n: 2 });
  expect(result.subsets.Ties).toMatchObject({ accuracy: 1, n: 2 });
  expect(result.overall).toBeCloseTo(2 / 3, 12);
}

describe('rlar eval', () => {
  it('writes result.json with RewardBench 2 accuracies, and names the row it could not judge', async () => {
    const out = join(dir, 'eval');
    const { code, stdout, stderr } = await runCli(['eval', writePreferences(), '--out', out], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('row 8: "chosen" must be a response or a non-empty list of responses');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expectHandAccuracy(result);
    expect(result.skipped_rows).toEqual([{ row: 8, problem: '"chosen" must be a response or a non-empty list of responses' }]);
    expect(stdout).toMatch(/overall\s+66\.7%/);
    // Every scored response is kept, with its components.
    const scores = readJsonl(join(out, 'scores.jsonl'));
    expect(scores).toHaveLength(17);
    expect(scores.every((s) => s.components.length > 0)).toBe(true);
  });

  it('reads RewardBench 2 rows from Parquet (lists of responses, int64 num_correct)', async () => {
    const file = join(dir, 'preferences.parquet');
    const str = (name: string, repetition: 'OPTIONAL' | 'REQUIRED' = 'OPTIONAL') => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: repetition }) as const;
    const list = (name: string) => [
      { name, converted_type: 'LIST', repetition_type: 'OPTIONAL', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      str('element'),
    ] as const;
    const rows = PREFERENCE_ROWS.filter((r) => Array.isArray(r.chosen) && r.chosen.length > 0);
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: rows.map((r) => r.id ?? null) },
        { name: 'prompt', data: rows.map((r) => r.prompt) },
        { name: 'chosen', data: rows.map((r) => r.chosen) },
        { name: 'rejected', data: rows.map((r) => r.rejected) },
        { name: 'num_correct', data: rows.map((r) => (r.num_correct === undefined ? null : BigInt(r.num_correct))) },
        { name: 'subset', data: rows.map((r) => r.subset ?? null) },
        { name: 'reference', data: rows.map((r) => r.reference ?? null) },
      ],
      schema: [
        { name: 'root', num_children: 7 },
        str('id'),
        str('prompt'),
        ...list('chosen'),
        ...list('rejected'),
        { name: 'num_correct', type: 'INT64', repetition_type: 'OPTIONAL' },
        str('subset'),
        str('reference'),
      ],
    });
    writeFileSync(file, Buffer.from(buffer));
    const out = join(dir, 'eval-parquet');
    const { code, stderr } = await runCli(['eval', file, '--out', out], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.subsets.Math).toMatchObject({ accuracy: 0.5, n: 3 });
    expect(result.subsets.Ties).toMatchObject({ accuracy: 1, n: 2 });
    expect(result.subsets.Ties.ties_terms).toMatchObject({ tied_accuracy: 1, ref_accuracy: 1 });
  });

  it('draws the report: headless Chromium lays out the subset table and every chart', async () => {
    const out = join(dir, 'eval-report');
    const { code, stderr } = await runCli(['eval', writePreferences(), '--out', out], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    // Self-contained: nothing loaded from elsewhere.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    const charts = html.match(/<svg class="chart"/g)!.length;
    // accuracy + 3 subsets + at least one signature + tools
    expect(charts).toBeGreaterThanOrEqual(6);
    const dom = await dumpDom(join(out, 'report.html'));
    expect(dom).toContain(`data-charts-drawn="${charts}"`);
    const table = /<table id="subsets">[\s\S]*?<\/table>/.exec(dom)![0];
    expect([...table.matchAll(/<tr><td>([^<]+)<\/td>/g)].map((m) => m[1])).toEqual(['Math', 'Ties', 'all']);
    expect(dom).toMatch(/id="overall">overall 66\.7%/);
    // Which toolset scored each signature: its version and hash.
    expect(dom).toMatch(/<table id="toolsets">[\s\S]*<tr><td>math\.[a-z0-9_.+-]+<\/td><td class="num">\d+<\/td><td class="num">1<\/td><td><code title="sha256:[0-9a-f]{64}">/);
    expect(dom).toContain('Worst misses');
  });
});

describe('rlar eval --compare', () => {
  it('scores one file under the heuristic planner, a recipe file and a toolset file, and ranks them', async () => {
    const lengthOnly = join(dir, 'length-only.yaml');
    writeFileSync(lengthOnly, 'tools:\n  - { tool: length_penalty }\n  - { tool: repetition_penalty }\n');
    const recipes = join(dir, 'exact.yaml');
    writeFileSync(recipes, 'rules:\n  - name: math-exact\n    match: { signature: "math.*" }\n    toolset:\n      tools:\n        - { tool: exact_match }\n');
    const out = join(dir, 'compare');
    const { code, stdout, stderr } = await runCli(['eval', writePreferences(), '--out', out, '--compare', `heuristic,${recipes},${lengthOnly}`], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    const { ranking } = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
    expect(ranking.map((r: any) => r.toolset)).toContain('exact');
    expect(ranking[0]).toMatchObject({ rank: 1, toolset: 'heuristic' });
    expect(ranking[0].overall).toBeCloseTo(2 / 3, 12);
    expect(ranking.at(-1)).toMatchObject({ rank: 3, toolset: 'length-only' });
    expect(ranking.at(-1).overall).toBeLessThan(ranking[0].overall);
    expect(stdout).toMatch(/^1\. heuristic: overall 66\.7%$/m);
    // Each contender has its own result and report; the declared toolset scored every response.
    const declared = readJsonl(join(out, 'length-only', 'scores.jsonl'));
    expect(new Set(declared.map((c) => c.toolset_hash)).size).toBe(1);
    expect(declared.every((c) => c.toolset_version === 0 && c.components.map((k: any) => k.tool).join() === 'length_penalty,repetition_penalty')).toBe(true);
    const byRecipe = readJsonl(join(out, 'exact', 'scores.jsonl'));
    expect(byRecipe.every((c) => c.components[0].tool === 'exact_match')).toBe(true);
    expect(readFileSync(join(out, 'compare.html'), 'utf8')).toContain('<table id="ranking">');
  });

  it('ranks the agent planner (a local OpenAI-compatible server) against the heuristic one', async () => {
    const mentions = 'function score(prompt, response, reference) { return response.includes(String(reference)) ? 1 : 0; }';
    const llm = await startFakeLlm({
      answer: () =>
        JSON.stringify({
          label: 'arithmetic',
          basic_tasks: ['question answering'],
          tools: [{ tool: 'length_penalty', weight: 0.5 }],
          verifiers: [{ name: 'mentions_reference', description: 'names the reference', code: mentions, weight: 0.5 }],
          rationale: 'the answer must appear',
        }),
    });
    try {
      const out = join(dir, 'compare-agent');
      const env = { ...ENV, OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', RLAR_PLANNER_MODEL: 'planner-x' };
      const { code, stderr } = await runCli(['eval', writePreferences(), '--out', out, '--compare', 'heuristic,agent'], env, CLI_TIMEOUT);
      expect(code, stderr).toBe(0);
      const { ranking } = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
      expect(ranking.map((r: any) => r.toolset).sort()).toEqual(['agent', 'heuristic']);
      expect(ranking[0].overall).toBeGreaterThanOrEqual(ranking[1].overall);
      // The agent's plan scored its run, and the heuristic run never asked the LLM.
      const agentScores = readJsonl(join(out, 'agent', 'scores.jsonl'));
      expect(agentScores.every((c) => c.components.map((k: any) => k.tool).join() === 'length_penalty,synthesized')).toBe(true);
      expect(readJsonl(join(out, 'heuristic', 'scores.jsonl')).some((c) => c.components.some((k: any) => k.tool === 'synthesized'))).toBe(false);
      const signatures = new Set(agentScores.map((c) => c.signature));
      expect(llm.calls.length).toBe(signatures.size);
    } finally {
      await llm.close();
    }
  });

  it('says what --compare agent needs when no LLM endpoint is configured', async () => {
    const { code, stderr } = await runCli(['eval', writePreferences(), '--out', join(dir, 'no-agent'), '--compare', 'heuristic,agent'], ENV, CLI_TIMEOUT);
    expect(code).toBe(2);
    expect(stderr).toContain('--compare agent needs the agent planner: set OPENAI_BASE_URL');
  });

  it('takes a snapshot from rlar toolsets export as a contender, served frozen', async () => {
    // In process, rlar eval plans and keeps toolsets in RLAR_DATA_DIR as rlar serve would; export them.
    const data = join(dir, 'data');
    const planned = await runCli(['eval', writePreferences(), '--out', join(dir, 'planned')], { ...ENV, RLAR_DATA_DIR: data }, CLI_TIMEOUT);
    expect(planned.code, planned.stderr).toBe(0);
    const exported = await runCli(['toolsets', 'export'], { ...ENV, RLAR_DATA_DIR: data }, CLI_TIMEOUT);
    expect(exported.code, exported.output).toBe(0);
    const snapshot = join(dir, 'snapshot.json');
    writeFileSync(snapshot, exported.stdout);
    const out = join(dir, 'compare-snapshot');
    const { code, stderr } = await runCli(['eval', writePreferences(), '--out', out, '--compare', `heuristic,${snapshot}`], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    const { ranking } = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
    // The snapshot holds the heuristic planner's toolsets: the same accuracy, the same toolset hashes.
    expect(ranking.map((r: any) => r.overall)).toEqual([ranking[0].overall, ranking[0].overall]);
    const hashes = (name: string) => new Set(readJsonl(join(out, name, 'scores.jsonl')).map((c) => c.toolset_hash));
    expect(hashes('snapshot')).toEqual(hashes('heuristic'));
  });

  it('stops before scoring when a toolset file names a tool this build lacks, with the file and line', async () => {
    const bad = join(dir, 'bad-toolset.yaml');
    writeFileSync(bad, 'tools:\n  - { tool: math_answer }\n  - { tool: no_such_tool }\n');
    const { code, stderr } = await runCli(['eval', writePreferences(), '--out', join(dir, 'bad'), '--compare', `heuristic,${bad}`], ENV, CLI_TIMEOUT);
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad-toolset\.yaml:3: tools\/1\/tool /);
  });
});

/** The DOM of a page after Debian's chromium (headless) has loaded it and run its script. */
function dumpDom(file: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'rlar-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    '--dump-dom',
    `file://${file}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('chromium', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let dom = '';
    let errors = '';
    child.stdout.on('data', (chunk) => (dom += chunk));
    child.stderr.on('data', (chunk) => (errors += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
      if (code === 0) resolve(dom);
      else reject(new Error(`chromium exited with ${code}: ${errors.slice(-2000)}`));
    });
  });
}

describe('rlar score and rlar eval --url (native POST /reward batches)', () => {
  let service: RunningService;

  beforeAll(async () => {
    service = await startService(ENV);
  });

  afterAll(async () => {
    await service.stop();
  });

  it('scores the same rows to the same rewards as in process, with malformed rows named', async () => {
    const inProcess = join(dir, 'local.jsonl');
    const remote = join(dir, 'remote.jsonl');
    await runCli(['score', join(dir, 'rows.jsonl'), '--out', inProcess], ENV, CLI_TIMEOUT);
    const { code, stderr } = await runCli(['score', join(dir, 'rows.jsonl'), '--out', remote, '--url', service.url, '--batch-size', '2'], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`scoring ${service.url}`);
    expect(stderr).toMatch(/row 4: not valid JSON/);
    expect(rewardsByRow(remote)).toEqual(rewardsByRow(inProcess));
    const line = readJsonl(remote).find((l) => l.row === 1);
    expect(line).toMatchObject({ toolset_version: 1 });
    expect(line.components[0].tool).toBe('math_answer');
  });

  it("has the service end its deadline before the client's own --timeout-ms, so the scored rows arrive", async () => {
    const patient = await startService({ ...ENV, RLAR_REQUEST_TIMEOUT_MS: '300000' });
    try {
      const rows = join(dir, 'slow-client.jsonl');
      const slow = { prompt: 'Echo.', response: '```python\nimport time\ntime.sleep(8)\nprint(input())\n```', reference: { inputs: ['1\n'], outputs: ['1\n'] } };
      const fast = { prompt: 'What is 6*7?', response: 'The answer is 42.', reference: '42' };
      writeFileSync(rows, `${JSON.stringify(fast)}\n${JSON.stringify(slow)}\n`);
      const out = join(dir, 'slow-client-out.jsonl');
      // The client waits 6 s; the service's 300 s deadline is cut to 5.4 s by the header the client sends.
      const { code, stderr } = await runCli(['score', rows, '--out', out, '--url', patient.url, '--timeout-ms', '6000'], ENV, CLI_TIMEOUT);
      expect(code, stderr).toBe(1);
      expect(stderr).toMatch(/1 responses could not be scored now .*deadline/);
      expect(readJsonl(out).map((l) => [l.row, l.reward])).toEqual([[1, 1]]);
    } finally {
      await patient.stop();
    }
  });

  it('leaves out the rows a deadline left unscored, so the next run scores them', async () => {
    const hurried = await startService({ ...ENV, RLAR_REQUEST_TIMEOUT_MS: '2000' });
    try {
      const rows = join(dir, 'slow.jsonl');
      const slow = { prompt: 'Echo.', response: '```python\nimport time\ntime.sleep(8)\nprint(input())\n```', reference: { inputs: ['1\n'], outputs: ['1\n'] } };
      const fast = { prompt: 'What is 6*7?', response: 'The answer is 42.', reference: '42' };
      writeFileSync(rows, `${JSON.stringify(fast)}\n${JSON.stringify(slow)}\n`);
      const out = join(dir, 'slow-out.jsonl');
      const { code, stderr } = await runCli(['score', rows, '--out', out, '--url', hurried.url], ENV, CLI_TIMEOUT);
      expect(code, stderr).toBe(1);
      expect(stderr).toMatch(/1 responses could not be scored now .*deadline/);
      expect(readJsonl(out).map((l) => [l.row, l.reward])).toEqual([[1, 1]]);
    } finally {
      await hurried.stop();
    }
  });

  it('evaluates against the service with the same accuracies', async () => {
    const out = join(dir, 'eval-remote');
    const { code, stderr } = await runCli(['eval', writePreferences(), '--out', out, '--url', service.url], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expectHandAccuracy(result);
    expect(result.scored_with).toBe(service.url);
  });

  it('scores every row with a declared toolset (--toolset), sent as options.toolset', async () => {
    const toolset = join(dir, 'declared.json');
    writeFileSync(toolset, JSON.stringify({ tools: [{ tool: 'exact_match', weight: 1 }], fallback: 0 }));
    const out = join(dir, 'declared.jsonl');
    const { code, stderr } = await runCli(['score', join(dir, 'rows.jsonl'), '--out', out, '--url', service.url, '--toolset', toolset], ENV, CLI_TIMEOUT);
    expect(code, stderr).toBe(0);
    const lines = readJsonl(out);
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => l.toolset_version === 0 && l.components[0].tool === 'exact_match')).toBe(true);
    expect(new Set(lines.map((l) => l.toolset_hash)).size).toBe(1);
    // "Bonjour le monde" is its reference exactly; "#### 96" is not "72".
    expect(rewardsByRow(out)).toMatchObject({ 2: 0, 3: 1 });
  });

  it('sends the key of a service with RLAR_API_KEYS, and stops at once naming a 401 without it', async () => {
    const guarded = await startService({ ...ENV, RLAR_API_KEYS: 'k-123' });
    try {
      const out = join(dir, 'keyed.jsonl');
      const refused = await runCli(['score', join(dir, 'rows.jsonl'), '--out', out, '--url', guarded.url], ENV, CLI_TIMEOUT);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/POST \/reward: 401/);
      const { code, stderr } = await runCli(['score', join(dir, 'rows.jsonl'), '--out', out, '--url', guarded.url, '--api-key', 'k-123'], ENV, CLI_TIMEOUT);
      expect(code, stderr).toBe(0);
      expect(readJsonl(out)).toHaveLength(4);
    } finally {
      await guarded.stop();
    }
  });

  it('eval writes no result when no row could be judged (the service is away), and exits 1', async () => {
    const out = join(dir, 'eval-unreachable');
    const { code, stderr } = await runCli(['eval', writePreferences(), '--out', out, '--url', 'http://127.0.0.1:9', '--batch-size', '100'], ENV, CLI_TIMEOUT);
    expect(code).toBe(1);
    expect(stderr).toMatch(/row 1: a response could not be scored \(POST http:\/\/127\.0\.0\.1:9\/reward failed/);
    expect(stderr).toContain('nothing written');
    expect(existsSync(join(out, 'result.json'))).toBe(false);
  });

  it('says so and exits 1 when the service cannot be reached, leaving the rows for a later run', async () => {
    const out = join(dir, 'unreachable.jsonl');
    const { code, stderr } = await runCli(['score', join(dir, 'rows.jsonl'), '--out', out, '--url', 'http://127.0.0.1:9'], ENV, CLI_TIMEOUT);
    expect(code).toBe(1);
    expect(stderr).toMatch(/4 responses could not be scored now .*run the same command again/);
  });
});
