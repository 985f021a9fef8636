import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { postJson, startService, type RunningService } from './helpers/service.ts';

// Code rewards through HTTP, with programs run in the real bubblewrap sandbox.

const SECRET = 'service-secret-7f3a9c';
let service: RunningService;

beforeAll(async () => {
  service = await startService({ RLAR_TEST_SECRET: SECRET });
});
afterAll(async () => {
  await service.stop();
});

const fenced = (language: string, code: string) => `Here is my solution:\n\`\`\`${language}\n${code}\n\`\`\``;
const sumCases = { inputs: ['1 2\n', '10 -3\n'], outputs: ['3\n', '7\n'] };

describe('code_tests through POST /reward', () => {
  it('passes correct and fails wrong programs in each test format and language', async () => {
    const items = [
      { prompt: 'Sum two numbers.', response: fenced('python', 'a, b = map(int, input().split())\nprint(a + b)'), reference: sumCases, task: 'codecontests' },
      { prompt: 'Sum two numbers.', response: fenced('python', 'a, b = map(int, input().split())\nprint(a - b)'), reference: sumCases, task: 'codecontests' },
      {
        prompt: 'Sum two numbers.',
        response: fenced('cpp', '#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}'),
        reference: sumCases,
        task: 'codecontests',
        metadata: {},
      },
      {
        prompt: 'Add.',
        response: fenced('python', 'class Solution:\n    def add(self, a, b):\n        return a + b'),
        reference: JSON.stringify({ inputs: [[1, 2], [5, 5]], outputs: [[3], [10]], fn_name: 'add' }),
        task: 'apps',
      },
      {
        prompt: 'def inc(x):\n    """Add one."""\n',
        response: '    return x + 1\n',
        reference: { test: 'def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(-1) == 0\n', entry_point: 'inc' },
        task: 'openai_humaneval',
      },
      {
        prompt: 'Square.',
        response: fenced('python', 'def sq(x):\n    return x * x'),
        reference: { test_list: ['assert sq(2) == 4', 'assert sq(3) == 9', 'assert sq(-2) == 4'] },
        task: 'mbpp',
      },
      {
        prompt: 'Square.',
        response: fenced('python', 'def sq(x):\n    return x + x'),
        reference: { test_list: ['assert sq(2) == 4', 'assert sq(3) == 9', 'assert sq(-2) == 4'] },
        task: 'mbpp',
      },
    ];
    const { status, json } = await postJson(`${service.url}/reward`, { items });
    expect(status).toBe(200);
    expect(json.results.map((r: any) => r.signature)).toEqual([
      'code.codecontests.test_cases',
      'code.codecontests.test_cases',
      'code.codecontests.test_cases',
      'code.apps.test_cases',
      'code.openai_humaneval.test_cases',
      'code.mbpp.test_cases',
      'code.mbpp.test_cases',
    ]);
    // The C++ item shares the Python items' toolset; its program runs as C++, the language of its block.
    expect(json.rewards).toEqual([1, 0, 1, 1, 1, 1, 1 / 3]);
    expect(json.results[2].components[0].detail.language).toBe('cpp');
    expect(json.results[1].components[0].detail.cases.map((c: any) => c.status)).toEqual(['wrong_answer', 'wrong_answer']);
  });

  it('runs C++ and JavaScript programs when told the language', async () => {
    for (const [language, code] of [
      ['cpp', '#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}'],
      ['javascript', 'const [a, b] = require("fs").readFileSync(0, "utf8").trim().split(" ").map(Number);\nconsole.log(a + b);'],
    ]) {
      const { json } = await postJson(`${service.url}/tools/code_tests/score`, {
        items: [
          { prompt: '', response: fenced(language!, code!), reference: sumCases },
          { prompt: '', response: fenced(language!, code!.replace('a+b', 'a*b').replace('a + b', 'a * b')), reference: sumCases },
        ],
        params: { language },
      });
      expect(json.scores, language).toEqual([1, 0]);
    }
    const broken = await postJson(`${service.url}/tools/code_tests/score`, {
      items: [{ prompt: '', response: fenced('cpp', 'int main( {'), reference: sumCases }],
      params: { language: 'cpp' },
    });
    expect(broken.json.details[0].detail.cases[0].status).toBe('compile_error');
  });

  it('contains hostile programs, scores them 0 with a reason, and scores later items normally', async () => {
    const echo = { inputs: ['1\n'], outputs: ['1\n'] };
    const port = new URL(service.url).port;
    const hostile: [string, string, string][] = [
      ['infinite loop', 'while True:\n    pass', 'timeout'],
      // Children hold their slots and only the parent forks, so it meets the process limit for sure.
      ['fork bomb', 'import os, time\nwhile True:\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)', 'runtime_error'],
      ['memory bomb', 'x = bytearray(8 * 1024 ** 3)\nprint(1)', 'runtime_error'],
      ['rm -rf /', 'import subprocess\nsubprocess.run(["rm", "-rf", "--no-preserve-root", "/"], stderr=subprocess.DEVNULL)\nprint(2)', 'wrong_answer'],
      ['read /etc/shadow', 'print(open("/etc/shadow").read())', 'runtime_error'],
      ['write outside the work dir', 'open("/usr/lib/evil.txt", "w").write("x")\nprint(1)', 'runtime_error'],
      ['socket to the service', `import socket\nsocket.create_connection(("127.0.0.1", ${port}), timeout=2)\nprint(1)`, 'runtime_error'],
      ['sleep past the deadline', 'import time\ntime.sleep(60)\nprint(1)', 'timeout'],
      ['print 1 GB', 'import sys\nchunk = "x" * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)', 'output_limit'],
    ];
    const items = [
      ...hostile.map(([, code]) => ({ prompt: '', response: fenced('python', code), reference: echo })),
      { prompt: '', response: fenced('python', 'print(input())'), reference: echo },
    ];
    const { status, json } = await postJson(`${service.url}/tools/code_tests/score`, { items, params: { time_limit_ms: 2000 } });
    expect(status).toBe(200);
    expect(json.scores).toEqual([...hostile.map(() => 0), 1]);
    hostile.forEach(([name, , expected], i) => {
      // rm walks the whole read-only tree: whether it ends before the time limit depends on the machine.
      const allowed = name === 'rm -rf /' ? [expected, 'timeout'] : [expected];
      expect(allowed, name).toContain(json.details[i].detail.cases[0].status);
    });
    // The host is unharmed: its files are there and the service still answers.
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const after = await postJson(`${service.url}/tools/code_tests/score`, {
      items: [{ prompt: '', response: fenced('python', 'print(input())'), reference: echo }],
    });
    expect(after.json.scores).toEqual([1]);
  });
});

