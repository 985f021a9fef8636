import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../src/config.ts';
import { buildApp } from '../../src/server/app.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningService {
  url: string;
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Ends the process at once (SIGKILL): nothing is flushed or closed. */
  kill(): Promise<void>;
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service did not become healthy:\n${output()}`);
}

/**
 * Starts the built CLI (`node dist/cli.js serve [args]`) as a user would, on a free port. Toolsets are
 * kept in memory unless `env` names an RLAR_DATA_DIR, so tests never share a store.
 */
export async function startService(env: Record<string, string> = {}, args: string[] = []): Promise<RunningService> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/cli.js', 'serve', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', RLAR_THREADS: '2', RLAR_DATA_DIR: ':memory:', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child, () => output);
  return { url, pid: child.pid!, output: () => output, stop: (signal) => stopChild(child, signal, () => output), kill: () => stopChild(child, 'SIGKILL') };
}

/**
 * Stops a child and waits for its exit. One that has not exited 30 s after SIGTERM is killed, and the
 * stop fails with the end of its output: a service that does not stop is a bug to see, not a hung hook.
 */
function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', output: () => string = () => ''): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${child.spawnargs.slice(1).join(' ')} did not exit within 30 s of ${signal}; its output ends:\n${output().slice(-4000)}`));
    }, 30_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** Waits until the service answers /readyz with 200 (in distributed mode: Redis connected). */
export async function waitForReady(url: string): Promise<void> {
  const until = Date.now() + 20_000;
  while ((await fetch(`${url}/readyz`)).status !== 200) {
    if (Date.now() > until) throw new Error(`${url} did not become ready`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops, after each test, what the test started with `track`. */
export function tracker() {
  const running: { stop(): Promise<void> }[] = [];
  return {
    async track<T extends { stop(): Promise<void> }>(started: Promise<T>): Promise<T> {
      const value = await started;
      running.push(value);
      return value;
    },
    stopAll: () => Promise.all(running.splice(0).map((r) => r.stop())),
  };
}

export interface RunningWorker {
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `node dist/cli.js worker` and waits until it takes jobs. */
export async function startWorker(env: Record<string, string>, args: string[] = []): Promise<RunningWorker> {
  const child = spawn(process.execPath, ['dist/cli.js', 'worker', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', RLAR_THREADS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('taking jobs')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}:\n${output}`)));
  });
  await ready;
  return { child, output: () => output, stop: (signal) => stopChild(child, signal, () => output) };
}

export interface RunningRedis {
  url: string;
  stop(): Promise<void>;
  /** Starts a fresh, empty server on the same port. */
  restart(): Promise<void>;
}

/** A private redis-server on a free port (nothing saved to disk), so test runs never share state. */
export async function startRedis(): Promise<RunningRedis> {
  const port = await freePort();
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const until = Date.now() + 10_000;
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const socket = createConnection(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > until) throw new Error('redis-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => stopChild(child),
    restart: async () => {
      await stopChild(child);
      await launch();
    },
  };
}

/** Runs the CLI to completion and returns its exit code and output (both streams, and each alone). */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<{ code: number; output: string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/cli.js', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', RLAR_DATA_DIR: ':memory:', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // 'close', not 'exit': the output is complete only once the streams have closed.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output, stdout, stderr });
    });
  });
}

/** The app in this process, listening on a free port (real HTTP), with config overrides. */
export async function startApp(overrides: Partial<Config> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const app = await buildApp({ ...loadConfig({ RLAR_DATA_DIR: ':memory:' }), threads: 2, ...overrides }, { logger: false });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}
