/**
 * The seccomp filter every sandbox runs under (bwrap --seccomp). Every system call is allowed but these:
 *
 * - setsid fails with EPERM. With the kernel's autogroup scheduling each session is a scheduling group
 *   of its own with a fair share of the CPU, so a run that starts a hundred sessions takes a hundred
 *   shares and pushes a correct program in another sandbox past its time limit. bwrap starts each
 *   sandbox in a session of its own (--new-session) before it loads the filter, so each sandbox is one
 *   group.
 * - ptrace, process_vm_readv/writev, pidfd_open and pidfd_getfd fail with EPERM. A program shares its
 *   user with the sandbox's launcher shell: with them it could take the launcher's descriptors (the
 *   pipe that reports the run's CPU time) or change what the launcher does. No program a judge runs
 *   needs them (Go's runtime falls back without pidfds).
 * - Under CPU-time limits (`keepChildren`), setting the action of SIGCHLD (rt_sigaction, and the compat
 *   ABIs' sigaction and signal, with a new action) does nothing and returns success. A process whose SIGCHLD is ignored (or has SA_NOCLDWAIT)
 *   has its ended children reaped by the kernel, and their CPU time is then counted nowhere: a run could
 *   burn CPU in children that vanish and pass a CPU-time limit (see `treeUsage` and the Python runner).
 *   The filter cannot read the new action (a pointer), so every new SIGCHLD action goes; programs that
 *   wait for their children by `wait` are unaffected, ones that wait for a SIGCHLD handler wait in vain
 *   (Go's runtime installs one and never needs it; Node's child_process needs it, coreutils' timeout
 *   too). Querying the action (no new one) is allowed.
 *
 * Classic BPF over struct seccomp_data (nr at offset 0, arch at 4, 64-bit arguments from 16, little
 * endian on both hosts), as in the kernel's Documentation/userspace-api/seccomp_filter.rst. The compat
 * ABIs that a 64-bit process can still call (i386 and x32 on x86-64, 32-bit ARM on arm64) have numbers
 * of their own and are checked too.
 */

const LD_W_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const RET_K = 0x06; // BPF_RET | BPF_K
const RET_ALLOW = 0x7fff0000;
const RET_EPERM = 0x00050000 | 1; // SECCOMP_RET_ERRNO | EPERM
const RET_SKIP = 0x00050000; // SECCOMP_RET_ERRNO | 0: the call is not made and returns 0
const X32_BIT = 0x40000000;
const SIGCHLD = 17; // on x86 and ARM
const ARG0 = 16;
const ARG1_LOW = 24;
const ARG1_HIGH = 28;

interface Abi {
  arch: number;
  /** setsid, ptrace, process_vm_readv, process_vm_writev, pidfd_open, pidfd_getfd. */
  denied: number[];
  /** rt_sigaction, sigaction and signal: the signal is the first argument, the new action the second. */
  sigaction: number[];
}

/** Each ABI the host can run: its AUDIT_ARCH value and its system call numbers. */
const ABIS: Partial<Record<NodeJS.Architecture, Abi[]>> = {
  x64: [
    // x86-64 and x32 (whose numbers have the x32 bit; some calls have x32 numbers of their own)
    {
      arch: 0xc000003e,
      denied: [112, 101, 310, 311, 434, 438, ...[112, 521, 539, 540, 434, 438].map((nr) => X32_BIT | nr)],
      sigaction: [13, X32_BIT | 512],
    },
    { arch: 0x40000003, denied: [66, 26, 347, 348, 434, 438], sigaction: [174, 67, 48] }, // i386
  ],
  arm64: [
    { arch: 0xc00000b7, denied: [157, 117, 270, 271, 434, 438], sigaction: [134] }, // aarch64
    { arch: 0x40000028, denied: [66, 26, 376, 377, 434, 438], sigaction: [174, 67] }, // 32-bit ARM
  ],
};

/** An instruction whose jumps name labels; resolved to relative offsets when the program is laid out. */
type Instruction = { code: number; k: number; jt?: string; jf?: string } | { label: string };

/**
 * The filter for this host's architecture as bwrap reads it (struct sock_filter[], native byte order),
 * or undefined where we know no system call numbers. `keepChildren`: no new SIGCHLD action either.
 */
export function sandboxSeccompFilter(keepChildren: boolean, architecture: NodeJS.Architecture = process.arch): Buffer | undefined {
  const abis = ABIS[architecture];
  if (abis === undefined) return undefined;
  const load = (offset: number): Instruction => ({ code: LD_W_ABS, k: offset });
  const program: Instruction[] = [];
  abis.forEach(({ arch, denied, sigaction }, i) => {
    const next = `abi${i + 1}`;
    program.push(load(4), { code: JEQ_K, k: arch, jf: next }, load(0));
    for (const nr of denied) program.push({ code: JEQ_K, k: nr, jt: 'eperm' });
    if (keepChildren) for (const nr of sigaction) program.push({ code: JEQ_K, k: nr, jt: 'sigaction' });
    program.push({ code: RET_K, k: RET_ALLOW }, { label: next });
  });
  program.push(
    { code: RET_K, k: RET_ALLOW },
    { label: 'sigaction' },
    load(ARG0),
    { code: JEQ_K, k: SIGCHLD, jf: 'allow' },
    load(ARG1_LOW),
    { code: JEQ_K, k: 0, jf: 'skip' },
    load(ARG1_HIGH),
    { code: JEQ_K, k: 0, jf: 'skip' },
    { label: 'allow' },
    { code: RET_K, k: RET_ALLOW },
    { label: 'skip' },
    { code: RET_K, k: RET_SKIP },
    { label: 'eperm' },
    { code: RET_K, k: RET_EPERM },
  );
  const instructions = program.filter((op) => !('label' in op));
  const labels = new Map<string, number>();
  let at = 0;
  for (const op of program) {
    if ('label' in op) labels.set(op.label, at);
    else at++;
  }
  const filter = Buffer.alloc(instructions.length * 8);
  instructions.forEach((op, i) => {
    if ('label' in op) return; // (filtered out above; this narrows the type)
    // Jumps are relative to the next instruction and go forward only, at most 255 instructions.
    const offset = (label: string | undefined) => (label === undefined ? 0 : labels.get(label)! - i - 1);
    filter.writeUInt16LE(op.code, i * 8);
    filter.writeUInt8(offset(op.jt), i * 8 + 2);
    filter.writeUInt8(offset(op.jf), i * 8 + 3);
    filter.writeUInt32LE(op.k, i * 8 + 4);
  });
  return filter;
}