describe('POST /run_code (SandboxFusion)', () => {
  // verl's client posts one request per test case and passes a case when
  // stdout.rstrip("\n") == expected.rstrip("\n").
  async function verlCase(code: string, stdin: string, expected: string, language = 'python') {
    const { status, json } = await postJson(`${service.url}/run_code`, {
      code,
      language,
      stdin,
      compile_timeout: 10,
      run_timeout: 10,
      memory_limit_MB: 1024,
      files: {},
      fetch_files: [],
    });
    expect(status).toBe(200);
    return { json, passed: json.status === 'Success' && (json.run_result.stdout as string).replace(/\n+$/, '') === expected.replace(/\n+$/, '') };
  }

  it("answers SandboxFusion's shapes and statuses", async () => {
    const ok = await verlCase('a, b = map(int, input().split())\nprint(a + b)', '1 2\n', '3\n');
    expect(ok.passed).toBe(true);
    expect(Object.keys(ok.json).sort()).toEqual(['compile_result', 'executor_pod_name', 'files', 'message', 'run_result', 'status']);
    expect(Object.keys(ok.json.run_result).sort()).toEqual(['execution_time', 'return_code', 'status', 'stderr', 'stdout']);
    expect(ok.json).toMatchObject({ status: 'Success', compile_result: null, run_result: { status: 'Finished', return_code: 0 } });

    const wrong = await verlCase('print(0)', '1 2\n', '3\n');
    expect(wrong.passed).toBe(false);

    const crash = await verlCase('raise SystemExit(3)', '', '');
    expect(crash.json).toMatchObject({ status: 'Failed', run_result: { status: 'Finished', return_code: 3 } });

    const slow = await postJson(`${service.url}/run_code`, { code: 'while True: pass', language: 'python', run_timeout: 1 });
    expect(slow.json).toMatchObject({ status: 'Failed', run_result: { status: 'TimeLimitExceeded', return_code: null } });

    const cpp = await verlCase('#include <cstdio>\nint main(){int a,b;scanf("%d %d",&a,&b);printf("%d\\n",a+b);}', '4 5', '9', 'cpp');
    expect(cpp.passed).toBe(true);
    expect(cpp.json.compile_result).toMatchObject({ status: 'Finished', return_code: 0 });

    const broken = await postJson(`${service.url}/run_code`, { code: 'int main( {', language: 'cpp' });
    expect(broken.json).toMatchObject({ status: 'Failed', run_result: null, compile_result: { status: 'Finished' } });
    expect(broken.json.compile_result.return_code).not.toBe(0);
  });

  it('takes files in and gives files back, and enforces memory_limit_MB', async () => {
    const { json } = await postJson(`${service.url}/run_code`, {
      code: 'open("out.txt", "w").write(open("in.txt").read().upper())',
      language: 'python',
      files: { 'in.txt': Buffer.from('abc').toString('base64') },
      fetch_files: ['out.txt', '../../etc/passwd'],
    });
    expect(json.status).toBe('Success');
    expect(json.files).toEqual({ 'out.txt': Buffer.from('ABC').toString('base64') });
    const hungry = await postJson(`${service.url}/run_code`, {
      code: 'x = bytearray(300 * 1024 * 1024)\nprint("allocated")',
      language: 'python',
      memory_limit_MB: 128,
    });
    expect(hungry.json.status).toBe('Failed');
    expect(hungry.json.run_result.stderr).toMatch(/MemoryError/);
  });

  it("does not show the service's environment to the program", async () => {
    const { json } = await postJson(`${service.url}/run_code`, { code: 'import os\nprint(dict(os.environ))', language: 'python' });
    expect(json.status).toBe('Success');
    expect(json.run_result.stdout).not.toContain(SECRET);
    expect(service.output()).not.toContain(SECRET);
  });

  it("answers other languages as SandboxFusion does: its own without a toolchain here as SandboxError, others 422", async () => {
    const { status, json } = await postJson(`${service.url}/run_code`, { code: 'x', language: 'cobol' });
    expect(status).toBe(422);
    expect(json.message).toMatch(/"cobol" is not a SandboxFusion language; this sandbox runs: .*rust/);
    const php = await postJson(`${service.url}/run_code`, { code: '<?php echo 1;', language: 'php' });
    expect(php.status).toBe(200);
    expect(php.json).toMatchObject({ status: 'SandboxError', compile_result: null, run_result: null, message: expect.stringMatching(/"php" has no toolchain/) });
  });
});

