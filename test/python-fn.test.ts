import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combine, type Toolset } from '../src/tools/toolset.ts';
import { postJson, startService, type RunningService } from './helpers/service.ts';

// Python reward functions (the `python` tool) through HTTP, run in the real bubblewrap sandbox.

const SECRET = 'canary-secret-4b1d7e';
const GSM8K = readFileSync(new URL('./fixtures/python-fn/gsm8k_reward.py', import.meta.url), 'utf8');
let service: RunningService;
let listener: Server;
let port = 0;
let connections = 0;

beforeAll(async () => {
  service = await startService({ RLAR_TEST_SECRET: SECRET });
  // A host service a function may try to reach.
  listener = createServer((socket) => {
    connections++;
    socket.end('hello');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
});
afterAll(async () => {
  await service.stop();
  listener.close();
});

interface Scored {
  scores: number[];
  details: { detail?: Record<string, unknown>; error?: string; abstained?: boolean }[];
}

async function score(source: string, items: unknown[], params: Record<string, unknown> = {}): Promise<Scored> {
  const { status, json } = await postJson(`${service.url}/tools/python/score`, { items, params: { source, ...params } });
  expect(status).toBe(200);
  return json as Scored;
}

const item = (response: string, reference = '42', extra: Record<string, unknown> = {}) => ({ prompt: 'What is 6 * 7?', response, reference, ...extra });

describe('python tool: signature forms', () => {
  it('runs a verl reward file unchanged (gsm8k style: regex extraction, format score)', async () => {
    const items = [
      item('6 * 7 = 42.\n#### 42', '42', { task: 'openai/gsm8k' }),
      item('I think it is 41.\n#### 41', '42', { task: 'openai/gsm8k' }),
      item('The answer is 42 but without the marker', '42', { task: 'openai/gsm8k' }),
      item('#### 1,234', '1234', { task: 'openai/gsm8k' }),
    ];
    const result = await score(GSM8K, items);
    expect(result.details.map((d) => d.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(result.scores).toEqual([1, 0, 0, 1]);
  });

  it('calls compute_score with verl keywords, including extra_info and data_source from the item', async () => {
    const source = `
def compute_score(data_source, solution_str, ground_truth, extra_info=None):
    return {"score": 1.0 if solution_str.strip() == ground_truth else 0.0, "data_source": data_source, "split": (extra_info or {}).get("split")}
`;
    const result = await score(source, [item('42', '42', { task: 'openai/gsm8k', metadata: { split: 'train' } }), item('7')]);
    expect(result.scores).toEqual([1, 0]);
    expect(result.details[0]!.detail).toEqual({ data_source: 'openai/gsm8k', split: 'train' });
    expect(result.details[1]!.detail).toEqual({ data_source: '', split: null });
  });

  it('calls score(prompt, response, reference) and grade(sample, item) the way OpenAI python graders get them', async () => {
    const scoreSource = `
def score(prompt, response, reference):
    return 0.5 if "6 * 7" in prompt and response == reference else 0.0
`;
    expect((await score(scoreSource, [item('42'), item('41')])).scores).toEqual([0.5, 0]);
    const gradeSource = `
def grade(sample, item) -> float:
    if sample["output_json"] is not None:
        return float(sample["output_json"].get("answer") == item["reference_answer"])
    return 1.0 if sample["output_text"].strip().endswith(item["reference_answer"]) and item["difficulty"] == "easy" else 0.0
`;
    const graded = await score(gradeSource, [
      item('so: 42', '42', { metadata: { difficulty: 'easy' } }),
      item('{"answer": "42"}', '42', { metadata: { difficulty: 'easy' } }),
      item('so: 41', '42', { metadata: { difficulty: 'easy' } }),
    ]);
    expect(graded.details.map((d) => d.error)).toEqual([undefined, undefined, undefined]);
    expect(graded.scores).toEqual([1, 1, 0]);
  });

  it('calls the function params.entry names, its form read from its parameters', async () => {
    const source = `
def score(prompt, response, reference):
    return 0.0
def my_reward(data_source, solution_str, ground_truth, extra_info=None):
    return 1.0 if solution_str == ground_truth else 0.25
def my_grader(sample, item):
    return 0.75
`;
    expect((await score(source, [item('42'), item('1')], { entry: 'my_reward' })).scores).toEqual([1, 0.25]);
    expect((await score(source, [item('42')], { entry: 'my_grader' })).scores).toEqual([0.75]);
    expect((await score(source, [item('42')])).scores).toEqual([0]);
    const missing = await score(source, [item('42')], { entry: 'nowhere' });
    expect(missing.details[0]!.error).toMatch(/defines no function nowhere/);
  });

  it('uses a library installed on the host (numpy), and maps params.score_range onto [0, 1]', async () => {
    const source = `
import numpy as np
def score(prompt, response, reference):
    return np.float64(1.0) if response == reference else np.int64(-1)
`;
    const result = await score(source, [item('42'), item('41')], { score_range: [-1, 1] });
    expect(result.details.map((d) => d.error)).toEqual([undefined, undefined]);
    expect(result.scores).toEqual([1, 0]);
  });
});

describe('python tool: abstain and errors cost only their item', () => {
  it('abstains on None: the item gets the fallback and says so; a weighted toolset leaves it to the other tools', async () => {
    const source = `
def score(prompt, response, reference):
    if response == "skip":
        return None
    if response == "skip-dict":
        return {"score": None, "why": "not mine"}
    return 1.0
`;
    const result = await score(source, [item('skip'), item('42'), item('skip-dict')]);
    expect(result.scores).toEqual([0, 1, 0]);
    expect(result.details[0]).toMatchObject({ abstained: true, error: expect.stringMatching(/abstained/) });
    expect(result.details[1]!.error).toBeUndefined();
    expect(result.details[1]).not.toHaveProperty('abstained');
    expect(result.details[2]).toMatchObject({ detail: { why: 'not mine' } });
    expect(result.details[2]!.error).toMatch(/abstained/);

    const toolset = { tools: [{ tool: 'python', weight: 0.5 }, { tool: 'exact_match', weight: 0.25 }, { tool: 'choice', weight: 0.25 }], fallback: 0 } as Toolset;
    const combined = combine(toolset, [
      { tool: 'python', score: 0, weight: 0.5, abstained: true },
      { tool: 'exact_match', score: 1, weight: 0.25 },
      { tool: 'choice', score: 0, weight: 0.25 },
    ]);
    expect(combined.reward).toBe(0.5);
    expect(combined.components.map((c) => c.weight)).toEqual([0, 0.5, 0.5]);

    // With gates: an abstaining gate shuts nothing; a gate that passes gives no reward of its own.
    const gated = { tools: [{ tool: 'think_format', weight: 0, gate: 1 }, { tool: 'python', weight: 1 }], fallback: 0 } as Toolset;
    const abstainingGate = combine(gated, [
      { tool: 'think_format', score: 0, weight: 0, abstained: true },
      { tool: 'python', score: 0.75, weight: 1 },
    ]);
    expect(abstainingGate.reward).toBe(0.75);
    const passedGateOnly = combine(gated, [
      { tool: 'think_format', score: 1, weight: 0 },
      { tool: 'python', score: 0, weight: 1, abstained: true },
    ]);
    expect(passedGateOnly).toMatchObject({ reward: 0, error: expect.stringMatching(/abstained/) });
  });

  it('turns exceptions, bad return values and a source that does not load into item errors with the reason', async () => {
    const source = `
import math
def score(prompt, response, reference):
    if response == "raise":
        raise ValueError("cannot parse " + response)
    if response == "text":
        return "0.5"
    if response == "nan":
        return math.nan
    if response == "big":
        return 3
    if response == "nodict":
        return {"value": 1}
    if response == "exit":
        raise SystemExit(2)
    return 1
`;
    const result = await score(source, ['raise', 'text', 'nan', 'big', 'nodict', 'exit', 'fine'].map((r) => item(r)));
    expect(result.scores).toEqual([0, 0, 0, 0, 0, 0, 1]);
    const errors = result.details.map((d) => d.error ?? '');
    expect(errors[0]).toMatch(/ValueError: cannot parse raise \(line 5\)/);
    expect(errors[1]).toMatch(/returned str, not a number/);
    expect(errors[2]).toMatch(/returned nan, not a finite number/);
    expect(errors[3]).toMatch(/returned 3, outside \[0, 1\]/);
    expect(errors[4]).toMatch(/a dict without "score"/);
    expect(errors[5]).toMatch(/SystemExit/);
    expect(errors[6]).toBe('');

    const broken = await score('def score(prompt, response reference):\n    return 1\n', [item('a'), item('b')]);
    expect(broken.details.every((d) => /loading the source failed: SyntaxError/.test(d.error ?? ''))).toBe(true);
    const importError = await score('import no_such_module_xyz\ndef score(p, r, ref):\n    return 1\n', [item('a')]);
    expect(importError.details[0]!.error).toMatch(/ModuleNotFoundError/);
    const nothing = await score('x = 1\n', [item('a')]);
    expect(nothing.details[0]!.error).toMatch(/defines no function compute_score, score or grade/);
  });

  it('refuses bad params with a 400 that names them', async () => {
    const source = 'def score(p, r, ref):\n    return 1\n';
    const negative = await postJson(`${service.url}/tools/python/score`, { items: [item('a')], params: { source, time_limit_ms: -5 } });
    expect(negative.status).toBe(400);
    expect(negative.json.message).toBe('body/params/time_limit_ms must be >= 10');
    const sourceless = await postJson(`${service.url}/tools/python/score`, { items: [item('a')], params: {} });
    expect(sourceless.status).toBe(400);
    expect(sourceless.json.message).toBe("body/params must have required property 'source'");
  });
});

describe('python tool: limits', () => {
  it('stops an endless loop at the time limit and a memory bomb at the memory limit; the other items score', async () => {
    const source = `
def score(prompt, response, reference):
    if response == "loop":
        while True:
            pass
    if response == "memory":
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024 * 1024))
    if response == "hoard":
        global kept
        try:
            kept = [bytearray(16 * 1024 * 1024) for _ in range(1000)]
        except MemoryError:
            pass
        return 0.5
    return 1
`;
    const items = ['loop', 'fine', 'memory', 'fine', 'hoard', 'fine'].map((r) => item(r));
    const result = await score(source, items, { time_limit_ms: 5000, memory_mb: 256 });
    // The item that hoards memory may lose its own result; the next one does not pay for it.
    expect([result.scores[0], result.scores[1], result.scores[2], result.scores[3], result.scores[5]]).toEqual([0, 1, 0, 1, 1]);
    expect(result.details[0]!.error).toMatch(/took longer than 5000 ms/);
    expect(result.details[2]!.error).toMatch(/MemoryError/);
  });
});

describe('python tool: hostile functions are contained', () => {
  it('cannot read host files or the service environment, nor reach the network', async () => {
    const source = `
import os, socket, glob
def score(prompt, response, reference):
    found = []
    for path in ["/etc/passwd", "/etc/shadow", "/proc/1/environ", "/root/.bashrc", "/work/reward_fn.py"] + glob.glob("/proc/*/environ"):
        try:
            with open(path, "rb") as f:
                found.append(path + ":" + f.read(2000).decode("latin-1"))
        except OSError:
            pass
    found.append("env:" + repr(dict(os.environ)))
    try:
        s = socket.create_connection(("127.0.0.1", ${0}), timeout=1)
        found.append("net:" + s.recv(10).decode())
    except OSError as e:
        found.append("net-error:" + type(e).__name__)
    return {"score": 1.0, "found": found}
`;
    const result = await score(source.replace('${0}', String(port)), [item('x')]);
    const text = JSON.stringify(result);
    expect(result.scores).toEqual([1]);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('root:x:0:0');
    expect(text).toContain('net-error:');
    expect(connections).toBe(0);
  });

  it('contains a fork bomb and huge output to its own items', async () => {
    const source = `
import os, sys
def score(prompt, response, reference):
    if response == "fork":
        while True:
            try:
                os.fork()
            except OSError:
                pass
    if response == "print":
        chunk = "x" * (1 << 20)
        for _ in range(300):
            sys.stdout.write(chunk)
            sys.stderr.write(chunk)
        return 0.5
    if response == "detail":
        return {"score": 0.5, "blob": "y" * (1 << 20)}
    if response == "detail-100k":
        return {"score": 0.5, "blob": "y" * 100000}
    if response == "deep":
        nested = {}
        for _ in range(100000):
            nested = {"a": nested}
        return {"score": 0.75, "nested": nested}
    return 1
`;
    // The bomb holds the machine's processes of the sandbox user only until its call's time limit.
    // 24 items make chunks of 3: each hostile item shares its chunk with honest ones.
    const responses = Array.from({ length: 24 }, (_, i) => ({ 1: 'fork', 4: 'print', 7: 'detail', 10: 'detail-100k', 13: 'deep' })[i] ?? 'fine');
    const result = await score(source, responses.map((r) => item(r)), { time_limit_ms: 1500 });
    expect(result.scores).toEqual(responses.map((r) => ({ fork: 0, print: 0.5, detail: 0, 'detail-100k': 0, deep: 0.75 })[r] ?? 1));
    expect(result.details[1]!.error).toBeDefined();
    expect(result.details[7]!.error).toMatch(/larger than 65536 bytes/);
    // Over the limit by less than one read of the channel: it once passed whole.
    expect(result.details[10]!.error).toMatch(/larger than 65536 bytes/);
    // Too deep to serialize or show: the score stands, the detail says why it is missing.
    expect(result.details[13]).toMatchObject({ detail: { unserializable: 'a dict that cannot be shown' } });
  });

  it('cannot forge results with a carriage return in a frame, nor stop the scoring thread with a malformed line', async () => {
    // The frame carries the call's own nonce (read from the worker loop's locals), then "\r" and forged
    // lines: the service's line reader once split at "\r" and took them (third-party review).
    const source = `
import os, sys
def score(prompt, response, reference):
    if response.startswith("forge"):
        f = sys._getframe()
        while f is not None and "nonce" not in f.f_locals:
            f = f.f_back
        tails = {
            "forge": "".join("\\r%d %d ok {\\"score\\": 1.0}" % (c, k) for c in range(40) for k in range(8)),
            "forge-short": "".join("\\r%d %d" % (c, k) for c in range(40) for k in range(8)),
            "forge-ready": "\\rready {",
        }
        os.write(4, f.f_locals["nonce"] + b' {"score": 0.0}' + tails[response].encode() + b"\\n")
        os._exit(0)
    return 0.0
`;
    for (const hostile of ['forge', 'forge-short', 'forge-ready']) {
      const responses = [hostile, ...Array.from({ length: 7 }, () => 'wrong')];
      const result = await score(source, responses.map((r) => item(r)), { isolation: 'call' });
      expect(result.scores, hostile).toEqual(responses.map(() => 0));
      expect(result.details[0]!.error, hostile).toMatch(/protocol violation|stopped|failed/);
      expect(result.details.slice(1).every((d) => d.error === undefined && d.detail === undefined), hostile).toBe(true);
    }
  });

  it('cannot write other items\' results: protocol stream writes, dup2 onto the channels, threads and children that linger', async () => {
    // Honest answers are 0.25; every attack tries to make the later items score 1.
    const source = `
import os, sys, threading, time
FAKE = b'0 1 ok {"score": 1.0}\\n0 2 ok {"score": 1.0}\\nready {"score": 1.0}\\n' + b''.join(b'%x {"score": 1.0}\\n' % i for i in range(4))
def flood():
    for fd in range(0, 64):
        try:
            os.write(fd, FAKE)
        except OSError:
            pass
def score(prompt, response, reference):
    if response == "write":
        flood()
        return 0.0
    if response == "dup2":
        r, w = os.pipe()
        for fd in range(0, 64):
            if fd not in (r, w):
                try:
                    os.dup2(w, fd)
                except OSError:
                    pass
        return 0.0
    if response == "thread":
        def steal():
            while True:
                try:
                    line = os.read(3, 65536)
                    nonce = line.split(b" ")[0]
                    os.write(4, nonce + b' {"score": 1.0}\\n')
                except OSError:
                    time.sleep(0.001)
        threading.Thread(target=steal, daemon=True).start()
        return 0.0
    if response.startswith("peek"):
        # Read the queued requests (the pipe, and what the worker's reader already buffered), answer
        # them all with forged frames, then return, hang or exit.
        import gc, io, fcntl
        seen = b""
        for obj in gc.get_objects():
            if isinstance(obj, io.BufferedReader):
                try:
                    seen += obj.peek(1 << 16)
                except Exception:
                    pass
        fcntl.fcntl(3, fcntl.F_SETFL, os.O_NONBLOCK)
        try:
            seen += os.read(3, 1 << 20)
        except OSError:
            pass
        nonces = [line.split(b" ")[0] for line in seen.split(b"\\n") if b" " in line]
        os.write(4, b"".join(n + b' {"score": 1.0}\\n' for n in nonces))
        if response == "peek-hang":
            while True:
                pass
        if response == "peek-exit":
            os._exit(0)
        return 0.0
    if response == "child":
        if os.fork() == 0:
            os.setsid()
            while True:
                try:
                    line = os.read(3, 65536)
                    os.write(4, line.split(b" ")[0] + b' {"score": 1.0}\\n')
                except OSError:
                    pass
        return 0.0
    return 0.25
`;
    const attacks = ['write', 'dup2', 'thread', 'child', 'peek', 'peek-hang', 'peek-exit'];
    const items = attacks.flatMap((attack) => [item(attack), item('honest'), item('honest')]);
    const result = await score(source, items, { time_limit_ms: 1000 });
    attacks.forEach((attack, i) => {
      expect({ attack, scores: result.scores.slice(i * 3 + 1, i * 3 + 3) }).toEqual({ attack, scores: [0.25, 0.25] });
    });
  });

  it('a call that patches modules, builtins or the runner\'s globals, or sets a trace hook, does not change the next results', async () => {
    const source = `
import builtins, json, sys
def score(prompt, response, reference):
    if response == "patch":
        json.dumps = lambda *a, **k: '{"score": 1.0}'
        json.loads = lambda *a, **k: {"prompt": "", "response": "42", "reference": "42"}
        json.JSONEncoder.encode = lambda self, o: '{"score": 1.0}'
        json.JSONDecoder.decode = lambda self, s: {"prompt": "", "response": "42", "reference": "42"}
        builtins.float = lambda *a: 1.0
        builtins.isinstance = lambda *a: False
        for module in list(sys.modules.values()):
            g = getattr(module, "__dict__", {})
            if g.get("__name__") == "__main__":
                for name in list(g):
                    if callable(g[name]) and not isinstance(g[name], type):
                        g[name] = lambda *a, **k: {"score": 1.0}
        return 0.0
    if response == "trace":
        def tracer(frame, event, arg):
            if event == "call":
                frame.f_back.f_locals.update(fn=lambda *a, **k: 1.0)
            return None
        sys.setprofile(tracer)
        return 0.0
    return 0.25
`;
    const result = await score(source, [item('patch'), item('honest'), item('honest'), item('trace'), item('honest')]);
    expect([result.scores[1], result.scores[2], result.scores[4]]).toEqual([0.25, 0.25, 0.25]);
  });

  it('can kill the runner that frames its results, and costs only its own item', async () => {
    const source = `
import os, signal
def score(prompt, response, reference):
    if response == "kill-parent":
        os.kill(os.getppid(), signal.SIGKILL)
    if response == "kill-all":
        os.kill(-1, signal.SIGKILL)
    return 0.25
`;
    // 24 items make chunks of 3 (2 threads x 4 chunks each): each killer shares its chunk with honest items.
    const responses = Array.from({ length: 24 }, (_, i) => (i === 4 ? 'kill-parent' : i === 13 ? 'kill-all' : 'honest'));
    const result = await score(source, responses.map((r) => item(r)));
    expect(result.scores).toEqual(responses.map((r) => (r === 'honest' ? 0.25 : 0)));
    expect(result.details[4]!.error).toMatch(/the function killed it/);
    expect(result.details[13]!.error).toMatch(/the function killed it/);
  });

  it('with isolation "call", a call that patches the runner (json, its own globals) changes nothing for the next items', async () => {
    const source = `
import json, sys
def score(prompt, response, reference):
    if response == "patch":
        json.dumps = lambda *a, **k: '{"score": 1.0}'
        json.JSONEncoder.encode = lambda self, o: '{"score": 1.0}'
        g = sys._getframe(1).f_globals
        for name in list(g):
            if callable(g[name]) and name not in ("__builtins__",):
                g[name] = lambda *a, **k: 1.0
        globals()["score"] = lambda *a, **k: 1.0
        return 0.0
    return 0.25
`;
    const result = await score(source, [item('patch'), item('honest'), item('honest')], { isolation: 'call' });
    // The patching call decides its own result (its patched json wrote it); the others keep theirs.
    expect(result.scores.slice(1)).toEqual([0.25, 0.25]);
  });
});

describe('python tool: another interpreter (RLAR_PYTHON)', () => {
  let dir: string;
  const isRoot = process.getuid?.() === 0;

  /** A virtualenv of the system Python with one module of its own in its site-packages. */
  function venv(at: string): string {
    execFileSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', at]);
    const lib = join(at, 'lib');
    writeFileSync(join(lib, readdirSync(lib)[0]!, 'site-packages', 'rlar_probe_lib.py'), 'ANSWER = 0.75\n');
    return join(at, 'bin', 'python3');
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rlar-pyfn-venv-'));
    chmodSync(dir, 0o755);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const source = 'import rlar_probe_lib\ndef score(prompt, response, reference):\n    return rlar_probe_lib.ANSWER\n';

  it('imports what the interpreter RLAR_PYTHON names has installed (a virtualenv, bound read-only)', async () => {
    const own = await startService({ RLAR_PYTHON: venv(join(dir, 'env')) });
    try {
      const { json } = await postJson(`${own.url}/tools/python/score`, { items: [item('x')], params: { source } });
      expect(json.details[0].error).toBeUndefined();
      expect(json.scores).toEqual([0.75]);
    } finally {
      await own.stop();
    }
    // The system Python does not have it.
    const system = await score(source, [item('x')]);
    expect(system.details[0]!.error).toMatch(/ModuleNotFoundError: No module named 'rlar_probe_lib'/);
  });

  it.runIf(isRoot)('says so when the sandbox user (nobody) cannot read that interpreter', async () => {
    const hidden = join(dir, 'hidden');
    mkdirSync(hidden, { mode: 0o700 });
    const own = await startService({ RLAR_PYTHON: venv(join(hidden, 'env')) });
    try {
      const { json } = await postJson(`${own.url}/tools/python/score`, { items: [item('x')], params: { source } });
      expect(json.details[0].error).toMatch(/needs .*hidden\/env, which the sandbox user \(nobody: the service runs as root\) cannot read/);
    } finally {
      await own.stop();
    }
  });
});
