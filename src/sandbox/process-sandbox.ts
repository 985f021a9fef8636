import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { mkdir } from 'node:fs/promises';

/**
 * Runs untrusted programs (model outputs) in a bubblewrap sandbox: read-only system directories, a
 * private work directory, no network and no other namespaces (`--unshare-all`), a new session, no
 * capabilities, an empty environment, an unprivileged user (when the service runs as root, the
 * sandbox drops to `nobody`, so RLIMIT_NPROC binds), rlimits for CPU time, address space, file size,
 * open files and processes, a wall-clock kill of the whole process group, and capped output.
 */

export interface SandboxCommand {
  /** argv inside the sandbox; the work directory is /work. */
  argv: string[];
  stdin?: string;
  timeLimitMs: number;
  /** Address-space limit in MB (not applied to Node.js, whose heap is limited by its own flag). */
  memoryMb?: number;
  env?: Record<string, string>;
  /**
   * Host directories the command sees read-only at `target`: a compiled program at /program, an
   * interpreter outside /usr and its packages at their own paths.
   */
  mounts?: { source: string; target: string }[];
}

export type SandboxStatus = 'exited' | 'timeout' | 'output_limit' | 'sandbox_error';

export interface SandboxResult {
  status: SandboxStatus;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timeMs: number;
}

export const OUTPUT_LIMIT = 8 * 1024 * 1024;
// Java reads its configuration (security policy, jvm.cfg) from /etc/java-<version>-openjdk.
const JAVA_CONFIG = (() => {
  try {
    return readdirSync('/etc').filter((name) => /^java-\d+-openjdk$/.test(name)).map((name) => `/etc/${name}`);
  } catch {
    return [];
  }
})();
export const READ_ONLY = ['/usr', '/bin', '/lib', '/lib64', '/etc/alternatives', ...JAVA_CONFIG];
const NOBODY = 65534;

let available: string | undefined | null = null;

/** Why the sandbox cannot run here (no bwrap, no prlimit), or undefined when it can. Checked once. */
export function sandboxUnavailable(): string | undefined {
  if (available === null) {
    const probe = spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-all', '--die-with-parent', 'true'], { timeout: 5_000 });
    if (probe.error || probe.status !== 0) {
      available = `the code sandbox needs bubblewrap (bwrap) with user namespaces: ${probe.error?.message ?? probe.stderr.toString().trim()}`;
    } else if (spawnSync('prlimit', ['--version']).error) {
      available = 'the code sandbox needs prlimit (util-linux)';
    } else {
      available = undefined;
    }
  }
  return available ?? undefined;
}

/** When the service runs as root the sandbox drops to `nobody`: what it reads must be readable by others. */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function bwrapArgs(workDir: string, mounts: SandboxCommand['mounts'] = []): string[] {
  const args: string[] = [];
  for (const dir of READ_ONLY) args.push('--ro-bind-try', dir, dir);
  args.push(
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
    '--bind', workDir, '/work',
    '--chdir', '/work',
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--cap-drop', 'ALL',
    '--clearenv',
    '--setenv', 'PATH', '/usr/local/bin:/usr/bin:/bin',
    '--setenv', 'HOME', '/work',
    '--setenv', 'TMPDIR', '/tmp',
    '--setenv', 'LANG', 'C.UTF-8',
  );
  // After the tmpfs on /tmp, which would hide them.
  for (const { source, target } of mounts) args.push('--ro-bind', source, target);
  return args;
}

function limits(command: SandboxCommand): string[] {
  const cpuSeconds = Math.ceil(command.timeLimitMs / 1000) + 1;
  const args = [`--cpu=${cpuSeconds}`, `--fsize=${64 * 1024 * 1024}`, '--nofile=256', `--core=0`];
  // Only a user of its own makes RLIMIT_NPROC count the sandbox's processes alone.
  if (isRoot) args.push('--nproc=64');
  if (command.memoryMb !== undefined) args.push(`--as=${command.memoryMb * 1024 * 1024}`);
  return args;
}

/** A private work directory with the given files (relative paths only), writable by the sandbox user. */
export async function makeWorkDir(files: Record<string, string | Buffer>, parent = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(parent, 'rlar-sandbox-'));
  await chmod(dir, 0o777);
  for (const [name, content] of Object.entries(files)) {
    const path = normalize(name);
    if (path.startsWith('..') || path.startsWith('/')) throw new Error(`file path "${name}" leaves the work directory`);
    await mkdir(join(dir, dirname(path)), { recursive: true, mode: 0o777 });
    await writeFile(join(dir, path), content, { mode: 0o666 });
  }
  return dir;
}

export async function removeWorkDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Reads a file the program left in its work directory, if it is there and inside it. */
export async function readWorkFile(dir: string, name: string): Promise<Buffer | undefined> {
  const path = normalize(name.replace(/^\/work\//, ''));
  if (path.startsWith('..') || path.startsWith('/')) return undefined;
  return readFile(join(dir, path)).catch(() => undefined);
}

/** Runs one command in the sandbox over `workDir`; never rejects. */
/**
 * Starts a command in the sandbox over `workDir` and returns the process (its own process group).
 * coreutils' timeout kills it even if this process's own timer is gone (a worker thread stopped
 * mid-run), so no sandbox outlives its time limit by more than a second.
 */
export function spawnSandboxed(workDir: string, command: SandboxCommand): ChildProcessWithoutNullStreams {
  const hardLimit = `${Math.ceil(command.timeLimitMs / 1000) + 1}s`;
  const inner = ['/usr/bin/timeout', '--signal=KILL', hardLimit, '/usr/bin/prlimit', ...limits(command), '--', ...command.argv];
  const env: string[] = [];
  for (const [key, value] of Object.entries(command.env ?? {})) env.push('--setenv', key, value);
  // As root, bwrap itself starts as `nobody` (spawn sets the ids and drops supplementary groups).
  return spawn('bwrap', [...bwrapArgs(workDir, command.mounts), ...env, ...inner], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: {},
    ...(isRoot && { uid: NOBODY, gid: NOBODY }),
  });
}

/** Kills a sandboxed process and everything in its group. */
export function killSandboxed(child: ChildProcessWithoutNullStreams): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function runSandboxed(workDir: string, command: SandboxCommand): Promise<SandboxResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawnSandboxed(workDir, command);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let status: SandboxStatus = 'exited';
    const killGroup = () => killSandboxed(child);
    const timer = setTimeout(() => {
      status = 'timeout';
      killGroup();
    }, command.timeLimitMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > OUTPUT_LIMIT) {
        if (status === 'exited') status = 'output_limit';
        killGroup();
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.stdin.on('error', () => {}); // a program that does not read its input closes the pipe early
    child.stdin.end(command.stdin ?? '');
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ status: 'sandbox_error', exitCode: null, signal: null, stdout: '', stderr: error.message, timeMs: 0 });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(); // anything the program left behind in its group
      // CPU-time limit: the kernel sends SIGXCPU (or SIGKILL past the hard limit).
      if (status === 'exited' && (signal === 'SIGXCPU' || code === 128 + 24)) status = 'timeout';
      resolve({
        status,
        exitCode: code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timeMs: performance.now() - started,
      });
    });
  });
}