describe('without bubblewrap', () => {
  it('starts, but refuses code tools with a clear error instead of running unsandboxed', async () => {
    const bare = await startService({ PATH: '/nonexistent' });
    try {
      const { json } = await postJson(`${bare.url}/tools/code_tests/score`, {
        items: [{ prompt: '', response: 'print(1)', reference: { inputs: ['\n'], outputs: ['1\n'] } }],
      });
      expect(json.scores).toEqual([0]);
      expect(json.details[0].error).toMatch(/the code sandbox needs bubblewrap/);
      const run = await postJson(`${bare.url}/run_code`, { code: 'print(1)', language: 'python' });
      expect(run.json).toMatchObject({ status: 'SandboxError', message: expect.stringMatching(/bubblewrap/) });
    } finally {
      await bare.stop();
    }
  });
});

describe('time limits of code items', () => {
  it('are the per-case limits, not the task timeout meant for tools that could hang', async () => {
    const quick = await startService({ RLAR_TASK_TIMEOUT_MS: '300' });
    try {
      // Each case sleeps 0.2 s: an item takes longer than the 300 ms task timeout, and still passes.
      const program = fenced('python', 'import time\ntime.sleep(0.2)\nprint(input())');
      const reference = { inputs: ['1\n', '2\n', '3\n', '4\n'], outputs: ['1\n', '2\n', '3\n', '4\n'] };
      const { json } = await postJson(`${quick.url}/reward`, {
        items: Array.from({ length: 3 }, () => ({ prompt: 'Echo.', response: program, reference, task: 'codecontests' })),
      });
      expect(json.rewards).toEqual([1, 1, 1]);
    } finally {
      await quick.stop();
    }
  });
});

