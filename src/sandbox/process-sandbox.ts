import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';
import { sandboxSeccompFilter } from './seccomp.ts';

/**
 * Runs untrusted programs (model outputs) in a bubblewrap sandbox: read-only system directories, no
 * network and no other namespaces (`--unshare-all`), a new session, no capabilities, an empty
 * environment, an unprivileged user (when the service runs as root, the sandbox drops to `nobody`, so
 * RLIMIT_NPROC binds), rlimits for CPU time, memory, file size, open files and processes, a
 * wall-clock kill of the whole process group, and capped output.
 *
 * The program's /work and /tmp are size-limited tmpfs mounts inside the sandbox: /work starts as a
 * copy of the host work directory (bound read-only at /.rlar/in), so nothing a program writes ever
 * reaches the host's disk, and all of it vanishes with the sandbox's mount namespace. Files come back
 * only through a pipe, read inside the sandbox after every process of the program is gone: regular
 * files only, no symbolic link on the path, within a byte and file budget.
 */

export interface SandboxCommand {
  /** argv inside the sandbox; the work directory is /work. */
  argv: string[];
  stdin?: string;
  timeLimitMs: number;
  /** What `timeLimitMs` counts (default: wall-clock time). */
  clock?: TimeClock;
  memoryMb?: number;
  /**
   * What `memoryMb` bounds: the address space (default), or the data segment (RLIMIT_DATA: heap,
   * Buffers, every private writable mapping) for runtimes such as V8 that reserve far more address
   * space than they use.
   */
  memoryLimit?: 'address-space' | 'data';
  /** With a data-segment limit, the address space bounded too (shared mappings are outside the data segment). */
  addressSpaceMb?: number;
  env?: Record<string, string>;
  /** Files to hand back after the run: paths in /work (see `workPath`), deduplicated, at most FETCH_MAX_FILES. */
  fetch?: string[];
  /** Binds the host work directory itself at /work, writable: for a compiler, whose output must stay. */
  writeWorkDir?: boolean;
  /**
   * Host directories the command sees read-only at `target`: a compiled program at /program, an
   * interpreter outside /usr and its packages at their own paths.
   */
  mounts?: { source: string; target: string }[];
}

/**
 * `starved`: under a CPU-time limit, the run reached its wall-clock bound with CPU time to spare
 * because it waited for a CPU most of that time (the machine was too busy); no verdict on the program.
 */
export type SandboxStatus = 'exited' | 'timeout' | 'output_limit' | 'starved' | 'sandbox_error';

export interface SandboxResult {
  status: SandboxStatus;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timeMs: number;
  /** CPU time of the run's processes, measured to its end: warm Python sandboxes, and one-off sandboxes under a CPU-time limit (the program and what it waited for). */
  cpuMs?: number;
  /** The fetched files that exist as regular files, by normalized path, base64. */
  files?: Record<string, string>;
}

export const OUTPUT_LIMIT = 8 * 1024 * 1024;
/** Room a program gets in /work beyond its input files, and in /tmp (tmpfs: host memory). */
const WORK_DISK_MB = 256;
const TMP_DISK_MB = 256;
const SHM_DISK_MB = 64;
/** Files and bytes (before base64) a run can hand back. */
const FETCH_MAX_FILES = 64;
export const FETCH_MAX_BYTES = 16 * 1024 * 1024;
/** Input files a work directory may hold, and the longest path. */
export const MAX_WORK_FILES = 1_000;
const MAX_PATH = 1_024;
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

/**
 * What a time limit counts. `cpu`: the CPU time of all the run's processes, so that a verdict does not
 * depend on how busy the machine is (a correct program starved of CPU by other work would otherwise
 * time out and score 0); ExecEval, the APPS and CodeContests evaluator, limits CPU time too. `wall`:
 * wall-clock time, as SandboxFusion's run_timeout (`/run_code`).
 */
export type TimeClock = 'cpu' | 'wall';

/**
 * How long a run may take by the wall clock: its limit, or under a CPU-time limit three times the
 * limit and a second more, where a program that sleeps or waits ends (and one that waited for a CPU
 * ends `starved`).
 */
export function wallLimitMs(limitMs: number, clock: TimeClock = 'wall'): number {
  return clock === 'cpu' ? 3 * limitMs + 1_000 : limitMs;
}

/**
 * Whether /proc lists a task's children (CONFIG_PROC_CHILDREN), which treeUsage walks; without it a
 * run's CPU time cannot be read from the host, and its limit counts wall-clock time.
 */
