import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    // The C++ item shares the Python items' toolset (language python), so its program fails to run as
    // Python; scored directly with language cpp it passes (next test).
    expect(json.rewards).toEqual([1, 0, 0, 1, 1, 1, 1 / 3]);
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

  it('names an unsupported language', async () => {
    const { status, json } = await postJson(`${service.url}/run_code`, { code: 'x', language: 'cobol' });
    expect(status).toBe(400);
    expect(json.message).toMatch(/"cobol" is not supported/);
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