// Root only: the busy loop takes a larger share of the CPU than others, which only root may give.
describe.runIf(process.getuid?.() === 0)('time limits count CPU time, so a busy machine changes no verdict', () => {
  // The service and a busy loop share one CPU. The loop is a session of its own, and its autogroup (and
  // itself) at nice -10 weighs 9.3 times a sandbox's session under the kernel's fair scheduling: a
  // sandbox gets 7-10% of that CPU, whether or not other work runs there too.
  const cpu = /Cpus_allowed_list:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
  let hog: ChildProcess | undefined;
  let pinned: RunningService;
  beforeAll(async () => {
    pinned = await startService({ RLAR_THREADS: '1' });
    const taskset = spawnSync('taskset', ['-a', '-p', '-c', cpu, String(pinned.pid)]);
    expect(taskset.status, taskset.stderr.toString()).toBe(0);
  });
  afterAll(async () => {
    if (hog) process.kill(-hog.pid!, 'SIGKILL');
    await pinned.stop();
  });
  const startHog = () => {
    const loop = 'echo -10 > /proc/self/autogroup; while :; do :; done';
    hog = spawn('taskset', ['-c', cpu, 'nice', '-n', '-10', 'sh', '-c', loop], { detached: true, stdio: 'ignore' });
  };
  const burn: Record<string, (seconds: number) => string> = {
    python: (seconds) => `import time\nend = time.process_time() + ${seconds}\nwhile time.process_time() < end:\n    pass\nprint(input())`,
    c: (seconds) =>
      `#include <stdio.h>\n#include <time.h>\nint main(void){while(clock() < ${seconds} * CLOCKS_PER_SEC);int x;scanf("%d",&x);printf("%d\\n",x);return 0;}`,
  };
  const score = async (language: string, seconds: number, params: object, cases = 1) => {
    const reference = { inputs: Array(cases).fill('7\n'), outputs: Array(cases).fill('7\n') };
    const items = [{ prompt: '', response: fenced(language, burn[language]!(seconds)), reference }];
    return (await postJson(`${pinned.url}/tools/code_tests/score`, { items, params: { language, ...params } })).json;
  };

  it('passes a program that needs 0.2 s of a 1 s limit while it gets a tenth of the CPU, and bounds items alike', async () => {
    for (const language of ['python', 'c']) await score(language, 0, {}); // the warm sandbox and the compile cache
    // Before the loop starts: a program over its limit times out (200 ms of CPU by its 1.6 s bound, even on a busy CPU).
    const over = await score('python', 1.5, { time_limit_ms: 200 });
    expect(over.details[0].detail?.cases[0].status, JSON.stringify(over.details)).toBe('timeout');
    startHog();
    for (const language of ['python', 'c']) {
      // Python's two cases run in warm sandboxes, C's in a sandbox per run: both measure the CPU time.
      const fits = await score(language, 0.2, { time_limit_ms: 1000 }, language === 'python' ? 2 : 1);
      expect(fits.scores, `${language}: ${JSON.stringify(fits.details)}`).toEqual([1]);
      for (const { time_ms, cpu_ms } of fits.details[0].detail.cases) {
        // It took longer than its limit by the clock, and was judged by its CPU time.
        expect(time_ms, language).toBeGreaterThan(1000);
        expect(cpu_ms, language).toBeGreaterThanOrEqual(190);
        expect(cpu_ms, language).toBeLessThan(1000);
      }
      // Counted by the wall clock, as before, the same program times out.
      const byWall = await score(language, 0.2, { time_limit_ms: 1000, time_limit_clock: 'wall' });
      expect(byWall.details[0].detail.cases[0].status, language).toBe('timeout');
    }
    // The item's limit counts CPU time too: three cases of 0.1 s fit in 2 s, however long they wait (by
    // the wall clock, the second case would start with 0.5 s left and need 1.5 s).
    const item = await score('python', 0.1, { time_limit_ms: 1000, item_time_limit_ms: 2000 }, 3);
    expect(item.details[0].detail.cases.map((c: any) => c.status), JSON.stringify(item.details)).toEqual(['passed', 'passed', 'passed']);
  });

  it('gives an error, not a timeout, for a run that waited for the CPU most of its time', async () => {
    if (!hog) startHog();
    // 1 s of CPU is out of reach by the 4 s bound: the verdict is no one's to give.
    for (const language of ['python', 'c']) {
      const starved = await score(language, 1.5, { time_limit_ms: 1000 });
      expect(starved.details[0].error, language).toMatch(/too busy to judge the program/);
    }
    // A program that gives itself a smaller share of the CPU gets its timeout, not an error.
    // (A warm Python sandbox's processes cannot write their autogroup; a C program's own sandbox can.)
    const lowering: [string, string, string][] = [
      ['nice', 'python', 'import os\nos.nice(19)\n' + burn.python!(1.5)],
      ['idle policy', 'python', 'import os\nos.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\n' + burn.python!(1.5)],
      ['autogroup', 'c', burn.c!(1.5).replace('int main(void){', 'int main(void){FILE *f = fopen("/proc/self/autogroup", "w"); if (!f || fputs("19", f) < 0 || fclose(f)) return 3;')],
    ];
    for (const [how, language, code] of lowering) {
      const { json } = await postJson(`${pinned.url}/tools/code_tests/score`, {
        items: [{ prompt: '', response: fenced(language, code), reference: { inputs: ['7\n'], outputs: ['7\n'] } }],
        params: { time_limit_ms: 1000, language },
      });
      expect(json.details[0].error, how).toBeUndefined();
      expect(json.details[0].detail.cases[0].status, how).toBe('timeout');
    }
  });
});

