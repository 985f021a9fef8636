import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startService, type RunningService } from './helpers/service.ts';

// Attacks on the code sandbox through HTTP, each checked on the host too: no secret of the service in
// any answer, no work directory left behind, memory back near where it was.

const CANARY = 'canary-secret-4d1e8b7a';
// The services under test keep their work directories in a temporary directory of their own, which
// the sandbox user must be able to pass through.
const TMP = mkdtempSync(join(tmpdir(), 'sandbox-hardening-'));
chmodSync(TMP, 0o711);
let service: RunningService;

beforeAll(async () => {
  service = await startService({ RLAR_CANARY: CANARY, OPENAI_API_KEY: CANARY, TMPDIR: TMP });
});
afterAll(async () => {
  await service.stop();
  rmSync(TMP, { recursive: true, force: true });
});

const b64 = (text: string) => Buffer.from(text).toString('base64');
const runCode = (body: Record<string, unknown>) => postJson(`${service.url}/run_code`, { language: 'python', ...body });
/** What the services left in their temporary directory. */
const workDirs = () => readdirSync(TMP);
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** Processes descended from `pid` on the host. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parents.set(Number(entry), Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))![1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const children = [...parents].filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...children);
    frontier = children;
  }
  return found;
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('fetch_files', () => {
  it('gives back regular files of the run only: no link is followed, on the last component or any other', async () => {
    const code = [
      'import os',
      'os.symlink("/proc/self/environ", "env")',
      'os.symlink("/proc/1/environ", "env1")',
      'os.symlink("/etc/shadow", "shadow")',
      'os.symlink("/proc/self", "proc")',
      'os.symlink("/", "root")',
      'os.mkdir("d")',
      'open("d/ok.txt", "w").write("fine")',
      'print("done")',
    ].join('\n');
    const { status, json, text } = await runCode({
      code,
      fetch_files: ['env', 'env1', 'shadow', 'proc/environ', 'root/etc/passwd', 'd/ok.txt', '../../proc/self/environ', '/etc/passwd', '/proc/self/environ'],
    });
    expect(status).toBe(200);
    expect(json.status).toBe('Success');
    expect(json.files).toEqual({ 'd/ok.txt': b64('fine') });
    expect(text).not.toContain(CANARY);
    expect(service.output()).not.toContain(CANARY);
  });

  it('does not see the host: not its environment, its /etc or other runs\' directories', async () => {
    const { json, text } = await runCode({
      code: 'import glob, os\nprint(sorted(glob.glob("/tmp/rlar-*")), os.path.exists("/etc/shadow"), os.listdir("/.rlar/in"))',
    });
    expect(json.run_result.stdout).toBe("[] False ['main.py']\n");
    expect(text).not.toContain(CANARY);
  });

  it('does not hang on a FIFO or a device, and the service goes on running code', async () => {
    const code = 'import os\nos.mkfifo("fifo")\nos.symlink("/dev/zero", "zero")\nos.symlink("/dev/urandom", "random")\nprint("made")';
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => runCode({ code, fetch_files: ['fifo', 'zero', 'random', '/dev/zero'] })),
    );
    for (const { status, json } of answers) {
      expect(status).toBe(200);
      expect(json).toMatchObject({ status: 'Success', files: {} });
    }
    const after = await runCode({ code: 'print(6 * 7)' });
    expect(after.json.run_result.stdout).toBe('42\n');
  });

  it('returns a file asked for under several names once, and caps the bytes it returns', async () => {
    const code = 'open("f", "wb").write(b"x" * (12 << 20))\nopen("g", "wb").write(b"y" * (12 << 20))';
    const { status, json, text } = await runCode({ code, fetch_files: ['f', './f', '/work/f', 'd/../f', 'f', 'g', './g'] });
    expect(status).toBe(200);
    expect(Object.keys(json.files)).toEqual(['f']); // g would pass the 16 MB budget
    expect(Buffer.from(json.files.f, 'base64').length).toBe(12 << 20);
    expect(text.length).toBeLessThan(20 << 20);
  });
});

describe('disk and memory of a run', () => {
  it('bounds what a run can write to /tmp and to its work directory, and leaves nothing on the host', async () => {
    const code = [
      'import os',
      'def fill(prefix):',
      '    written = 0',
      '    try:',
      '        for i in range(64):',
      '            with open(f"{prefix}{i}", "wb") as f:',
      '                f.write(b"x" * (32 << 20))',
      '            written += 32',
      '    except OSError as error:',
      '        return written, error.errno',
      '    return written, 0',
      'print(fill("/tmp/big"), fill("big"))',
    ].join('\n');
    const { json } = await runCode({ code, run_timeout: 30 });
    const [tmp, tmpErrno, work, workErrno] = (json.run_result.stdout as string).match(/\d+/g)!.map(Number);
    expect(tmpErrno).toBe(28); // ENOSPC: 2 GB asked for
    expect(workErrno).toBe(28);
    expect(tmp).toBeLessThanOrEqual(256);
    expect(work).toBeLessThanOrEqual(256);
    expect(workDirs()).toEqual([]);
  });

  it('leaves no process behind: not a daemon, not a fork bomb', async () => {
    const daemon = 'import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(600)\n    os._exit(0)\nprint("detached")';
    const bomb = 'import os, time\nwhile True:\n    if os.fork() == 0:\n        time.sleep(600)\n        os._exit(0)';
    const [detached, bombed] = await Promise.all([runCode({ code: daemon }), runCode({ code: bomb, run_timeout: 5 })]);
    expect(detached.json.run_result.stdout).toBe('detached\n');
    expect(bombed.json.run_result.stderr).toMatch(/BlockingIOError|Resource temporarily unavailable/);
    await until(() => descendants(service.pid).length === 0, 'the sandboxes\' processes to go');
  });

  it('lets no run start a session of its own, through os.setsid or the raw system call, in one-off and warm sandboxes', async () => {
    // With autogroup scheduling a session is a scheduling group with a fair share of the CPU: a run
    // with a hundred sessions would take a hundred shares from the programs of other sandboxes.
    const program = [
      'import ctypes, os',
      'SETSID = {"x86_64": 112, "aarch64": 157}[os.uname().machine]',
      'for how in ("os.setsid", "syscall"):',
      '    pid = os.fork()',
      '    if pid == 0:',
      '        try:',
      '            if how == "os.setsid":',
      '                os.setsid()',
      '            elif ctypes.CDLL(None, use_errno=True).syscall(SETSID) == -1:',
      '                raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))',
      '            print(how, "started a session", flush=True)',
      '        except PermissionError:',
      '            print(how, "refused", flush=True)',
      '        os._exit(0)',
      '    os.waitpid(pid, 0)',
    ].join('\n');
    const refused = 'os.setsid refused\nsyscall refused\n';
    expect((await runCode({ code: program })).json.run_result.stdout).toBe(refused);
    const { json } = await postJson(`${service.url}/tools/code_tests/score`, { items: [{ prompt: 'p', response: `\`\`\`python\n${program}\n\`\`\``, reference: { inputs: [''], outputs: [refused] } }] });
    expect(json.scores, JSON.stringify(json.details)).toEqual([1]);
  });

  it("counts a sandbox's processes alone: a fork bomb at its limit does not stop other sandboxes' programs", async () => {
    // Every sandbox runs as the same user (nobody); RLIMIT_NPROC must bind per sandbox, not per user.
    const bomb = 'import os, time\ncapped = False\nwhile True:\n    try:\n        if os.fork() == 0:\n            time.sleep(600)\n            os._exit(0)\n    except OSError:\n        if not capped:\n            capped = print("capped", flush=True) or True\n        time.sleep(0.01)';
    const spawner = 'import subprocess\nprint(subprocess.run(["python3", "-c", "print(6 * 7)"], capture_output=True, text=True).stdout.strip())';
    const bombed = runCode({ code: bomb, run_timeout: 8 });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the bomb reaches its 64 processes in well under a second
    const others = await Promise.all(Array.from({ length: 4 }, () => runCode({ code: spawner, run_timeout: 5 })));
    expect(others.map(({ json }) => json.run_result.stdout)).toEqual(Array(4).fill('42\n'));
    // The bomb did reach its limit (and went on trying while the others ran).
    expect((await bombed).json.run_result.stdout).toBe('capped\n');
  });

  it('lets a run make 20,000 files and cleans up after it on the host', async () => {
    const code = 'import os\nfor i in range(20000):\n    open(f"f{i}", "w").close()\nprint(len(os.listdir(".")))';
    const { json } = await runCode({ code, run_timeout: 30, fetch_files: Array.from({ length: 200 }, (_, i) => `f${i}`) });
    expect(json.run_result.stdout).toBe('20001\n');
    expect(Object.keys(json.files)).toHaveLength(64); // at most 64 files come back
    expect(workDirs()).toEqual([]);
  });

  it("holds JavaScript's Buffers and arrays to memory_limit_MB", async () => {
    const buffers = 'const kept = [];\nfor (let i = 0; i < 40; i++) kept.push(Buffer.alloc(64 * 1024 * 1024, 1));\nconsole.log("allocated 2.5 GB");';
    const typed = 'const kept = [];\nfor (let i = 0; i < 40; i++) kept.push(new Uint8Array(64 * 1024 * 1024).fill(1));\nconsole.log("allocated 2.5 GB");';
    for (const code of [buffers, typed]) {
      const { json } = await runCode({ code, language: 'javascript', memory_limit_MB: 256 });
      expect(json.status).toBe('Failed');
      expect(json.run_result.stdout).not.toContain('allocated');
    }
    const small = await runCode({ code: 'console.log(Buffer.alloc(64 * 1024 * 1024).length)', language: 'javascript', memory_limit_MB: 256 });
    expect(small.json.run_result.stdout).toBe(`${64 * 1024 * 1024}\n`);
  });

  it('keeps the service near its memory baseline through hostile runs', async () => {
    const before = rssMb(service.pid);
    await runCode({ code: 'import os\nos.symlink("/dev/zero", "z")\nopen("f", "wb").write(b"x" * (15 << 20))', fetch_files: ['z', 'f', './f', '/work/f', 'f/.'] });
    expect(rssMb(service.pid)).toBeLessThan(before + 400);
  });
});