const CHILDREN_LISTED = existsSync(`/proc/self/task/${process.pid}/children`);

/** How often a run under a CPU-time limit has its CPU time read. */
const CPU_POLL_MS = 25;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/PID/stat's times, on every Linux architecture

/** The nice value of a process's autogroup (its session's share of the CPU); 0 without autogroups. */
function autogroupNice(pid: number | 'self'): number {
  try {
    return Number(/nice (-?\d+)/.exec(readFileSync(`/proc/${pid}/autogroup`, 'latin1'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * CPU time (its own and its reaped descendants') of a process and every live or unreaped descendant,
 * the longest any one of them waited for a CPU (schedstat's run delay: the run's own processes cannot
 * make one of them wait long without spending the CPU time themselves, as a sum of many short waits
 * could), and, when `judging` whether the run was starved, whether one of them lowered its own priority
 * (a nice value above this thread's, a policy other than SCHED_OTHER, or a nicer autogroup, its
 * session's share of the CPU), from /proc. Processes that end while they are read are skipped.
 */
export function treeUsage(root: number, judging = false): { cpuMs: number; waitMs: number; lowered: boolean } {
  let ticks = 0;
  let waitNs = 0;
  let lowered = false;
  const ownNice = judging ? getPriority() : 0;
  const ownGroupNice = judging ? autogroupNice('self') : 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [ranNs, waitedNs] = readFileSync(`/proc/${pid}/schedstat`, 'latin1').split(' ').map(Number) as [number, number];
      waitNs = Math.max(waitNs, waitedNs);
      // utime, stime, cutime, cstime: fields 14 to 17 of the line, 11 to 14 after "pid (comm) ". utime +
      // stime are whole ticks, each process's rounded down (40 processes that woke briefly showed 590 ms
      // where they had run 957): the leading thread's run time counts where it is more.
      ticks += Math.max(Number(fields[11]) + Number(fields[12]), (ranNs * CLOCK_TICKS_PER_SECOND) / 1e9) + Number(fields[13]) + Number(fields[14]);
      // nice and policy: fields 19 and 41.
      if (judging && (Number(fields[16]) > ownNice || fields[38] !== '0' || autogroupNice(pid) > ownGroupNice)) lowered = true;
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'latin1').split(' ')) if (child !== '') pending.push(Number(child));
      }
    } catch {
      // gone
    }
  }
  return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND, waitMs: waitNs / 1e6, lowered };
}

/**
 * Every sandbox runs under one: no program starts a session (a scheduling group) of its own; under a
 * CPU-time limit, none makes its ended children vanish with their CPU time either (seccomp.ts).
 */
const SECCOMP_FILTER = sandboxSeccompFilter(false);
const CPU_LIMITED_FILTER = sandboxSeccompFilter(true);

let available: string | undefined | null = null;

function whyUnavailable(): string | undefined {
  if (CPU_LIMITED_FILTER === undefined) return `the code sandbox runs on x86-64 and arm64 only (its seccomp filter names their system calls), not on ${process.arch}`;
  // The probe loads the filter from its stdin, as every sandbox loads it from its fd 4.
  const probe = spawnSync('bwrap', ['--seccomp', '0', '--ro-bind', '/', '/', '--unshare-all', '--die-with-parent', '--size', '1048576', '--tmpfs', '/tmp', 'true'], { timeout: 5_000, input: CPU_LIMITED_FILTER });
  if (probe.error || probe.status !== 0) {
    return `the code sandbox needs bubblewrap (bwrap 0.8 or newer) with user namespaces and seccomp: ${probe.error?.message ?? probe.stderr.toString().trim()}`;
  }
  if (spawnSync('prlimit', ['--version']).error) return 'the code sandbox needs prlimit (util-linux)';
  return undefined;
}

/** Why the sandbox cannot run here (no bwrap, no prlimit, no seccomp filter), or undefined when it can. Checked once. */
export function sandboxUnavailable(): string | undefined {
  if (available === null) available = whyUnavailable();
  return available ?? undefined;
}

/** When the service runs as root the sandbox drops to `nobody`: what it reads must be readable by others. */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * The sandbox's first process (/bin/sh): copies the input into /work, starts a watchdog that kills
 * every other process of the sandbox once the hard limit (seconds) has passed, runs the program
 * without the fetch pipe (fd 3), kills whatever the program left running (`kill -9 -1` spares only
 * itself and the namespace's init), then writes each requested file to fd 3 as "F <path>" and a base64
 * line: only when no component of the path is a symbolic link and the file is regular, within the byte
 * budget. The watchdog is a subshell and sleep, not coreutils' timeout, which waits for a SIGCHLD
 * handler that the seccomp filter does not let anyone install (seccomp.ts); the program runs in the
 * foreground, which the shell waits for without one. With `report`, the first line on fd 3 is
 * "C <ticks>": the CPU time of the program and every process it waited for (the launcher's reaped
 * children's, from /proc/self/stat, counted over the program's run). Arguments: copy|bound, the paths
 * (one a line), the byte budget, the hard limit, report or nothing, then the command.
 */
const LAUNCHER = `
if [ "$1" = copy ]; then cp -R /.rlar/in/. /work/ || exit 125; fi
fetch=$2; budget=$3; limit=$4; report=$5; shift 5
launcher=$$
(
  exec </dev/null >/dev/null 2>&1 3>&-
  read self rest </proc/self/stat
  sleep "$limit"
  for dir in /proc/[0-9]*; do
    pid=\${dir#/proc/}
    [ "$pid" = 1 ] || [ "$pid" = "$launcher" ] || [ "$pid" = "$self" ] || kill -9 "$pid" 2>/dev/null
  done
) &
read -r before </proc/self/stat
"$@" 3>&-
code=$?
read -r after </proc/self/stat
kill -9 -1 2>/dev/null
if [ -n "$report" ]; then
  set -- \${before##*) }; shift 13; reaped=$(($1 + $2))
  set -- \${after##*) }; shift 13
  printf 'C %s\n' $(($1 + $2 - reaped)) >&3
fi
[ -n "$fetch" ] && printf '%s\\n' "$fetch" | while IFS= read -r name; do
  path=/work; rest=$name; ok=1
  while :; do
    case $rest in
      */*) path=$path/\${rest%%/*}; rest=\${rest#*/}
        if [ -h "$path" ] || [ ! -d "$path" ]; then ok=0; break; fi ;;
      *) path=$path/$rest; break ;;
    esac
  done
  if [ $ok = 1 ] && [ ! -h "$path" ] && [ -f "$path" ] && [ -r "$path" ]; then
    size=$(stat -c %s -- "$path") || continue
    [ "$size" -le "$budget" ] || continue
    budget=$((budget - size))
    printf 'F %s\\n' "$name" >&3
    head -c "$size" -- "$path" | base64 -w 0 >&3
    printf '\\n' >&3
  fi
done
exit $code
`;

/** Bytes of the files under a directory (the input the sandbox copies into its /work). */
function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += lstatSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

/** Every sandbox's namespaces, privileges and environment, after its mounts. */
const ISOLATION = [
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
];

/** Starts bwrap in a process group of its own; as root, bwrap itself starts as `nobody` (spawn sets the ids and drops supplementary groups). */
function spawnBwrap(args: string[], filter: Buffer | undefined, fetchPipe = false): ChildProcessWithoutNullStreams {
  const child = spawn('bwrap', ['--seccomp', '4', ...args], {
    stdio: ['pipe', 'pipe', 'pipe', fetchPipe ? 'pipe' : 'ignore', 'pipe'],
    detached: true,
    env: {},
    ...(isRoot && { uid: NOBODY, gid: NOBODY }),
  }) as ChildProcessWithoutNullStreams;
  // bwrap reads the filter to the end of its fd 4 (none, where sandboxUnavailable says why: bwrap then
  // refuses to start); a bwrap that failed to start reads nothing.
  const filterPipe = child.stdio[4] as NodeJS.WritableStream;
  filterPipe.on('error', () => {});
  filterPipe.end(filter ?? Buffer.alloc(0));
  return child;
}

function bwrapArgs(workDir: string, command: SandboxCommand): string[] {
  const args: string[] = [];
  for (const dir of READ_ONLY) args.push('--ro-bind-try', dir, dir);
  args.push('--proc', '/proc', '--dev', '/dev', '--size', String(TMP_DISK_MB * 1024 * 1024), '--tmpfs', '/tmp');
  if (command.writeWorkDir) {
    args.push('--bind', workDir, '/work');
  } else {
    const size = WORK_DISK_MB * 1024 * 1024 + treeBytes(workDir);
    args.push('--size', String(size), '--tmpfs', '/work', '--ro-bind', workDir, '/.rlar/in');
  }
  args.push(...ISOLATION);
  // After the tmpfs mounts, which would hide them.
  for (const { source, target } of command.mounts ?? []) args.push('--ro-bind', source, target);
  return args;
}

function limits(command: SandboxCommand): string[] {
  const cpuSeconds = Math.ceil(command.timeLimitMs / 1000) + 1;
  const args = [`--cpu=${cpuSeconds}`, `--fsize=${64 * 1024 * 1024}`, '--nofile=256', `--core=0`];
  // Set inside the sandbox's user namespace, where the kernel (5.14 and later) counts the sandbox's
  // processes alone, though every sandbox runs as nobody (a test holds it). A service that is not
  // root runs its sandboxes as itself, and older kernels count per user: its own threads would count.
  if (isRoot) args.push('--nproc=64');
  if (command.memoryMb !== undefined) {
    args.push(`--${command.memoryLimit === 'data' ? 'data' : 'as'}=${command.memoryMb * 1024 * 1024}`);
  }
  if (command.addressSpaceMb !== undefined) args.push(`--as=${command.addressSpaceMb * 1024 * 1024}`);
  return args;
}

/**
 * A path inside /work, normalized ("./f", "/work/f" and "f" are one path), or undefined when it is
 * empty, leaves /work, names /work itself, holds a control character or is overlong.
 */
export function workPath(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_PATH || /[\u0000-\u001f\u007f]/.test(name)) return undefined;
  const inside = name.startsWith('/work/') ? name.slice('/work/'.length) : name;
  if (inside.startsWith('/') || inside.endsWith('/')) return undefined;
  const path = posix.normalize(inside);
  if (path === '.' || path === '..' || path.startsWith('../') || path.split('/').some((part) => part.length > 255)) return undefined;
  return path;
}

/** Work directories carry the owning process and thread, so leftovers of dead ones can be found. */
const WORK_DIR = /^rlar-(\d+)-(\d+)-/;

/** The start of the name of every directory this thread keeps in the temporary directory. */
export function workDirPrefix(): string {
  return `rlar-${process.pid}-${threadId}-`;
}

/**
 * A private host directory with the given input files, readable by the sandbox user; throws, leaving
 * nothing behind, when a name is not a path inside /work (see `workPath`) or there are too many.
 */
export async function makeWorkDir(files: Record<string, string | Buffer>, parent = tmpdir()): Promise<string> {
  const names = Object.keys(files);
  if (names.length > MAX_WORK_FILES) throw new Error(`${names.length} files are more than the sandbox takes (${MAX_WORK_FILES})`);
  const paths = names.map((name) => {
    const path = workPath(name);
    if (path === undefined) throw new Error(`file path ${JSON.stringify(name.slice(0, 100))} is not a path inside the work directory`);
    return path;
  });
  const dir = await mkdtemp(join(parent, workDirPrefix()));
  try {
    // The compile step writes here as the sandbox user.
    if (isRoot) await chown(dir, NOBODY, NOBODY);
    for (const [i, path] of paths.entries()) {
      await mkdir(join(dir, posix.dirname(path)), { recursive: true, mode: 0o755 });
      await writeFile(join(dir, path), files[names[i]!]!, { mode: 0o644, flag: 'wx' });
    }
  } catch (error) {
    await removeWorkDir(dir);
    throw error;
  }
  return dir;
}

export async function removeWorkDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes work directories left behind: those of processes that are gone, of this process too when
 * `ownToo` (at start, before any run: a container restarts with the same pid), or of one thread of this
 * process (a worker thread stopped mid-task never reaches its own clean-up).
 */
export async function removeLeftoverWorkDirs(scope: { ownToo?: boolean; thread?: number } = {}): Promise<number> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  const stale = names.filter((name) => {
    const match = WORK_DIR.exec(name);
    if (!match) return false;
    const pid = Number(match[1]);
    if (scope.thread !== undefined) return pid === process.pid && Number(match[2]) === scope.thread;
    return pid === process.pid ? scope.ownToo === true : !alive(pid);
  });
  await Promise.all(stale.map((name) => removeWorkDir(join(tmpdir(), name))));
  return stale.length;
}