describe('the APPS/TACO harness for Python', () => {
  const score = async (items: object[], params: object = {}) => {
    const { status, json } = await postJson(`${service.url}/tools/code_tests/score`, { items: items.map((item) => ({ prompt: '', ...item })), params });
    expect(status).toBe(200);
    return json;
  };

  it("gives function-call programs the harness's imports and compares return values as the harness does", async () => {
    const leetcode = 'class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        seen = defaultdict(int)\n' +
      '        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i\n';
    const json = await score([
      // verl/PRIME rows: arguments as JSON lines, the output as JSON text.
      { response: fenced('python', leetcode), reference: JSON.stringify({ fn_name: 'twoSum', inputs: ['[2, 7, 11, 15]\n9', '[3, 2, 4]\n6'], outputs: ['[0, 1]', '[1, 2]'] }) },
      // A generator, a tuple, and what the function prints (not part of its answer).
      { response: fenced('python', 'def evens(n):\n    print("debug")\n    return (i for i in range(0, n, 2))'), reference: { fn_name: 'evens', inputs: [[5]], outputs: [[0, 2, 4]] } },
      { response: fenced('python', 'def pair(a, b):\n    return b, a'), reference: { fn_name: 'pair', inputs: [[1, 2]], outputs: [[[2, 1]]] } },
      // 3.0 in the JSON text is a float for Python, as in the harness, not the int 3.
      { response: fenced('python', 'def kind(x):\n    return type(x).__name__'), reference: '{"fn_name": "kind", "inputs": [[3.0], [3], ["3.0"]], "outputs": ["float", "int", "str"]}' },
      // LiveCodeBench's test list.
      {
        response: fenced('python', 'class Solution:\n    def maxOf(self, nums: List[int]) -> int:\n        return max(nums)'),
        reference: JSON.stringify([{ input: '[1, 5, 2]', output: '5', testtype: 'functional', metadata: '{"func_name": "maxOf"}' }]),
      },
      { response: fenced('python', 'def evens(n):\n    return [1]'), reference: { fn_name: 'evens', inputs: [[5]], outputs: [[0, 2, 4]] } },
      // A list's first element passes only when the data wraps every expected value in a list of one
      // (APPS, TACO: outputs [[3], [10]] above); here it would reward min() for sorting.
      { response: fenced('python', 'def sort_list(xs):\n    return min(xs)'), reference: { fn_name: 'sort_list', inputs: [[[3, 1, 2]], [[9, 7, 8, 5]]], outputs: [[1, 2, 3], [5, 7, 8, 9]] } },
      { response: fenced('python', 'def sort_list(xs):\n    return sorted(xs)'), reference: { fn_name: 'sort_list', inputs: [[[3, 1, 2]], [[9, 7, 8, 5]]], outputs: [[1, 2, 3], [5, 7, 8, 9]] } },
    ]);
    expect(json.scores).toEqual([1, 1, 1, 1, 1, 0, 0, 1]);
    // Integers beyond a double's precision, and one too long for Python's default repr limit, in a reference given as JSON text.
    const huge = { response: fenced('python', 'def big(n):\n    return 3 ** n'), reference: `{"fn_name": "big", "inputs": [[45], [10000]], "outputs": [${3n ** 45n}, ${3n ** 10000n}]}` };
    const bigJson = await score([huge]);
    expect(bigJson.scores, JSON.stringify(bigJson.details)).toEqual([1]);
    expect(json.details[5].detail.cases[0]).toMatchObject({ status: 'wrong_answer', message: 'returned [1]' });
  });

  it('runs stdin programs with a top-level return and compares lines as the harness does; its imports on request', async () => {
    const cases = { inputs: ['1\n', '4\n'], outputs: ['1\n', '2.0000001\n'] };
    const json = await score([
      { response: fenced('python', 'from math import sqrt\nn = int(input())\nif n == 1:\n    print(1)\n    return\nprint(sqrt(n))'), reference: cases },
      // Trailing spaces and blank lines do not matter to the harness.
      { response: fenced('python', 'n = int(input())\nprint(" %d " % n if n == 1 else "2.0", end="\\n\\n")'), reference: cases },
      { response: fenced('python', 'n = int(input())\nprint(n)'), reference: cases },
    ]);
    expect(json.scores).toEqual([1, 1, 0.5]);
    // A judge runs a stdin program as it is; PRIME's harness puts its imports first (`preamble`).
    const bare = { response: fenced('python', 'print(sqrt(int(input())))'), reference: { inputs: ['4\n'], outputs: ['2.0\n'] } };
    expect((await score([bare])).details[0].detail.cases[0]).toMatchObject({ status: 'runtime_error', message: expect.stringMatching(/NameError: name 'sqrt'/) });
    expect((await score([bare], { preamble: true })).scores).toEqual([1]);
  });

  it("runs HumanEval programs after the prompt's code (its imports and helpers), as its evaluator does, but not after a chat message", async () => {
    const prompt = 'from typing import List\n\n\ndef helper(x):\n    return x * 2\n\n\ndef double_all(xs: List[int]) -> List[int]:\n    """Double each."""\n';
    const test = 'def check(candidate):\n    assert candidate([1, 2]) == [2, 4]\n';
    const json = await score([
      // The whole function again, using the prompt's import and helper.
      { prompt, response: fenced('python', 'def double_all(xs: List[int]) -> List[int]:\n    return [helper(x) for x in xs]'), reference: { test, entry_point: 'double_all' } },
      { prompt, response: '    return [helper(x) for x in xs]\n', reference: { test, entry_point: 'double_all' } },
      {
        prompt: 'Write def double_all(xs) that doubles each number. Answer with a code block.',
        response: fenced('python', 'def double_all(xs):\n    return [2 * x for x in xs]'),
        reference: { test, entry_point: 'double_all' },
      },
    ]);
    expect(json.scores).toEqual([1, 1, 1]);
  });

  it("takes the per-case time limit from the test data and bounds the whole item", async () => {
    // Limits count CPU time: the program spends n / 10 s of it.
    const busy = fenced('python', 'import time\nn = int(input())\nend = time.process_time() + n / 10\nwhile time.process_time() < end:\n    pass\nprint(n)');
    const json = await score([
      { response: busy, reference: { inputs: ['1\n', '30\n'], outputs: ['1\n', '30\n'], time_limit: '1 second' } },
      { response: busy, reference: { inputs: ['1\n', '2\n'], outputs: ['1\n', '2\n'], time_limit: { seconds: 2, nanos: 0 } } },
    ]);
    expect(json.scores).toEqual([0.5, 1]);
    expect(json.details[0].detail.time_limit_ms).toBe(1000);
    expect(json.details[0].detail.cases.map((c: any) => c.status)).toEqual(['passed', 'timeout']);
    expect(json.details[1].detail.time_limit_ms).toBe(2000);

    // Four cases of 2 s of CPU each, at most two at a time, in an item allowed 3 s: the last ones are cut short.
    const bounded = await postJson(`${service.url}/tools/code_tests/score`, {
      items: [{ prompt: '', response: busy, reference: { inputs: ['20\n', '20\n', '20\n', '20\n'], outputs: ['20\n', '20\n', '20\n', '20\n'] } }],
      params: { item_time_limit_ms: 3000, time_limit_ms: 5000 },
    });
    const statuses = bounded.json.details[0].detail.cases.map((c: any) => c.status);
    expect(statuses).toContain('timeout');
    expect(bounded.json.scores[0]).toBeLessThan(1);
  });
});