describe('input files', () => {
  it('refuses a name outside the work directory with 400 before anything is written', async () => {
    const before = workDirs();
    for (const name of ['../x', '.', '', 'a\u0000b', 'x/'.repeat(600), '/etc/x', 'a/../../x', 'line\nbreak']) {
      const { status, json } = await runCode({ code: 'print(1)', files: { [name]: b64('x') } });
      expect(status, JSON.stringify(name)).toBe(400);
      expect(json.message).toMatch(/body\/files/);
    }
    const twice = await runCode({ code: 'print(1)', files: { a: b64('1'), './a': b64('2') } });
    expect(twice.status).toBe(400);
    expect(workDirs()).toEqual(before);
    const ok = await runCode({ code: 'print(open("sub/in.txt").read())', files: { 'sub/in.txt': b64('hello') } });
    expect(ok.json.run_result.stdout).toBe('hello\n');
  });
});

describe('HumanEval and MBPP passes', () => {
  const humaneval = { test: 'def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(5) == 6\n', entry_point: 'inc' };
  const mbpp = { test_list: ['assert inc(1) == 2', 'assert inc(5) == 6'] };
  const fenced = (code: string) => `\`\`\`python\n${code}\n\`\`\``;
  const hacks: [string, string][] = [
    ['sys.exit(0)', 'import sys\nsys.exit(0)'],
    ['os._exit(0)', 'import os\nos._exit(0)'],
    ['SystemExit in atexit', 'import atexit, os\ndef leave():\n    os._exit(0)\natexit.register(leave)\nraise SystemExit(0)'],
    ['kill the parent', 'import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos._exit(0)'],
    ['fake markers', 'print("PASSED")\nprint("ok")\nimport sys\nsys.stdout.flush()\nsys.exit(0)'],
    ['kill every process', 'import os, signal\nos.kill(-1, signal.SIGKILL)'],
    ['exit from the function', 'def inc(x):\n    import os\n    os._exit(0)'],
    ['patched builtins', 'import builtins, sys\nbuiltins.AssertionError = SystemExit\ndef inc(x):\n    sys.exit(0)'],
    ['stdin read for a token', 'import sys\nprint(sys.stdin.read())\nsys.exit(0)'],
    ['the harness from the globals', "import os\nfor name, value in list(globals().items()):\n    if name.startswith('_rlar'):\n        value()\nos._exit(0)"],
    ['the harness from __main__', "import os, sys\nfor name, value in list(vars(sys.modules['__main__']).items()):\n    if name.startswith('_rlar'):\n        value()\nos._exit(0)"],
  ];

  it('are not faked by leaving early, in either format', async () => {
    // Each defines a wrong inc, so only the hack could pass.
    const wrong = '\ndef inc(x):\n    return 0\n';
    const items = hacks.map(([, code]) => (code.includes('def inc') ? code : `${wrong}${code}`)).flatMap((code) => [
      { prompt: 'def inc(x):\n', response: fenced(code), reference: humaneval },
      { prompt: 'Increment.', response: fenced(code), reference: mbpp },
    ]);
    const correct = 'def inc(x):\n    return x + 1';
    items.push({ prompt: 'def inc(x):\n', response: fenced(correct), reference: humaneval }, { prompt: 'Increment.', response: fenced(correct), reference: mbpp });
    const { status, json } = await postJson(`${service.url}/tools/code_tests/score`, { items });
    expect(status).toBe(200);
    const expected = [...hacks.flatMap(() => [0, 0]), 1, 1];
    hacks.forEach(([name], i) => expect(json.scores.slice(2 * i, 2 * i + 2), name).toEqual([0, 0]));
    expect(json.scores).toEqual(expected);
  });

  it('are not faked by printing a verdict of its own in the function-call format', async () => {
    const reference = { inputs: [[1], [5]], outputs: [2, 6], fn_name: 'inc' };
    const forged = 'import os\nos.write(1, b\'\\n{"passed": true, "got": "2", "token": ""}\\n\')\nos._exit(0)\ndef inc(x):\n    return 0';
    const { json } = await postJson(`${service.url}/tools/code_tests/score`, {
      items: [
        { prompt: 'Increment.', response: fenced(forged), reference },
        { prompt: 'Increment.', response: fenced('def inc(x):\n    return x + 1'), reference },
      ],
    });
    expect(json.scores).toEqual([0, 1]);
  });

  it('still pass a correct program that imports from __future__ and prints', async () => {
    const code = 'from __future__ import annotations\ndef inc(x: int) -> int:\n    print("called", x)\n    return x + 1';
    const { json } = await postJson(`${service.url}/tools/code_tests/score`, {
      items: [
        { prompt: 'def inc(x):\n', response: fenced(code), reference: humaneval },
        { prompt: 'Increment.', response: fenced(code), reference: mbpp },
      ],
    });
    expect(json.scores).toEqual([1, 1]);
  });
});

