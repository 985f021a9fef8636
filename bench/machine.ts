import { readFileSync } from 'node:fs';

/** How loaded the machine is: the first line of /proc/pressure/cpu ("some avg10=... avg60=..."). */
export function cpuPressure(): string {
  return readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0]!;
}