// At exit the process's own directories go too (compile caches live as long as the process); only
// synchronous work runs then.
if (isMainThread) {
  process.on('exit', () => {
    const own = `rlar-${process.pid}-`;
    for (const name of readdirSync(tmpdir())) if (name.startsWith(own)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  });
}

/** The deduplicated paths to fetch, at most FETCH_MAX_FILES. */
function fetchList(fetch: string[] | undefined): string[] {
  const paths = new Set<string>();
  for (const name of fetch ?? []) {
    const path = workPath(name);
    if (path !== undefined) paths.add(path);
    if (paths.size === FETCH_MAX_FILES) break;
  }
  return [...paths];
}

/**
 * Starts a command in the sandbox over `workDir` and returns the process (its own process group).
 * The launcher's watchdog kills it even if this process's own timer is gone (a worker thread stopped
 * mid-run), so no sandbox outlives its wall-clock limit by more than a second. With `fetch`, the process's
 * fd 3 is the pipe the files come back through.
 */
export function spawnSandboxed(workDir: string, command: SandboxCommand): ChildProcessWithoutNullStreams {
  const hardLimit = String(Math.ceil(wallLimitMs(command.timeLimitMs, command.clock) / 1000) + 1);
  const program = ['/usr/bin/prlimit', ...limits(command), '--', ...command.argv];
  const fetch = fetchList(command.fetch);
  const report = command.clock === 'cpu' ? 'report' : '';
  const launcher = ['/bin/sh', '-c', LAUNCHER, 'rlar', command.writeWorkDir ? 'bound' : 'copy', fetch.join('\n'), String(FETCH_MAX_BYTES), hardLimit, report];
  const env: string[] = [];
  for (const [key, value] of Object.entries(command.env ?? {})) env.push('--setenv', key, value);
  const filter = command.clock === 'cpu' ? CPU_LIMITED_FILTER : SECCOMP_FILTER;
  return spawnBwrap([...bwrapArgs(workDir, command), ...env, ...launcher, ...program], filter, fetch.length > 0 || report !== '');
}

/**
 * Starts a long-lived command as the init of its sandbox (pid 1 of the PID namespace), with no launcher
 * and no timeout process beside it: a program it forks finds no other process of the sandbox that holds
 * its pipes. Init takes no signal from inside its namespace that it does not handle, and a non-dumpable
 * init (the Python runner makes itself so) cannot be traced or have its descriptors taken. The root and
 * /dev are read-only; /work, /tmp and /dev/shm are empty, size-limited tmpfs mounts. `timeLimitMs`
 * bounds its CPU time; the caller ends it (it also dies with this process).
 */
export function spawnSandboxedInit(command: Pick<SandboxCommand, 'argv' | 'timeLimitMs' | 'memoryMb'>): ChildProcessWithoutNullStreams {
  const args: string[] = [];
  for (const dir of READ_ONLY) args.push('--ro-bind-try', dir, dir);
  args.push(
    '--proc', '/proc',
    '--dev', '/dev',
    '--size', String(SHM_DISK_MB * 1024 * 1024), '--tmpfs', '/dev/shm',
    '--remount-ro', '/dev',
    '--size', String(TMP_DISK_MB * 1024 * 1024), '--tmpfs', '/tmp',
    '--size', String(WORK_DISK_MB * 1024 * 1024), '--tmpfs', '/work',
    ...ISOLATION,
    '--as-pid-1',
    // Last: every mount point above is made before the root turns read-only.
    '--remount-ro', '/',
  );
  // No POSIX message queues: they would outlive a run in the sandbox's IPC namespace, and no directory lists them.
  // Its runs are code_tests' (under CPU-time limits).
  return spawnBwrap([...args, '/usr/bin/prlimit', ...limits(command), '--msgqueue=0', '--', ...command.argv], CPU_LIMITED_FILTER);
}

/** Kills a sandboxed process and everything in its group. */
export function killSandboxed(child: ChildProcessWithoutNullStreams): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The launcher's fd 3 stream: "C <ticks>" when it reports the CPU time, then the files, "F <path>" and a
 * base64 line each, only for paths asked for.
 */
function parseLauncherPipe(stream: string, asked: Set<string>): { cpuMs?: number; files: Record<string, string> } {
  const files: Record<string, string> = {};
  const lines = stream.split('\n');
  // Only the launcher should write here; should a program get at the pipe all the same (pidfd_getfd and
  // ptrace, the ways one did, are refused by the seccomp filter), the largest count stands, so that a
  // line of its own can only cost the program itself.
  const counts = lines.map((line) => /^C (\d+)$/.exec(line)).filter((match) => match !== null);
  const cpu = counts.length > 0 ? Math.max(...counts.map((match) => Number(match[1]))) : undefined;
  for (let i = /^C /.test(lines[0] ?? '') ? 1 : 0; i + 1 < lines.length; i += 2) {
    const path = lines[i]!.startsWith('F ') ? lines[i]!.slice(2) : undefined;
    if (path === undefined || !asked.has(path) || !BASE64_LINE.test(lines[i + 1]!)) break;
    files[path] = lines[i + 1]!;
  }
  return { ...(cpu !== undefined && { cpuMs: (cpu * 1000) / CLOCK_TICKS_PER_SECOND }), files };
}

/** Runs one command in the sandbox over `workDir`; never rejects. */
export function runSandboxed(workDir: string, asked: SandboxCommand): Promise<SandboxResult> {
  const command: SandboxCommand = asked.clock === 'cpu' && !CHILDREN_LISTED ? { ...asked, clock: 'wall' } : asked;
  const started = performance.now();
  const fetch = fetchList(command.fetch);
  // The launcher's own budget bounds this; more means something else wrote to the pipe.
  const fetchLimit = Math.ceil(FETCH_MAX_BYTES / 3) * 4 + fetch.length * (MAX_PATH + 4) + 32;
  return new Promise((resolve) => {
    const child = spawnSandboxed(workDir, command);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const fetched: Buffer[] = [];
    let size = 0;
    let fetchedSize = 0;
    let status: SandboxStatus = 'exited';
    const killGroup = () => killSandboxed(child);
    const stop = (why: SandboxStatus) => {
      if (status === 'exited') status = why;
      killGroup();
    };
    const wallMs = wallLimitMs(command.timeLimitMs, command.clock);
    const timer = setTimeout(() => {
      if (command.clock !== 'cpu') return stop('timeout');
      const usage = treeUsage(child.pid!, true);
      // Starved by others, not by a priority the run lowered itself to get an error instead of a verdict.
      stop(usage.cpuMs < command.timeLimitMs && usage.waitMs >= wallMs / 2 && !usage.lowered ? 'starved' : 'timeout');
    }, wallMs);
    // The most CPU time the host saw: the launcher's report at the end cannot claim less.
    let observedCpuMs = 0;
    const meter =
      command.clock === 'cpu'
        ? setInterval(() => {
            observedCpuMs = Math.max(observedCpuMs, treeUsage(child.pid!).cpuMs);
            if (observedCpuMs >= command.timeLimitMs) stop('timeout');
          }, CPU_POLL_MS)
        : undefined;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > OUTPUT_LIMIT) {
        stop('output_limit');
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    const pipe = child.stdio[3] as NodeJS.ReadableStream | null;
    pipe?.on('data', (chunk: Buffer) => {
      fetchedSize += chunk.length;
      if (fetchedSize > fetchLimit) {
        fetched.length = 0;
        killGroup();
        return;
      }
      fetched.push(chunk);
    });
    child.stdin.on('error', () => {}); // a program that does not read its input closes the pipe early
    child.stdin.end(command.stdin ?? '');
    child.on('error', (error) => {
      clearTimeout(timer);
      clearInterval(meter);
      resolve({ status: 'sandbox_error', exitCode: null, signal: null, stdout: '', stderr: error.message, timeMs: 0 });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(meter);
      killGroup(); // anything the program left behind in its group
      // CPU-time limit: the kernel sends SIGXCPU (or SIGKILL past the hard limit).
      if (status === 'exited' && (signal === 'SIGXCPU' || code === 128 + 24)) status = 'timeout';
      const launcher = pipe && fetchedSize <= fetchLimit ? parseLauncherPipe(Buffer.concat(fetched).toString('latin1'), new Set(fetch)) : { files: {} };
      const { files } = launcher;
      const cpuMs = launcher.cpuMs === undefined ? undefined : Math.max(launcher.cpuMs, observedCpuMs);
      // A last check: CPU time spent between two readings still counts.
      if (status === 'exited' && command.clock === 'cpu' && cpuMs !== undefined && cpuMs >= command.timeLimitMs) status = 'timeout';
      resolve({
        status,
        exitCode: code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timeMs: performance.now() - started,
        ...(cpuMs !== undefined && { cpuMs }),
        ...(fetch.length > 0 && { files }),
      });
    });
  });
}
