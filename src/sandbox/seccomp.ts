/**
 * The seccomp filter every sandbox runs under (bwrap --seccomp): setsid fails with EPERM, every other
 * system call is allowed. Why: with the kernel's autogroup scheduling each session is a scheduling
 * group of its own with a fair share of the CPU, so a run that starts a hundred sessions takes a
 * hundred shares and pushes a correct program in another sandbox past its time limit. bwrap starts each
 * sandbox in a session of its own (--new-session) before it loads the filter, so each sandbox is one
 * group.
 *
 * Classic BPF over struct seccomp_data (nr at offset 0, arch at offset 4), as in the kernel's
 * Documentation/userspace-api/seccomp_filter.rst. The compat ABIs that a 64-bit process can still call
 * (i386 and x32 on x86-64, 32-bit ARM on arm64) have setsid numbers of their own and are checked too.
 */

const LD_W_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const RET_K = 0x06; // BPF_RET | BPF_K
const RET_ALLOW = 0x7fff0000;
const RET_EPERM = 0x00050000 | 1; // SECCOMP_RET_ERRNO | EPERM
const X32_BIT = 0x40000000;

/** Each ABI the host can run: its AUDIT_ARCH value and its setsid numbers. */
const ABIS: Partial<Record<NodeJS.Architecture, [arch: number, setsid: number[]][]>> = {
  x64: [
    [0xc000003e, [112, X32_BIT | 112]], // x86-64 and x32
    [0x40000003, [66]], // i386
  ],
  arm64: [
    [0xc00000b7, [157]], // aarch64
    [0x40000028, [66]], // 32-bit ARM
  ],
};

/** The filter for this host's architecture as bwrap reads it (struct sock_filter[], native byte order), or undefined where we know no setsid numbers. */
export function noNewSessionsFilter(architecture: NodeJS.Architecture = process.arch): Buffer | undefined {
  const abis = ABIS[architecture];
  if (abis === undefined) return undefined;
  const program: [code: number, jt: number, jf: number, k: number][] = [];
  for (const [arch, numbers] of abis) {
    // if (arch == A) { if (nr in numbers) return EPERM; return ALLOW; }
    program.push([LD_W_ABS, 0, 0, 4]);
    program.push([JEQ_K, 0, numbers.length + 3, arch]);
    program.push([LD_W_ABS, 0, 0, 0]);
    numbers.forEach((nr, i) => program.push([JEQ_K, numbers.length - i, 0, nr]));
    program.push([RET_K, 0, 0, RET_ALLOW]);
    program.push([RET_K, 0, 0, RET_EPERM]);
  }
  program.push([RET_K, 0, 0, RET_ALLOW]);
  const filter = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    filter.writeUInt16LE(code, i * 8);
    filter.writeUInt8(jt, i * 8 + 2);
    filter.writeUInt8(jf, i * 8 + 3);
    filter.writeUInt32LE(k, i * 8 + 4);
  });
  return filter;
}