const sumPrograms: Record<string, string> = {
  c: '#include <stdio.h>\nint main(void){long a,b;scanf("%ld %ld",&a,&b);printf("%ld\\n",a+b);return 0;}',
  cpp: '#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}',
  java: 'import java.util.*;\npublic class Solution {\n  public static void main(String[] args) {\n    Scanner in = new Scanner(System.in);\n    System.out.println(in.nextLong() + in.nextLong());\n  }\n}',
  go: 'package main\nimport "fmt"\nfunc main() {\n\tvar a, b int64\n\tfmt.Scan(&a, &b)\n\tfmt.Println(a + b)\n}',
  rust: 'use std::io::Read;\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n    println!("{}", v[0] + v[1]);\n}',
  typescript: 'import * as fs from "fs";\nenum Sign { Plus = 1 }\nconst [a, b]: number[] = fs.readFileSync(0, "utf8").trim().split(/\\s+/).map(Number);\nconsole.log(a * Sign.Plus + b);',
  javascript: 'const [a, b] = require("fs").readFileSync(0, "utf8").trim().split(/\\s+/).map(Number);\nconsole.log(a + b);',
  python: 'print(sum(map(int, input().split())))',
};
// verl's SandboxFusion client sends these names.
const sandboxFusionName: Record<string, string> = { javascript: 'nodejs' };