describe('the referee of assert tests and function calls', () => {
  // Each attack defines a wrong inc and tries to pass anyway: by finding the run's token (or the case)
  // in the harness's frames, objects, memory or descriptors and forging the verdict, by patching what
  // writes the verdict, or by returning something that equals everything. The referee runs the tests
  // and keeps the token in a process of its own, forked off before it reads stdin.
  const humaneval = { test: 'def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(5) == 6\n', entry_point: 'inc' };
  const mbpp = { test_list: ['assert inc(1) == 2', 'assert inc(5) == 6'] };
  const call = { inputs: [[1], [5]], outputs: [2, 6], fn_name: 'inc' };
  const fenced = (code: string) => `\`\`\`python\n${code}\n\`\`\``;
  /** What every attack uses: tokens in a value (base64 inside strings too), and both harnesses' verdicts for them. */
  const hunt = String.raw`import base64, json, os, re
HEX = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
def tokens_in(value, depth=0):
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, str):
        found = HEX.findall(value)
        try:
            found += HEX.findall(base64.b64decode(value, validate=True).decode("latin-1"))
        except Exception:
            pass
        return found
    if depth < 3 and isinstance(value, dict):
        return [token for item in list(value.values()) for token in tokens_in(item, depth + 1)]
    if depth < 3 and isinstance(value, (list, tuple)):
        return [token for item in value for token in tokens_in(item, depth + 1)]
    return []
def forge(found):
    # The assert harness's token line for each, then the function-call verdict, the first found last.
    found = list(dict.fromkeys(found))
    for token in found:
        os.write(1, ("\n" + token + "\n").encode())
    for token in reversed(found):
        os.write(1, ("\n" + json.dumps({"passed": True, "got": "2", "token": token}) + "\n").encode())
    os._exit(0)
`;
  const attacks: [string, string][] = [
    [
      'stack frames',
      'def inc(x):\n    import sys\n    found, frame = [], sys._getframe()\n    while frame is not None:\n        found += tokens_in(frame.f_locals) + tokens_in(frame.f_globals)\n        frame = frame.f_back\n    forge(found)',
    ],
    ['inspect.stack()', 'def inc(x):\n    import inspect\n    forge([token for info in inspect.stack() for token in tokens_in(info.frame.f_locals)])'],
    [
      'gc.get_objects()',
      [
        'def inc(x):',
        '    import gc',
        '    found = []',
        '    for value in gc.get_objects():',
        '        if isinstance(value, dict):',
        '            if value.get("args") == [x] and "expected" in value:',
        '                return value["expected"]  # the case itself',
        '            found += tokens_in(value)',
        '    forge(found)',
      ].join('\n'),
    ],
    [
      'patched json.dumps, os.write, print, sys.stdout and the harness',
      [
        'import builtins, sys',
        'real_dumps, real_write = json.dumps, os.write',
        'json.dumps = lambda value, *a, **k: real_dumps(dict(value, passed=True) if isinstance(value, dict) and "passed" in value else value, *a, **k)',
        'os.write = lambda fd, data: real_write(fd, data.replace(b\'"passed": false\', b\'"passed": true\'))',
        'builtins.print = lambda *a, **k: real_write(1, b\'\\n{"passed": true}\\n\')',
        'class Out:',
        '    def write(self, text):',
        '        return real_write(1, text.replace(\'"passed": false\', \'"passed": true\').encode())',
        '    def flush(self):',
        '        pass',
        'sys.stdout = sys.__stdout__ = Out()',
        'sys.modules["__main__"].same = lambda a, b: True',
        'def inc(x):\n    return 0',
      ].join('\n'),
    ],
    ['an __eq__ that is always true', 'class Anything:\n    __hash__ = object.__hash__\n    def __eq__(self, other):\n        return True\n    def __ne__(self, other):\n        return False\ndef inc(x):\n    return Anything()'],
    ['an int whose __eq__ is always true', 'class Rigged(int):\n    __hash__ = int.__hash__\n    def __eq__(self, other):\n        return True\n    def __ne__(self, other):\n        return False\ndef inc(x):\n    return Rigged(0)'],
    [
      "the parent's memory, ptrace, pidfd_getfd, and its own memory",
      [
        'def inc(x):',
        '    import ctypes, sys',
        '    libc = ctypes.CDLL(None, use_errno=True)',
        '    report, found, parent = [], [], os.getppid()',
        '    report.append("ptrace: " + ("attached" if libc.ptrace(16, parent, 0, 0) == 0 else "denied"))',
        '    for pid in (parent, os.getpid()):',
        '        try:',
        '            with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:',
        '                for line in maps:',
        '                    span, perms = line.split()[:2]',
        '                    start, end = (int(p, 16) for p in span.split("-"))',
        '                    if "r" not in perms or end - start > 1 << 26:',
        '                        continue',
        '                    for offset in range(start, end, 1 << 20):',
        '                        try:',
        '                            mem.seek(offset)',
        '                            data = mem.read(min(end - offset, (1 << 20) + 64))',
        '                        except (OSError, ValueError, OverflowError):',
        '                            break',
        '                        found += [m.decode() for m in re.findall(rb\'"token": "([0-9a-f]{32})"\', data)]',
        '                        found += [m.decode() for m in re.findall(rb"(?<![0-9a-f])([0-9a-f]{32})\\n\\d+\\n", data)]',
        '            report.append(f"memory of {\'parent\' if pid == parent else \'self\'}: read")',
        '        except OSError as error:',
        '            report.append(f"memory of {\'parent\' if pid == parent else \'self\'}: {error.strerror}")',
        '    try:',
        '        pidfd = os.pidfd_open(parent)',
        '        for fd in range(8):',
        '            stolen = libc.syscall(438, pidfd, fd, 0)',
        '            report.append(f"pidfd_getfd {fd}: " + ("stolen" if stolen >= 0 else "denied"))',
        '            if stolen >= 0:',
        '                os.set_blocking(stolen, False)',
        '                try:',
        '                    found += tokens_in(os.read(stolen, 1 << 16))',
        '                except OSError:',
        '                    pass',
        '    except OSError as error:',
        '        report.append("pidfd_open: " + error.strerror)',
        '    sys.stderr.write("; ".join(report) + "\\n")',
        '    sys.stderr.flush()',
        '    forge(found)',
      ].join('\n'),
    ],
    [
      'fd 0 and every inherited descriptor',
      'def inc(x):\n    found = []\n    for fd in range(64):\n        try:\n            os.set_blocking(fd, False)\n            found += tokens_in(os.read(fd, 1 << 20))\n        except OSError:\n            pass\n    forge(found)',
    ],
  ];
  const correct = fenced('def inc(x):\n    return x + 1');
  const score = async (url: string, items: object[]) => {
    const { status, json } = await postJson(`${url}/tools/code_tests/score`, { items });
    expect(status).toBe(200);
    return json as { scores: number[]; details: { cases: { message?: string }[] }[] };
  };
  /** The scores of `wrong`, then of the correct program, on each reference. */
  const wrongThenCorrect = async (wrong: string, references: object[]) => {
    const items = [wrong, correct].flatMap((response) => references.map((reference) => ({ prompt: 'def inc(x):\n', response, reference })));
    return (await score(service.url, items)).scores;
  };

  it('score 0 for every attack in the HumanEval, MBPP and function-call formats, and 1 for a correct program', { timeout: 120_000 }, async () => {
    const references = [humaneval, mbpp, call];
    const items = attacks.flatMap(([, code]) => references.map((reference) => ({ prompt: 'def inc(x):\n', response: fenced(`${hunt}\n${code}`), reference })));
    items.push(...references.map((reference) => ({ prompt: 'def inc(x):\n', response: correct, reference })));
    const { scores, details } = await score(service.url, items);
    attacks.forEach(([name], i) => expect(scores.slice(3 * i, 3 * i + 3), name).toEqual([0, 0, 0]));
    expect(scores.slice(-3), 'the correct program').toEqual([1, 1, 1]);
    // The referee is the candidate's parent, and out of its reach.
    const memory = attacks.findIndex(([name]) => name.startsWith("the parent's memory"));
    const report = JSON.stringify(details.slice(3 * memory, 3 * memory + 3));
    expect(report).toMatch(/ptrace: denied/);
    expect(report).toMatch(/memory of parent: Permission denied/);
    // pidfd_open is refused by the seccomp filter (and pidfd_getfd was by the referee's non-dumpable state).
    expect(report).toMatch(/pidfd_open: Operation not permitted/);
    expect(report).not.toMatch(/attached|stolen|memory of parent: read/);
  });

  it('score 0 for the same attacks in a sandbox of their own (no warm pool)', { timeout: 120_000 }, async () => {
    // A fresh service and items of one case each: every run starts a sandbox and an interpreter.
    const fresh = await startService({ RLAR_THREADS: '1', TMPDIR: TMP });
    try {
      const one = [{ test_list: ['assert inc(1) == 2'] }, { inputs: [[1]], outputs: [2], fn_name: 'inc' }];
      for (const [name, code] of attacks) {
        for (const reference of one) {
          const { scores } = await score(fresh.url, [{ prompt: 'Increment.', response: fenced(`${hunt}\n${code}`), reference }]);
          expect(scores, `${name}, ${JSON.stringify(reference)}`).toEqual([0]);
        }
      }
      for (const reference of one) expect((await score(fresh.url, [{ prompt: 'Increment.', response: correct, reference }])).scores).toEqual([1]);
    } finally {
      await fresh.stop();
    }
  });

  it("keep every other run's tests, expected values and programs out of a program's files and memory", { timeout: 120_000 }, async () => {
    // Samples of one prompt share the warm sandboxes. The attacker looks for its cases' expected values
    // and for an honest sample's program in every file it can read and in its own memory, which is a
    // fork of the runner that ran the honest samples: the test (before, it sat in main.py), the case on
    // stdin, the program's source. The bracketed patterns do not match their own text.
    const attacker = String.raw`import base64, ctypes, os, re
def readable():
    for top in ("/work", "/tmp", "/dev/shm"):
        for root, _, names in os.walk(top):
            for name in names:
                try:
                    with open(os.path.join(root, name), "rb") as file:
                        data = file.read()
                except OSError:
                    continue
                yield data
                for blob in re.findall(rb"[A-Za-z0-9+/=]{12,}", data):
                    try:
                        yield base64.b64decode(blob)
                    except Exception:
                        pass
    # Its own memory, read directly (a non-dumpable process may not open its own /proc/self/mem).
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            start, end = (int(p, 16) for p in fields[0].split("-"))
            if "r" not in fields[1] or fields[-1].startswith("[v") or end - start > 1 << 26:
                continue
            for offset in range(start, end, 1 << 20):
                yield ctypes.string_at(offset, min(end - offset, (1 << 20) + 64))
def inc(x):
    patterns = [rb"inc\(%d\) == (\d+)" % x, rb"candidate\(%d\) == (\d+)" % x, rb'"args": \[%d\], "expected": (\d+)' % x]
    for data in readable():
        for pattern in patterns:
            found = re.search(pattern, data)
            if found:
                return int(found.group(1))
        if re.search(rb"zq9-h[o]nest-s[o]lution-zq9", data):
            return x + 1
    return 0`;
    // Markers at the start, in the middle and at the end: an allocator overwrites the start of a freed block.
    const honest = fenced('# zq9-honest-solution-zq9\ndef inc(x):\n    """zq9-honest-solution-zq9"""\n    return x + 1\n# zq9-honest-solution-zq9');
    // The runner's own variables of the last request, reached through the frames a forked run inherits.
    const framer = 'import sys\ndef inc(x):\n    frame = sys._getframe()\n    while frame is not None:\n        if any(name in frame.f_globals for name in ("payload", "answer", "stdout_size")):\n            return x + 1\n        frame = frame.f_back\n    return 0';
    // Keys left in the keyrings the sandbox's user shares, one of them made unclearable.
    const keyrings = String.raw`import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ADD_KEY, KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}[os.uname().machine]
def call(*args):
    return libc.syscall(*[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
def rings():
    persistent = call(KEYCTL, 22, -1, -2)
    return [-3, -4, -5] + ([persistent] if persistent > 0 else [])`;
    const keyWriter = `${keyrings}
for ring in rings():
    call(ADD_KEY, b"user", b"rlar-leak", b"secret", 6, ring)
call(KEYCTL, 5, -4, 0x3b0b0000)
def inc(x):
    return x + 1`;
    const keyReader = `${keyrings}
def inc(x):
    return x + 1 if any(call(KEYCTL, 10, ring, b"user", b"rlar-leak", 0) > 0 for ring in rings()) else 0`;
    const references = [humaneval, mbpp, call];
    const items = [
      ...[1, 2, 3].flatMap(() => references.map((reference) => ({ prompt: 'def inc(x):\n', response: honest, reference }))),
      ...references.map((reference) => ({ prompt: 'def inc(x):\n', response: fenced(attacker), reference })),
      ...references.map((reference) => ({ prompt: 'def inc(x):\n', response: fenced(framer), reference })),
      ...references.map((reference) => ({ prompt: 'def inc(x):\n', response: fenced(keyWriter), reference })),
      ...references.map((reference) => ({ prompt: 'def inc(x):\n', response: fenced(keyReader), reference })),
    ];
    // One thread: every item goes to the same warm sandboxes, the honest samples first.
    const single = await startService({ RLAR_THREADS: '1', TMPDIR: TMP });
    try {
      const { scores, details } = await score(single.url, items);
      expect(scores.slice(0, 9), 'the honest samples').toEqual(Array(9).fill(1));
      expect(scores.slice(9, 12), JSON.stringify(details.slice(9, 12))).toEqual([0, 0, 0]);
      expect(scores.slice(12, 15), `the runner's variables: ${JSON.stringify(details.slice(12, 15))}`).toEqual([0, 0, 0]);
      expect(scores.slice(15, 18), 'the key writers').toEqual([1, 1, 1]);
      expect(scores.slice(18), `the keyrings: ${JSON.stringify(details.slice(18))}`).toEqual([0, 0, 0]);
      // Output past the limit is wiped too: a later run does not find it in its memory.
      const spill = "import sys\nsys.stdout.write('A' * (8 * 1024 * 1024 - 1000))\nsys.stdout.flush()\nsys.stdout.write('SPILL-MARK-0042 ' * 4000)";
      const scan = [
        'import ctypes, re',
        'hits = 0',
        'with open("/proc/self/maps") as maps:',
        '    for line in maps:',
        '        fields = line.split()',
        '        start, end = (int(p, 16) for p in fields[0].split("-"))',
        '        if "r" in fields[1] and not fields[-1].startswith("[v") and end - start <= 1 << 26:',
        '            hits += len(re.findall(rb"SPILL-MAR[K]-0042", ctypes.string_at(start, end - start)))',
        'print(hits)',
      ].join('\n');
      const spilled = await score(single.url, [spill, scan, scan].map((code) => ({ prompt: 'Print.', response: fenced(code), reference: { inputs: [''], outputs: ['0'] } })));
      expect(JSON.stringify(spilled.details[0]), 'the spill').toContain('"status":"output_limit"');
      expect(spilled.scores.slice(1), JSON.stringify(spilled.details.slice(1))).toEqual([1, 1]);
    } finally {
      await single.stop();
    }
  });

  it('import no module the program names: one that runs code on import (unittest.__main__) cannot run a file the program wrote', async () => {
    // unittest.__main__ runs test discovery in the working directory, which imports every test*.py there.
    const forger = String.raw`import os, sys, json
frame = sys._getframe()
while frame is not None:
    token = frame.f_globals.get("token") if isinstance(frame.f_globals.get("token"), bytes) else frame.f_locals.get("token")
    if token:
        token = token.decode() if isinstance(token, bytes) else token
        os.write(1, ("\n" + token + "\n" + json.dumps({"passed": True, "got": "2", "token": token}) + "\n").encode())
        os._exit(0)
    frame = frame.f_back`;
    const attack = [
      'import __main__',
      `open("/work/test_forge.py", "w").write(${JSON.stringify(forger)})`,
      'def inc(x):\n    return 0',
      'real = __main__.to_data',
      '__main__.to_data = lambda value, reference, depth=0: {"module": "unittest.__main__"} if callable(value) and depth == 0 else real(value, reference, depth)',
    ].join('\n');
    const { scores, details } = await score(service.url, [humaneval, mbpp, call].map((reference) => ({ prompt: 'def inc(x):\n', response: fenced(attack), reference })));
    expect(scores, JSON.stringify(details)).toEqual([0, 0, 0]);
  });

  it("give no test the program's stand-in for a module it uses, and no way to raise a catchable error by breaking the protocol", async () => {
    // MBPP's tests use math.isclose without importing math: the name comes from the program's globals.
    const close = { test_list: ['assert math.isclose(inc(1), 2, rel_tol=0.001)'] };
    const fakeMath = fenced('class _M:\n    def isclose(self, *args, **kwargs):\n        return True\nmath = _M()\ndef inc(x):\n    return 0');
    const realMath = fenced('import math\ndef inc(x):\n    return x + 1');
    // A wrong program that answers a must-raise call with a malformed list of changed arguments.
    const mustRaise = { test_list: ["try:\n    check_positive(-1)\n    raise AssertionError('no ValueError')\nexcept ValueError:\n    pass\nassert check_positive(3) == 3"] };
    const breaker = fenced(
      [
        'import __main__',
        '_send = __main__.send',
        'def send(fd, message):',
        '    if type(message.get("value")) is list and message["value"][:1] == [-1]:',
        '        message = {"value": [-1, [[1, 2, 3]]]}',
        '    _send(fd, message)',
        '__main__.send = send',
        'def check_positive(x):',
        '    return x',
      ].join('\n'),
    );
    const honest = fenced('def check_positive(x):\n    if x < 0:\n        raise ValueError(x)\n    return x');
    const items = [
      [fakeMath, close],
      [realMath, close],
      [breaker, mustRaise],
      [honest, mustRaise],
    ].map(([response, reference]) => ({ prompt: 'Write it.', response, reference }));
    const { scores, details } = await score(service.url, items);
    expect(scores, JSON.stringify(details)).toEqual([0, 1, 0, 1]);
  });

  it("give a test the real builtins: a program's own abs does not pass it", async () => {
    const close = { test: 'def check(candidate):\n    assert abs(candidate(1) - 2) < 1e-9\n', entry_point: 'inc' };
    const closeMbpp = { test_list: ['assert abs(inc(1) - 2) < 1e-9'] };
    const shadow = fenced('def abs(value):\n    return 0\ndef inc(x):\n    return 0');
    expect(await wrongThenCorrect(shadow, [close, closeMbpp])).toEqual([0, 0, 1, 1]);
  });

  it('pass no truthiness test with an object or a function instead of a plain answer', async () => {
    const truthy = { test: 'def check(candidate):\n    assert candidate(2)\n    assert candidate(4)\n', entry_point: 'is_even' };
    const truthyMbpp = { test_list: ['assert is_even(2)', 'assert is_even(4)'] };
    const responses = [
      fenced('class Yes:\n    pass\ndef is_even(x):\n    return Yes()'),
      fenced('def is_even(x):\n    return is_even'),
      fenced('def is_even(x):\n    return x % 2 == 0'),
    ];
    const items = responses.flatMap((response) => [truthy, truthyMbpp].map((reference) => ({ prompt: 'def is_even(x):\n', response, reference })));
    const { scores, details } = await score(service.url, items);
    expect(scores, JSON.stringify(details)).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it("raise nothing a test can catch for the referee's own failures: an argument the program cannot be given fails the run", async () => {
    const mustRaise = { test_list: ["try:\n    f(object())\n    assert False, 'no TypeError'\nexcept TypeError:\n    pass"] };
    const deep = { test: 'def check(candidate):\n    value = []\n    for _ in range(200):\n        value = [value]\n    try:\n        candidate(value)\n    except (ValueError, RecursionError):\n        return\n    assert False\ncheck(f)\n', entry_point: 'f' };
    const wrong = fenced('def f(x):\n    return 1');
    const { scores, details } = await score(service.url, [mustRaise, deep].map((reference) => ({ prompt: 'def f(x):\n', response: wrong, reference })));
    expect(scores, JSON.stringify(details)).toEqual([0, 0]);
  });

  it('test the program\'s function when it is named like a builtin, and fail a program that does not define it', async () => {
    const mbppMax = { test_list: ['assert max([1, 5, 3]) == 5'] };
    const humanevalSorted = { test: 'def check(candidate):\n    assert candidate([3, 1, 2]) == [1, 2, 3]\n', entry_point: 'sorted' };
    const items = [
      { response: fenced('def max(xs):\n    return 0'), reference: mbppMax },
      { response: fenced('x = 1'), reference: mbppMax },
      { response: fenced('def max(xs):\n    best = xs[0]\n    for x in xs:\n        best = x if x > best else best\n    return best'), reference: mbppMax },
      { response: fenced('def sorted(xs):\n    return xs'), reference: humanevalSorted },
      { response: fenced('def sorted(xs):\n    return list(reversed(xs)) if xs == [2, 1] else [1, 2, 3]'), reference: humanevalSorted },
    ];
    const { scores, details } = await score(service.url, items.map((item) => ({ prompt: 'Write it.', ...item })));
    expect(scores, JSON.stringify(details)).toEqual([0, 0, 1, 0, 1]);
  });

  it("turn a program's StopIteration into a RuntimeError, so that it cannot end a test's loop early", async () => {
    const loop = { test: 'def check(candidate):\n    assert all(map(lambda x: candidate(x) == x + 1, [1, 5]))\n', entry_point: 'inc' };
    const loopMbpp = { test_list: ['assert all(map(lambda x: inc(x) == x + 1, [1, 5]))'] };
    const stopper = fenced('def inc(x):\n    raise StopIteration');
    expect(await wrongThenCorrect(stopper, [loop, loopMbpp])).toEqual([0, 0, 1, 1]);
  });

  it("let honest programs pass: helpers the test calls, a generator, a Counter, an exception the test expects, a function named like a builtin, the program's own objects", async () => {
    const helper = {
      test: [
        'def check(candidate):',
        '    assert candidate(encode("abc")) == "abc"',
        '    assert list(pairs(3)) == [(0, 1), (1, 2)]',
        '    assert histogram("aab") == {"a": 2, "b": 1}',
        '    try:',
        '        candidate(None)',
        '    except ValueError:',
        '        pass',
        '    else:',
        '        raise AssertionError("no ValueError")',
      ].join('\n'),
      entry_point: 'decode',
    };
    const program = [
      'import collections',
      'class BadInput(ValueError):\n    pass',
      'def encode(s):\n    return s[::-1]',
      'def decode(s):\n    if s is None:\n        raise BadInput("none")\n    return s[::-1]',
      'def pairs(n):\n    return ((i, i + 1) for i in range(n - 1))',
      'def histogram(s):\n    return collections.Counter(s)',
    ].join('\n');
    // A test that builds the program's own objects and passes them back (MBPP 601's Pair).
    const pairs = {
      prompt: 'Longest chain of pairs.',
      response: fenced('class Pair:\n    def __init__(self, a, b):\n        self.a, self.b = a, b\ndef max_chain_length(pairs, n):\n    best = [1] * n\n    for i in range(n):\n        for j in range(i):\n            if pairs[i].a > pairs[j].b:\n                best[i] = max(best[i], best[j] + 1)\n    return max(best)'),
      reference: { test_list: ['assert max_chain_length([Pair(5, 24), Pair(15, 25), Pair(27, 40), Pair(50, 60)], 4) == 3'] },
    };
    // A function named like a builtin is still the function to call.
    const sorting = { prompt: 'Sort.', response: fenced('def sorted(xs):\n    return list(reversed(xs))'), reference: { inputs: [[[3, 2, 1]]], outputs: [[1, 2, 3]], fn_name: 'sorted' } };
    const { scores, details } = await score(service.url, [{ prompt: 'def decode(s):\n', response: fenced(program), reference: helper }, sorting, pairs]);
    expect(scores, JSON.stringify(details)).toEqual([1, 1, 1]);
  });

  it("compare answers of the standard library as the official harness would, see arguments changed in place, and reach the program's objects' attributes and methods", { timeout: 120_000 }, async () => {
    // Each check once with a program the official harness passes, once with one it fails.
    const checks: [string, string, string, string][] = [
      ['half', 'from fractions import Fraction\ndef half(n):\n    return Fraction(n, 2)', 'def half(n):\n    return n // 2', 'assert half(3) == 1.5 and half(4) == 2'],
      ['cents', 'from decimal import Decimal\ndef cents(s):\n    return Decimal(s)', 'def cents(s):\n    return float(s)', 'from decimal import Decimal\nassert cents("0.10") == Decimal("0.1")'],
      ['evens', 'def evens(n):\n    return range(0, n, 2)', 'def evens(n):\n    return range(0, n)', 'assert evens(7) == range(0, 8, 2) and list(evens(5)) == [0, 2, 4]'],
      ['window', 'import collections\ndef window(xs):\n    return collections.deque(xs, 2)', 'def window(xs):\n    return xs[-2:]', 'import collections\nassert window([1, 2, 3]) == collections.deque([2, 3])'],
      ['raw', 'def raw(s):\n    return bytearray(s, "ascii")', 'def raw(s):\n    return s', 'assert raw("ab") == b"ab"'],
      ['names', 'def names(d):\n    return d.keys()', 'def names(d):\n    return list(d)', 'assert names({"a": 1, "b": 2}) == {"b", "a"}'],
      ['ordered', 'import collections\ndef ordered(pairs):\n    return collections.OrderedDict(pairs)', 'import collections\ndef ordered(pairs):\n    return collections.OrderedDict(sorted(pairs))', 'import collections\nassert ordered([("b", 1), ("a", 2)]) == collections.OrderedDict([("b", 1), ("a", 2)])'],
      ['tally', 'import collections\ndef tally(s):\n    return collections.Counter(s)', 'def tally(s):\n    return {c: s.count(c) for c in s}', 'assert tally("aab").most_common(1) == [("a", 2)]'],
      ['sort_in_place', 'def sort_in_place(xs):\n    xs.sort()', 'def sort_in_place(xs):\n    xs = sorted(xs)', 'xs = [3, 1, 2]\nsort_in_place(xs)\nassert xs == [1, 2, 3]'],
      [
        'build',
        'class Node:\n    def __init__(self, val, next=None):\n        self.val, self.next = val, next\ndef build(xs):\n    head = None\n    for x in reversed(xs):\n        head = Node(x, head)\n    return head',
        'class Node:\n    def __init__(self, val, next=None):\n        self.val, self.next = val, next\ndef build(xs):\n    head = None\n    for x in xs:\n        head = Node(x, head)\n    return head',
        'head = build([1, 2])\nassert head.val == 1 and head.next.val == 2 and head.next.next is None',
      ],
      [
        'stack',
        'class Stack:\n    def __init__(self):\n        self.items = []\n    def push(self, x):\n        self.items.append(x)\n    def peek(self):\n        return self.items[-1]\ndef stack():\n    return Stack()',
        'class Stack:\n    def __init__(self):\n        self.items = []\n    def push(self, x):\n        self.items.append(x)\n    def peek(self):\n        return self.items[0]\ndef stack():\n    return Stack()',
        's = stack()\ns.push(1)\ns.push(2)\nassert s.peek() == 2 and len(s.items) == 2',
      ],
      [
        'ordered_sub',
        'import collections\nclass OD(collections.OrderedDict):\n    pass\ndef ordered_sub(pairs):\n    return OD(pairs)',
        'import collections\nclass OD(collections.OrderedDict):\n    pass\ndef ordered_sub(pairs):\n    return OD(sorted(pairs))',
        'import collections\nassert ordered_sub([("b", 1), ("a", 2)]) == collections.OrderedDict([("b", 1), ("a", 2)])',
      ],
      [
        'tally_sub',
        'import collections\nclass C(collections.Counter):\n    pass\ndef tally_sub(s):\n    return C(s)',
        'def tally_sub(s):\n    return {c: s.count(c) for c in s}',
        'assert tally_sub("aab").most_common(1) == [("a", 2)]',
      ],
      [
        'make',
        'class P:\n    def __init__(self, n):\n        self.number, self.origin, self.next = n, "made", None\ndef make(n):\n    return P(n)',
        'class P:\n    def __init__(self, n):\n        self.number, self.origin, self.next = n + 1, "made", None\ndef make(n):\n    return P(n)',
        'p = make(5)\np.next = make(6)\nassert p.number == 5 and p.next.number == 6 and p.origin == "made"',
      ],
      [
        'push_node',
        'class N:\n    def __init__(self, val):\n        self.val = val\ndef push_node(xs, val):\n    xs.append(N(val))',
        'class N:\n    def __init__(self, val):\n        self.val = val\ndef push_node(xs, val):\n    xs.append(N(val + 1))',
        'xs = []\npush_node(xs, 3)\nassert xs[0].val == 3',
      ],
      ['fill', 'def fill(d, keys):\n    for key in keys:\n        d.setdefault(key, 0)', 'def fill(d, keys):\n    d = dict.fromkeys(keys, 0)', 'd = {"a": 1}\nfill(d, keys=["a", "b"])\nassert d == {"a": 1, "b": 0}'],
    ];
    const items = checks.flatMap(([name, correct, wrong, test]) =>
      [correct, wrong].flatMap((program) => [
        { prompt: `Write ${name}.`, response: fenced(program), reference: { test_list: [test] } },
        { prompt: `def ${name}(x):\n`, response: fenced(program), reference: { test: `def check(candidate):\n${test.replaceAll(name + '(', 'candidate(').replace(/^/gm, '    ')}\n`, entry_point: name } },
      ]),
    );
    const { scores, details } = await score(service.url, items);
    expect(scores, JSON.stringify(details)).toEqual(checks.flatMap(() => [1, 1, 0, 0]));
  });
});

describe('warm pooled sandboxes', () => {
  it("keep nothing of one case's run for the next: no daemon, no file in /work, /tmp or /dev/shm, no module to import, no smaller share of the CPU, no scheduling change", async () => {
    // Every case first looks for what an earlier case left, then leaves it all behind again: the
    // cases share the thread's warm sandboxes (two, on two cores), so each one's reset is what is tested.
    const program = [
      'import ctypes, os, threading, time',
      'PLANTED = ("/work/planted.txt", "/tmp/planted.txt", "/dev/shm/planted.txt", "/work/json_helpers.py")',
      'left = [p for p in PLANTED if os.path.exists(p)]',
      'try:',
      '    import json_helpers',
      '    left.append("module")',
      'except ImportError:',
      '    pass',
      'mine = {os.getpid(), os.getppid()}',
      'others = sum(1 for pid in os.listdir("/proc") if pid.isdigit() and int(pid) not in mine)',
      // The share of the CPU of the session the runner is in (its autogroup's nice value), which any
      // process of the session may lower: a sandbox so changed is retired, not lent to the next run.
      'nice = open("/proc/self/autogroup").read().split()[-1] if os.path.exists("/proc/self/autogroup") else "0"',
      // And the runner's sched_setattr runtime, which this run inherits: a run sets it on the runner to 100 ms.
      'SCHED_GETATTR, SCHED_SETATTR = {"x86_64": (315, 314), "aarch64": (275, 274)}[os.uname().machine]',
      'attr = ctypes.create_string_buffer(56)',
      'ctypes.CDLL(None).syscall(SCHED_GETATTR, 0, attr, 56, 0)',
      'runtime = int.from_bytes(attr.raw[24:32], "little")',
      'attr.raw = attr.raw[:24] + (100_000_000).to_bytes(8, "little") + attr.raw[32:]',
      'ctypes.CDLL(None).syscall(SCHED_SETATTR, os.getppid(), attr, 0)',
      'try:',
      '    open("/proc/self/autogroup", "w").write("19")',
      'except OSError:',
      '    pass',
      'for path in PLANTED:',
      '    try:',
      '        open(path, "w").write("PLANTED = True\\n")',
      '    except OSError:',
      '        pass',
      // A daemon that left the session, and one whose leading thread exited while another thread runs
      // (its process then looks like a zombie).
      'if os.fork() == 0:',
      '    os.setsid()',
      '    if os.fork() == 0:',
      '        while True:',
      '            time.sleep(0.01)',
      '    os._exit(0)',
      'if os.fork() == 0:',
      '    os.setsid()',
      '    threading.Thread(target=lambda: [time.sleep(0.01) for _ in iter(int, 1)]).start()',
      '    ctypes.CDLL(None).syscall({"x86_64": 60, "aarch64": 93}[os.uname().machine], 0)',
      // Only the runner (this program's parent, the sandbox's init) may be there.
      'print(input(), "left:", left, "other processes:", others, "autogroup nice:", nice, "runtime changed:", runtime == 100_000_000)',
    ].join('\n');
    const inputs = ['1\n', '2\n', '3\n', '4\n', '5\n', '6\n'];
    const reference = { inputs, outputs: inputs.map((n) => `${n.trim()} left: [] other processes: 0 autogroup nice: 0 runtime changed: False\n`) };
    const { json } = await postJson(`${service.url}/tools/code_tests/score`, {
      items: [{ prompt: 'Echo.', response: `\`\`\`python\n${program}\n\`\`\``, reference }],
    });
    expect(json.scores, JSON.stringify(json.details)).toEqual([1]);
  });
  it("let no item's run reach the runner or change a later item's verdict, in the same batch or the next", async () => {
    // One thread, so every run goes to the same pool of warm sandboxes.
    const pooled = await startService({ RLAR_THREADS: '1', TMPDIR: TMP });
    try {
      // Tries to take the runner's control channel (pidfd_getfd on every other process), trace it, lower
      // its limits and priority (which same-user processes may: the reset then retires that sandbox), and
      // leave files outside /work, /tmp and /dev/shm; reports to stderr.
      const attack = [
        'import ctypes, os, resource, sys',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'report = []',
        'for name in os.listdir("/proc"):',
        '    if not name.isdigit() or int(name) == os.getpid():',
        '        continue',
        '    pid = int(name)',
        '    try:',
        '        pidfd = os.pidfd_open(pid)',
        '        fds = [libc.syscall(438, pidfd, fd, 0) for fd in (0, 1)]',
        '        report.append(f"pidfd_getfd {pid}: {\'stolen\' if max(fds) >= 0 else \'denied\'}")',
        '    except OSError as error:',
        '        report.append(f"pidfd {pid}: {error.strerror}")',
        '    report.append(f"ptrace {pid}: {\'attached\' if libc.ptrace(16, pid, 0, 0) == 0 else \'denied\'}")',
        'for change in (lambda: resource.prlimit(os.getppid(), resource.RLIMIT_CPU, (3, 3)), lambda: os.setpriority(os.PRIO_PROCESS, os.getppid(), 19)):',
        '    try:',
        '        change()',
        '        report.append("changed the runner")',
        '    except OSError as error:',
        '        report.append(error.strerror)',
        'for path in ("/etc/planted", "/planted", "/dev/planted"):',
        '    try:',
        '        open(path, "w").write("x")',
        '        report.append("wrote " + path)',
        '    except OSError as error:',
        '        report.append(error.strerror)',
        'print("; ".join(report), file=sys.stderr, flush=True)',
        'os._exit(1)',
      ].join('\n');
      // Leaves the sandbox itself changed instead: a default ACL with no permissions on /work (later runs'
      // files would be unreadable) and a read-only /tmp; nothing the settings check sees.
      // It acts once /tmp is empty (a session's first run finds the runner's warm-up file there, which a
      // read-only /tmp would keep the reset from removing): four cases, so each of two sessions gets one.
      const unreadable = [
        'import os, struct',
        'if not os.listdir("/tmp"):',
        '    no_access = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", tag, 0, 0xFFFFFFFF) for tag in (1, 4, 0x20))',
        '    os.setxattr("/work", "system.posix_acl_default", no_access)',
        '    os.chmod("/tmp", 0o555)',
        'os._exit(1)',
      ].join('\n');
      const fourCases = { test_list: ['assert inc(1) == 2', 'assert inc(2) == 3', 'assert inc(3) == 4', 'assert inc(4) == 5'] };
      const fenced = (code: string) => `\`\`\`python\n${code}\n\`\`\``;
      const mbpp = { test_list: ['assert inc(1) == 2', 'assert inc(5) == 6'] };
      const call = { inputs: [[1], [5]], outputs: [2, 6], fn_name: 'inc' };
      const wrong = fenced('def inc(x):\n    return x');
      const right = fenced('def inc(x):\n    return x + 1');
      const victims = [
        { prompt: 'Increment.', response: wrong, reference: mbpp },
        { prompt: 'Increment.', response: right, reference: mbpp },
        { prompt: 'Increment.', response: wrong, reference: call },
        { prompt: 'Increment.', response: right, reference: call },
        { prompt: 'Increment.', response: fenced('open("/tmp/scratch", "w").write("x")\nprint(int(input()) + 1)'), reference: { inputs: ['1\n'], outputs: ['2\n'] } },
      ];
      const first = await postJson(`${pooled.url}/tools/code_tests/score`, {
        items: [{ prompt: 'Increment.', response: fenced(attack), reference: mbpp }, { prompt: 'Increment.', response: fenced(unreadable), reference: fourCases }, ...victims],
      });
      expect(first.json.scores).toEqual([0, 0, 0, 1, 0, 1, 1]);
      const report = JSON.stringify(first.json.details[0]);
      expect(report).toMatch(/pidfd 1: Operation not permitted/); // the runner is pid 1: nothing else is there
      expect(report).toMatch(/ptrace 1: denied/);
      expect(report).not.toMatch(/stolen|attached|wrote \//);
      // The next request, on the same thread and pool, is scored as if nothing had happened.
      const next = await postJson(`${pooled.url}/tools/code_tests/score`, { items: victims });
      expect(next.json.scores).toEqual([0, 1, 0, 1, 1]);
    } finally {
      await pooled.stop();
    }
  });
});

describe('CPU-time limits of code_tests (a hostile review of them)', () => {
  // A service of its own: its compile cache (C) would otherwise stay in TMP, which later tests check.
  let own: RunningService;
  beforeAll(async () => {
    own = await startService({ RLAR_THREADS: '1' });
  });
  afterAll(async () => {
    await own.stop();
  });
  const burn = 'import os, time\ndef burn(seconds):\n    end = time.process_time() + seconds\n    while time.process_time() < end:\n        pass\n';
  // A 300 ms limit: reached by 1.9 s of wall time on a CPU shared with five others.
  const score = async (code: string, input = '7\n', cases = 1, language = 'python', limitMs = 300) => {
    const reference = { inputs: Array(cases).fill(input), outputs: Array(cases).fill('7\n') };
    const { json } = await postJson(`${own.url}/tools/code_tests/score`, {
      items: [{ prompt: '', response: `\`\`\`${language}\n${code}\n\`\`\``, reference }],
      params: { time_limit_ms: limitMs, language },
    });
    return json.details[0];
  };
  /** No pass: every case timed out, or (on a machine too busy to tell) the item is an error that says so. */
  const noPass = (detail: any, cases: number, name = '') => {
    if (detail.error !== undefined) expect(detail.error, name).toMatch(/too busy to judge/);
    else expect(detail.detail.cases.map((k: any) => k.status), `${name}: ${JSON.stringify(detail)}`).toEqual(Array(cases).fill('timeout'));
  };

  it("counts the CPU time of children the kernel would reap unseen (SIGCHLD ignored): warm and one-off sandboxes, Python and C", async () => {
    // 3 s of CPU in children that would vanish with their CPU time, waited for through a pipe.
    const python = `${burn}import signal\nsignal.signal(signal.SIGCHLD, signal.SIG_IGN)\nfor _ in range(5):\n    r, w = os.pipe()\n    if os.fork() == 0:\n        burn(0.6)\n        os.write(w, b"x")\n        os._exit(0)\n    os.close(w)\n    os.read(r, 1)\nprint(input())`;
    const c = '#include <signal.h>\n#include <stdio.h>\n#include <time.h>\n#include <unistd.h>\nint main(void){signal(SIGCHLD, SIG_IGN);for(int r=0;r<5;r++){int p[2];pipe(p);if(fork()==0){clock_t s=clock();while(clock()-s<0.6*CLOCKS_PER_SEC);write(p[1],"x",1);_exit(0);}close(p[1]);char b;read(p[0],&b,1);}int x;scanf("%d",&x);printf("%d\\n",x);return 0;}';
    for (const [name, code, cases, language] of [['python, warm', python, 2, 'python'], ['python, own sandbox', python, 1, 'python'], ['c', c, 1, 'c']] as const) {
      noPass(await score(code, '7\n', cases, language), cases, name);
    }
  });

  it("keeps the clock running when a program stops reading a large stdin", async () => {
    // The runner's write of the rest of stdin would block while the program burns CPU time; a child keeps
    // the pipe open until the program has ended, so that the write then fails and the runner goes on.
    const code = `${burn}first = b""\nwhile b"\\n" not in first:\n    first += os.read(0, 4096)\nif os.fork() == 0:\n    while os.getppid() != 1:\n        time.sleep(0.001)\n    os._exit(0)\nburn(1.5)\nfor _ in range(2):\n    pid = os.fork()\n    if pid == 0:\n        burn(1.2)\n        os._exit(0)\n    os.waitpid(pid, 0)\nos.write(1, first.split(b"\\n")[0] + b"\\n")\nos._exit(0)`;
    noPass(await score(code, `7\n${'0\n'.repeat(60_000)}`, 2), 2);
  });

  it('kills what a program leaves running when it ends, whatever its process group: no time past the clock', async () => {
    // The answer comes from a child in a group of its own, after the program's own process ended.
    const code = `${burn}line = input()\nif os.fork() == 0:\n    os.setpgid(0, 0)\n    burn(0.3)\n    print(line, flush=True)\n    os._exit(0)\nos._exit(0)`;
    const detail = await score(code, '7\n', 2);
    expect(detail.detail.cases.map((k: any) => k.status), JSON.stringify(detail)).toEqual(['wrong_answer', 'wrong_answer']);
  });

  it('gives a program that makes its own processes wait for each other its timeout, not the error of a starved run', async () => {
    // Fifteen processes on one CPU that wake together every 0.5 s and work 1 ms: a long sum of short
    // waits, and little CPU time (under the 1 s limit by the 4 s bound). Its longest single wait is
    // about a tenth of the time, and stays under half beside three times as much other work.
    const code = 'import os, time\nos.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\nfor _ in range(14):\n    if os.fork() == 0:\n        break\nwhile True:\n    time.sleep(0.5 - time.time() % 0.5)\n    end = time.process_time() + 0.001\n    while time.process_time() < end:\n        pass';
    const detail = await score(code, '7\n', 2, 'python', 1000);
    expect(detail.error, JSON.stringify(detail)).toBeUndefined();
    expect(detail.detail.cases.map((k: any) => k.status)).toEqual(['timeout', 'timeout']);
  });
});

describe('work directories of stopped work', () => {
  it('are removed when a code item is cut by the request deadline', async () => {
    const quick = await startService({ RLAR_REQUEST_TIMEOUT_MS: '2000', RLAR_THREADS: '1', TMPDIR: TMP });
    try {
      const slow = { prompt: 'Square.', response: 'import time\ntime.sleep(30)\ndef sq(x):\n    return x * x', reference: { test_list: ['assert sq(2) == 4', 'assert sq(3) == 9'] } };
      const { json } = await postJson(`${quick.url}/tools/code_tests/score`, { items: [slow], params: { time_limit_ms: 60_000 } });
      expect(json.scores?.[0] ?? 0).toBe(0);
      await until(() => workDirs().length === 0, 'the stopped thread\'s work directories to go');
    } finally {
      await quick.stop();
    }
  });

  it('of a killed service are removed when the service starts again', async () => {
    const doomed = await startService({ RLAR_THREADS: '1', TMPDIR: TMP });
    const running = postJson(`${doomed.url}/run_code`, { language: 'python', code: 'import time\ntime.sleep(30)', run_timeout: 30, files: { 'data.txt': b64('x') } }).catch(() => undefined);
    await until(() => workDirs().length > 0, 'the run to start');
    await doomed.stop('SIGKILL');
    await running;
    expect(workDirs().length).toBeGreaterThan(0);
    const next = await startService({ RLAR_THREADS: '1', TMPDIR: TMP });
    try {
      expect(workDirs()).toEqual([]);
    } finally {
      await next.stop();
    }
  });
});

describe('agent-written verifiers (QuickJS)', () => {
  let one: RunningService;
  beforeAll(async () => {
    one = await startService({ RLAR_THREADS: '1' });
  });
  afterAll(async () => {
    await one.stop();
  });
  const score = (code: string, response = 'r') =>
    postJson(`${one.url}/tools/synthesized/score`, { items: [{ prompt: 'p', response }], params: { code } }).then((r) => r.json);

  it('replace an instance that broke, log it, and leave every other verifier working', async () => {
    // Fills its memory and keeps it: the next call cannot even pass its arguments in.
    const hog = 'var keep = [];\nfunction score(p, r) {\n  try { for (;;) keep.push("x".repeat(1e5) + Math.random()); } catch (e) {}\n  return 1;\n}';
    const good = 'function score(p, r) { return r.length > 0 ? 1 : 0; }';
    expect((await score(hog)).scores).toEqual([1]);
    const broken = await score(hog, 'r'.repeat(100_000));
    expect(broken.scores).toEqual([0]);
    expect(broken.details[0].error).toMatch(/QuickJS instance broke/);
    await expect.poll(() => one.output(), { timeout: 10_000 }).toMatch(/QuickJS instance broke/); // through the child's stdout pipe
    expect((await score(good)).scores).toEqual([1]);
    expect((await score(hog)).scores).toEqual([1]); // a fresh instance
  });

  it('stop allocation loops at the memory limit and give the memory back', async () => {
    const baseline = rssMb(one.pid);
    for (let i = 0; i < 24; i++) {
      const loop = i % 2 === 0 ? `new Array(1e6).fill(${i})` : `"x".repeat(1e5) + ${i}`;
      const { scores, details } = await score(`function score() {\n  const kept = [];\n  for (;;) kept.push(${loop});\n}`);
      expect(scores).toEqual([0]);
      expect(details[0].error).toMatch(/out of memory|interrupted/);
    }
    expect(rssMb(one.pid)).toBeLessThan(baseline + 800);
    expect((await score('function score() { return 1; }')).scores).toEqual([1]);
  });
});

describe('/run_code admission', () => {
  it('runs RLAR_SANDBOX_CONCURRENCY programs at once, lets RLAR_SANDBOX_QUEUE wait, and answers 504 with Retry-After past that', async () => {
    const narrow = await startService({ RLAR_SANDBOX_CONCURRENCY: '1', RLAR_SANDBOX_QUEUE: '1', TMPDIR: TMP });
    try {
      const post = () =>
        fetch(`${narrow.url}/run_code`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ language: 'python', code: 'import time\ntime.sleep(4)\nprint("slept")' }),
        });
      const answers = await Promise.all(Array.from({ length: 4 }, post));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([200, 200, 504, 504]);
      for (const answer of answers) {
        const body = await answer.json();
        if (answer.status === 200) expect(body.run_result.stdout, JSON.stringify(body)).toBe('slept\n');
        else {
          expect(answer.headers.get('retry-after')).toBe('1');
          expect(body.message).toMatch(/sandbox is busy/);
        }
      }
    } finally {
      await narrow.stop();
    }
  });

  it('drops a waiting request whose caller hung up (verl gives up after its timeout): its program never runs or holds a place', async () => {
    const narrow = await startService({ RLAR_SANDBOX_CONCURRENCY: '1', RLAR_SANDBOX_QUEUE: '2', TMPDIR: TMP });
    try {
      const post = (signal?: AbortSignal) =>
        fetch(`${narrow.url}/run_code`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ language: 'python', code: 'import time\ntime.sleep(4)\nprint("slept")' }),
          signal,
        });
      const running = post();
      const callers = [new AbortController(), new AbortController()];
      const abandoned = callers.map((caller) => post(caller.signal).catch((error: Error) => error.name));
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const caller of callers) caller.abort();
      expect(await Promise.all(abandoned)).toEqual(['AbortError', 'AbortError']);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Had the two abandoned requests kept their places (1 running + 2 waiting), these would get 504.
      const later = await Promise.all([post(), post()]);
      for (const answer of [await running, ...later]) {
        expect(answer.status).toBe(200);
        expect((await answer.json()).run_result.stdout).toBe('slept\n');
      }
    } finally {
      await narrow.stop();
    }
  });
});

