import { readdirSync, readFileSync } from 'node:fs';

/** How loaded the machine is: the first line of /proc/pressure/cpu ("some avg10=... avg60=..."). */
export function cpuPressure(): string {
  return readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0]!;
}

const cpuTicksPerSecond = 100; // USER_HZ on Linux
/** utime + stime of a /proc stat line, in seconds (fields 14 and 15; here counted after "pid (comm) "). */
function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / cpuTicksPerSecond;
}
export const cpuSeconds = (pid: number) => statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));

/** CPU seconds of each kind of thread of the service: its main thread, V8's helpers (garbage collection, compilers), the worker threads. */
export function cpuByThread(pid: number): Map<string, number> {
  const byKind = new Map<string, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
    } catch {
      continue; // a thread that ended
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const kind = task === String(pid) ? 'main thread' : name === 'WorkerThread' ? 'worker threads' : name.startsWith('V8') ? "V8's helper threads" : 'other threads';
    byKind.set(kind, (byKind.get(kind) ?? 0) + statCpuSeconds(stat));
  }
  return byKind;
}