describe('languages', () => {
  it('scores C, C++, Java, Go, Rust, TypeScript, JavaScript and Python programs by the language of their block', async () => {
    const languages = Object.keys(sumPrograms);
    const wrongSums = { inputs: sumCases.inputs, outputs: ['4\n', '7\n'] };
    const items = languages.flatMap((language) => [
      { prompt: 'Sum two numbers.', response: fenced(language, sumPrograms[language]!), reference: sumCases, task: 'codecontests' },
      { prompt: 'Sum two numbers.', response: fenced(language, sumPrograms[language]!), reference: wrongSums, task: 'codecontests' },
    ]);
    const { status, json } = await postJson(`${service.url}/reward`, { items });
    expect(status).toBe(200);
    languages.forEach((language, i) => {
      expect([json.results[2 * i].reward, json.results[2 * i + 1].reward], language).toEqual([1, 0.5]);
      expect(json.results[2 * i].components[0].detail.language).toBe(language);
    });
  });

  it('runs each language through /run_code under the names SandboxFusion clients send', async () => {
    for (const [language, code] of Object.entries(sumPrograms)) {
      // A modest memory limit, which runtimes that reserve address space (Go, the JVM, V8) must start under.
      const { status, json } = await postJson(`${service.url}/run_code`, {
        code,
        language: sandboxFusionName[language] ?? language,
        stdin: '40 2\n',
        compile_timeout: 30,
        memory_limit_MB: 256,
      });
      expect(status, language).toBe(200);
      expect(json.status, `${language}: ${json.message} ${json.compile_result?.stderr ?? ''} ${json.run_result?.stderr ?? ''}`).toBe('Success');
      expect(json.run_result.stdout.trim(), language).toBe('42');
    }
    const broken = await postJson(`${service.url}/run_code`, { code: 'fn main() { let x: i32 = "no"; }', language: 'rust' });
    expect(broken.json).toMatchObject({ status: 'Failed', run_result: null, compile_result: { status: 'Finished' } });
    expect(broken.json.compile_result.stderr).toMatch(/mismatched types/);
  });
});