describe('code_tests and /run_code against a second hostile review', () => {
  // One thread: every item of a request runs on it, with its compile step and its pool of warm sandboxes.
  let own: RunningService;
  beforeAll(async () => {
    own = await startService({ RLAR_THREADS: '1' });
  });
  afterAll(async () => {
    await own.stop();
  });
  const fenced = (language: string, code: string) => `\`\`\`${language}\n${code}\n\`\`\``;
  const score = async (items: { response: string; reference: unknown }[], params: Record<string, unknown> = {}) => {
    const { status, json } = await postJson(`${own.url}/tools/code_tests/score`, { items: items.map((item) => ({ prompt: '', ...item })), params });
    expect(status).toBe(200);
    return json;
  };
  const sum = { inputs: ['1 2\n', '20 22\n'], outputs: ['3\n', '42\n'] };

  it("strips TypeScript's types where a program that breaks the stripper breaks nothing else", async () => {
    // 3,000 nested parentheses left Node's stripper (WebAssembly) failing every later call in its thread.
    const breaker = `const x: number = ${'('.repeat(3000)}1${')'.repeat(3000)};\nconsole.log(x);`;
    const honest = 'import * as fs from "fs";\nconst [a, b]: number[] = fs.readFileSync(0, "utf8").trim().split(/\\s+/).map(Number);\nconsole.log(a + b);';
    const first = await score([{ response: fenced('typescript', breaker), reference: sum }, { response: fenced('typescript', honest), reference: sum }]);
    expect(first.details[0].detail.cases[0].status).toBe('compile_error');
    expect(first.scores[1], JSON.stringify(first.details[1])).toBe(1);
    const after = await score([{ response: fenced('typescript', `${honest}\n// another program`), reference: sum }]);
    expect(after.scores, JSON.stringify(after.details)).toEqual([1]);
    // /run_code strips on the HTTP thread's side of the service.
    const broken = await postJson(`${own.url}/run_code`, { language: 'typescript', code: breaker });
    expect(broken.json.compile_result.return_code).not.toBe(0);
    const ok = await postJson(`${own.url}/run_code`, { language: 'typescript', code: 'const n: number = 41;\nconsole.log(n + 1);' });
    expect(ok.json.status, JSON.stringify(ok.json)).toBe('Success');
    expect(ok.json.run_result.stdout).toBe('42\n');
  });

  it('runs every test of a reference, or refuses it: none is dropped silently', async () => {
    // Right on the first 200 tests, wrong after them (200 was a silent cut).
    const n = 250;
    const reference = { inputs: Array.from({ length: n }, (_, i) => `${i}\n`), outputs: Array.from({ length: n }, (_, i) => `${i}\n`) };
    const program = fenced('python', 'n = int(input())\nprint(n if n < 200 else -1)');
    const partial = await score([{ response: program, reference }]);
    expect(partial.details[0].detail.cases).toHaveLength(n);
    expect(partial.scores[0]).toBeCloseTo(200 / n, 9);
    expect((await score([{ response: program, reference }], { all_or_nothing: true })).scores).toEqual([0]);
    const tooMany = { inputs: Array(10_001).fill('1\n'), outputs: Array(10_001).fill('1\n') };
    const refused = await score([{ response: program, reference: tooMany }, { response: program, reference: sum }]);
    expect(refused.details[0].error).toMatch(/10001 tests, more than the 10000/);
    expect(refused.details[1].error).toBeUndefined();
  });

  it('takes no approximation, other spelling or other sign of an integer answer for it in the harness comparison', async () => {
    const reference = (answer: string) => ({ inputs: ['\n'], outputs: [`${answer}\n`] });
    const verdicts = async (pairs: [printed: string, expected: string][]) => {
      const json = await score(pairs.map(([printed, expected]) => ({ response: fenced('python', `print(${JSON.stringify(printed)})`), reference: reference(expected) })));
      return json.scores;
    };
    // numpy.allclose's tolerance took each of these for the expected integer.
    expect(await verdicts([['123456000.0', '123456789'], ['1.23456e8', '123456789'], ['-1000005', '-1000000'], ['0x10', '16'], ['16.000001', '16']])).toEqual([0, 0, 0, 0, 0]);
    // The same number in another spelling, and real numbers within the tolerance, still pass.
    expect(await verdicts([['16.0', '16'], ['1.6e1', '16'], ['-0', '0'], ['2.5000001', '2.5'], ['1 2.0 3', '1 2 3']])).toEqual([1, 1, 1, 1, 1]);
  });

  it("counts a one-off run's CPU time: the program can neither take its launcher's descriptors (the pipe of the CPU-time report) nor trace it", async () => {
    // 250 ms of CPU, then a fake "C 0" report into every descriptor of the launcher it can reach: through
    // /proc, by pidfd_getfd, or by tracing the launcher (which stopped it until the watchdog's kill).
    const c = [
      '#define _GNU_SOURCE',
      '#include <fcntl.h>',
      '#include <stdio.h>',
      '#include <sys/ptrace.h>',
      '#include <sys/syscall.h>',
      '#include <time.h>',
      '#include <unistd.h>',
      'int main(void) {',
      '  clock_t start = clock();',
      '  while (clock() - start < CLOCKS_PER_SEC / 4) {}',
      '  pid_t launcher = getppid();',
      '  char path[64];',
      '  int faked = 0, stolen = 0;',
      '  for (int fd = 0; fd < 64; fd++) {',
      '    snprintf(path, sizeof path, "/proc/%d/fd/%d", launcher, fd);',
      '    int w = open(path, O_WRONLY | O_NONBLOCK);',
      '    if (w >= 0) { faked += write(w, "C 0\\n", 4) == 4; close(w); }',
      '  }',
      '  int pidfd = syscall(434, launcher, 0);',
      '  for (int fd = 0; pidfd >= 0 && fd < 64; fd++) stolen += syscall(438, pidfd, fd, 0) >= 0;',
      '  long traced = ptrace(PTRACE_ATTACH, launcher, 0, 0);',
      '  fprintf(stderr, "pidfd_open %s, pidfd_getfd %s, ptrace %s, faked %d\\n", pidfd >= 0 ? "allowed" : "denied", stolen ? "stolen" : "denied", traced == 0 ? "attached" : "denied", faked);',
      '  return 1;',
      '}',
    ].join('\n');
    const json = await score([{ response: fenced('c', c), reference: { inputs: ['1\n', '2\n'], outputs: ['1\n', '2\n'] } }], { time_limit_ms: 2000 });
    for (const run of json.details[0].detail.cases) {
      expect(run.status, JSON.stringify(run)).toBe('runtime_error');
      expect(run.message).toMatch(/pidfd_open denied, pidfd_getfd denied, ptrace denied/);
      expect(run.cpu_ms, JSON.stringify(run)).toBeGreaterThanOrEqual(200);
    }
  });

  it('holds a Go program to memory_mb: 500 MB kept alive fails a 256 MB limit, 100 MB passes', { timeout: 60_000 }, async () => {
    const keep = (mb: number) =>
      fenced('go', `package main\nimport "fmt"\nfunc main() {\n\tvar keep [][]byte\n\tfor i := 0; i < ${mb}; i++ {\n\t\tb := make([]byte, 1<<20)\n\t\tfor j := range b {\n\t\t\tb[j] = byte(j)\n\t\t}\n\t\tkeep = append(keep, b)\n\t}\n\tfmt.Println(len(keep))\n}`);
    const reference = (mb: number) => ({ inputs: ['\n'], outputs: [`${mb}\n`] });
    const json = await score([{ response: keep(500), reference: reference(500) }, { response: keep(100), reference: reference(100) }], { memory_mb: 256 });
    expect(json.details[0].detail.cases[0].status, JSON.stringify(json.details[0])).toBe('runtime_error');
    expect(json.scores[1], JSON.stringify(json.details[1])).toBe(1);
  });

  it("tells no warm run how much an earlier run wrote: the runner's output buffers shrink back after each run", async () => {
    // Each run walks up to the runner's globals: it answers right only when an earlier run grew a buffer,
    // and grows one itself otherwise.
    const code = [
      'import sys',
      'frame = sys._getframe()',
      'while frame.f_back is not None:',
      '    frame = frame.f_back',
      'output = frame.f_globals.get("OUTPUT")',
      'if output is None:',
      '    sys.exit("the runner\'s globals were not found")',
      'if max(len(buffer) for buffer in output.values()) > 1 << 16:',
      '    print(input())',
      'else:',
      '    sys.stderr.write("x" * 300_000)',
      '    print("fresh")',
    ].join('\n');
    const reference = { inputs: Array(6).fill('7\n'), outputs: Array(6).fill('7\n') };
    const json = await score([{ response: fenced('python', code), reference }]);
    expect(json.details[0].detail.cases.map((run: any) => run.status), JSON.stringify(json.details[0])).toEqual(Array(6).fill('wrong_answer'));
  });
});

describe('names and nesting', () => {
  it('refuses languages named like Object.prototype members', async () => {
    for (const language of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const { status, json } = await runCode({ code: 'print(1)', language });
      // Not a SandboxFusion language: its request validation answers 422.
      expect(status, language).toBe(422);
      expect(json.message).toMatch(/is not a SandboxFusion language/);
    }
    const { status, json } = await postJson(`${service.url}/tools/code_tests/score`, {
      items: [{ prompt: '', response: 'print(1)', reference: { inputs: [''], outputs: ['1'] } }],
      params: { language: 'constructor' },
    });
    expect(status).toBe(200);
    expect(json.details[0].error).toMatch(/language "constructor" is not supported/);
  });

  it('refuses params nested deeper than the limit with 400', async () => {
    // Written as text: JSON.stringify itself cannot go 10,000 levels deep.
    const params = `${'{"next":'.repeat(10_000)}{"leaf":1}${'}'.repeat(10_000)}`;
    const body = `{"items":[{"prompt":"p","response":"a","reference":"a"}],"params":${params}}`;
    const { status, json } = await postJson(`${service.url}/tools/exact_match/score`, body);
    expect(status).toBe(400);
    expect(json.message).toMatch(/body\/params is nested deeper than/);
  });
});