describe('the compile cache', () => {
  it('compiles a program once for many /run_code calls, concurrently too, and the runs cannot write it', async () => {
    // A fresh program (the pid makes it unlike any other test's), posted once per test case as verl does.
    const code = `#include <cstdio>\n// ${process.pid} ${Date.now()}\nint main(){FILE*f=fopen("/program/main","ab");int x;scanf("%d",&x);printf("%d %s\\n",x*2,f?"writable":"read-only");}`;
    const post = (stdin: string) => postJson(`${service.url}/run_code`, { code, language: 'cpp', stdin, compile_timeout: 30 });
    const first = await post('1');
    expect(first.json.status).toBe('Success');
    expect(first.json.run_result.stdout).toBe('2 read-only\n');
    const rest = await Promise.all(['2', '3', '4', '5'].map(post));
    rest.forEach(({ json }, i) => {
      expect(json.run_result.stdout).toBe(`${2 * (i + 2)} read-only\n`);
      // The compiler's own result, from the one compilation.
      expect(json.compile_result).toEqual(first.json.compile_result);
    });
    // Another program (or other flags: another language) compiles anew.
    const other = await postJson(`${service.url}/run_code`, { code: code.replace('x*2', 'x*3'), language: 'cpp', stdin: '1' });
    expect(other.json.run_result.stdout).toBe('3 read-only\n');
    expect(other.json.compile_result.execution_time).not.toBe(first.json.compile_result.execution_time);
  });
});

describe('the Docker image', () => {
  it("installs the toolchain of every language the sandbox runs, as .ci/run does", async () => {
    const { TOOLCHAIN_PACKAGES } = await import('../src/sandbox/program.ts');
    const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
    const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const installed = /apt-get install[^\n]*(?:\\\n[^\n]*)*/.exec(runtime)?.[0] ?? '';
    for (const [language, packages] of Object.entries(TOOLCHAIN_PACKAGES)) {
      for (const pkg of packages) {
        // Node.js is the runtime image's base (node:<version>), not a Debian package there.
        const inImage = pkg === 'nodejs' ? /^FROM node:\d+/m.test(runtime) : new RegExp(`\\s${pkg.replace(/\+/g, '\\+')}(\\s|$)`).test(installed);
        expect(inImage, `${language} needs ${pkg} in the Dockerfile's runtime stage`).toBe(true);
        if (pkg !== 'bash') expect(ci, `${language} needs ${pkg} in .ci/run`).toContain(`missing+=(${pkg})`);
      }
    }
    expect(Object.keys(TOOLCHAIN_PACKAGES).sort()).toEqual(['bash', 'c', 'cpp', 'go', 'java', 'javascript', 'python', 'rust', 'typescript']);
  });
});
