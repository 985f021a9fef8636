/**
 * The runner that stays inside one Python sandbox for many runs (the test cases of an item): it forks
 * a warm interpreter per run instead of starting a sandbox and an interpreter each time. The child of
 * the next run is forked before its request is read (after the previous run's reset), so nothing of
 * that request is in the child's memory: it gets the run's stdin only through its pipe, and a harness
 * that forks the program before reading stdin (code_tests' referee) keeps stdin's secrets from it.
 * Each run brings its files, which the runner writes into /work; then the waiting child gets its limits
 * through a pipe of its own, takes its own CPU and address-space limits and runs main.py as __main__.
 * The child has fresh pipes as stdin/stdout/stderr and closes every other descriptor (the control
 * channel included). The runner makes itself non-dumpable, so a child cannot reach its memory or
 * descriptors through /proc.
 *
 * The runner is the sandbox's init (spawnSandboxedInit): no other process of the sandbox holds its
 * pipes, and a run can neither signal nor trace it. After every run the sandbox is reset before the
 * answer goes out, so that nothing of one run reaches the next: every other process is killed (a run's
 * daemons included) and reaped, /work, /tmp and /dev/shm are emptied and get back their modes and
 * extended attributes (a default ACL would make later runs' files unreadable; the rest of the file
 * system is read-only), System V IPC objects and keyring keys are removed, and the runner checks that
 * no run changed its own limits, priority or scheduling (prlimit and setpriority need only the same user). A runner that
 * cannot reset says so in its answer and exits; so does one whose lifetime (argv[1], seconds) is over.
 *
 * Protocol (read_request, send_answer; frameRequest and readAnswers in python-session.ts): a request
 * is a JSON header with the files' names and sizes and the run's limits, then the files' and the
 * stdin's bytes; an answer is a JSON header {"id", "status": "exited" | "timeout" | "output_limit" |
 * "starved", "exit_code", "signal", "time_ms", "cpu_ms", "reset" (bool)}, then the stdout's and the stderr's bytes.
 */
export const PYTHON_RUNNER = String.raw`
import ctypes, gc, hashlib, json, os, random, resource, select, signal, stat, struct, sys, time, traceback, types

# Non-dumpable: no run can trace the runner or take its descriptors (its pipes to the host). Without
# it the runner does not run at all.
if ctypes.CDLL(None).prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE = 0
    sys.exit("the runner could not make itself non-dumpable")

# The runner imports nothing from /work (where runs write): only the child looks there.
sys.path = [path for path in sys.path if path not in ("", ".", "/work")]
# The control channel, unbuffered both ways (see read_request): no buffer keeps a copy of a run's data.
CONTROL_IN, CONTROL_OUT = 0, 1
# The sandbox caps open files (prlimit --nofile), so closing up to the cap closes them all, quickly.
MAX_FD = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 65536)
WRITABLE = [path for path in ("/work", "/tmp", "/dev/shm") if os.path.isdir(path)]


# The runner is the sandbox's init (pid 1): every other process of the sandbox comes from a run. Init
# gets no signal from inside that it does not handle: SIGINT's handler (Python's) goes.
signal.signal(signal.SIGINT, signal.SIG_IGN)
LIFETIME_S = float(sys.argv[1])
ENDS_AT = time.monotonic() + LIFETIME_S
libc = ctypes.CDLL(None, use_errno=True)


# ioprio_get and sched_getattr have no wrappers: their numbers on the architectures the service is built for.
IOPRIO_GET = {"x86_64": 252, "aarch64": 31}.get(os.uname().machine)
SCHED_GETATTR = {"x86_64": 315, "aarch64": 275}.get(os.uname().machine)


def sched_attributes():
    """The runner's struct sched_attr (policy, nice, the runtime a run may set with sched_setattr, ...), as bytes."""
    if not SCHED_GETATTR:
        return None
    attr = ctypes.create_string_buffer(56)  # SCHED_ATTR_SIZE_VER1
    if libc.syscall(SCHED_GETATTR, 0, attr, 56, 0) != 0:
        return None
    return attr.raw


def autogroup_nice():
    """The nice value of the runner's autogroup (its session's share of the CPU), None without autogroups."""
    try:
        with open("/proc/self/autogroup", "rb") as file:
            return int(file.read().split()[-1])
    except (OSError, IndexError, ValueError):
        return None


def own_settings():
    """
    What a run could change in the runner through prlimit, setpriority, sched_* (sched_setattr's runtime
    included), ioprio_set or its session's autogroup (a run may raise the nice value of the session the
    runner shares): checked at every reset.
    """
    limits = tuple(resource.getrlimit(getattr(resource, name)) for name in dir(resource) if name.startswith("RLIMIT_"))
    io_priority = libc.syscall(IOPRIO_GET, 1, 0) if IOPRIO_GET else None  # IOPRIO_WHO_PROCESS, this process
    return limits, os.getpriority(os.PRIO_PROCESS, 0), os.sched_getaffinity(0), os.sched_getscheduler(0), io_priority, sched_attributes(), autogroup_nice()


# The modules code_tests' harness imports before every program: loaded once here, not in every case.
import ast, bisect, collections, copy, datetime, functools, heapq, io, itertools, json, math, operator, random, re, statistics, string, typing


def kill_others():
    """
    SIGKILL every other process of the sandbox until none is left: as init, kill(-1) reaches them all
    (threads of a group whose leader exited included), and all are the runner's descendants, so when
    waitpid finds no child, nothing else runs.
    """
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            return True
        time.sleep(0.001)
    return False


def remove(path):
    """Removes a file or a whole tree without following links, whatever modes a run left on it."""
    if stat.S_ISDIR(os.lstat(path).st_mode):
        os.chmod(path, 0o700)
        empty(path)
        os.rmdir(path)
    else:
        os.unlink(path)


def empty(directory):
    with os.scandir(directory) as entries:
        names = [entry.path for entry in entries]
    for name in names:
        remove(name)


def remove_ipc():
    """System V IPC objects live in the sandbox's IPC namespace, not in a directory: remove them all."""
    for kind, remove_id in (("shm", lambda i: libc.shmctl(i, 0, None)), ("sem", lambda i: libc.semctl(i, 0, 0)), ("msg", lambda i: libc.msgctl(i, 0, None))):
        with open("/proc/sysvipc/" + kind) as table:
            ids = [int(line.split()[1]) for line in table.readlines()[1:] if line.strip()]
        for ipc_id in ids:
            if remove_id(ipc_id) != 0:
                return False
    return True


def dir_state(path):
    """What a run could leave on a writable directory itself: its mode and extended attributes (a default ACL included)."""
    return stat.S_IMODE(os.stat(path).st_mode), {name: os.getxattr(path, name) for name in os.listxattr(path)}


def restore_dir(path):
    mode, xattrs = DIR_STATES[path]
    for name in os.listxattr(path):
        if name not in xattrs:
            os.removexattr(path, name)
    os.chmod(path, mode)
    return dir_state(path) == DIR_STATES[path]


# keyctl has no wrapper either. Keys a run adds to the keyrings the sandbox's user shares would reach
# later runs (a channel between runs). So they are cleared and checked empty; a keyring a run made
# unclearable (its permissions changed) retires the sandbox, whose user namespace, and so keyrings,
# die with it. A kernel without keyrings is no reason to stop.
KEYCTL = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)
KEYCTL_CLEAR, KEYCTL_READ, KEYCTL_GET_PERSISTENT = 7, 11, 22
# KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING
SHARED_KEYRINGS = (-3, -4, -5)


def keyctl(operation, *args):
    return libc.syscall(ctypes.c_long(KEYCTL), ctypes.c_long(operation), *(None if arg is None else ctypes.c_long(arg) for arg in args))


def keyrings_cleared():
    if not KEYCTL:
        return True
    # The user's persistent keyring too, linked into the runner's own process keyring (KEY_SPEC_PROCESS_KEYRING).
    persistent = keyctl(KEYCTL_GET_PERSISTENT, -1, -2)
    for keyring in SHARED_KEYRINGS + ((persistent,) if persistent > 0 else ()):
        keyctl(KEYCTL_CLEAR, keyring)
        # What is left in it: the size of its list of keys, 0 when empty, -1 when it cannot be read.
        if keyctl(KEYCTL_READ, keyring, None, 0) != 0:
            return False
    return True


def reset():
    try:
        if not kill_others():
            return False
        for directory in WRITABLE:
            empty(directory)
        return all(restore_dir(directory) for directory in WRITABLE) and remove_ipc() and keyrings_cleared() and own_settings() == SETTINGS
    except Exception:
        return False


def write_files(files):
    for name, data in files:
        path = os.path.join("/work", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # Written straight from the payload: a buffered file would keep a copy of a small one in memory
        # that is freed but not wiped.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        try:
            os.fchmod(fd, 0o644)
            write_all(fd, data)
        finally:
            os.close(fd)


def wipe(buffer, length):
    """Zeroes the start of a buffer in place: a run's data must not outlive its run in the runner's memory."""
    if length:
        ctypes.memset((ctypes.c_char * length).from_buffer(buffer), 0, length)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# What runs write to stdout and stderr, read straight into these and wiped after each answer. They
# grow as runs need, and shrink back after (a large one would make every fork of the runner slower).
BUFFER_SIZE = 1 << 16
OUTPUT = {"stdout": bytearray(BUFFER_SIZE), "stderr": bytearray(BUFFER_SIZE)}


def room(name, used):
    """OUTPUT[name] with 64 KB free after \`used\` bytes: a larger buffer, the old one wiped."""
    buffer = OUTPUT[name]
    if len(buffer) - used < BUFFER_SIZE:
        larger = bytearray(max(2 * len(buffer), used + BUFFER_SIZE))
        larger[:used] = memoryview(buffer)[:used]
        wipe(buffer, used)
        OUTPUT[name] = buffer = larger
    return buffer


def child(limits):
    memory = limits["memory_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits["time_ms"] / 1000) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    sys.argv = ["main.py"]
    sys.path.insert(0, "/work")
    random.seed()
    code = 0
    try:
        with open("main.py", "rb") as file:
            source = file.read()
        # As runpy.run_path("main.py", run_name="__main__") would run it, with the code compiled once per source.
        main = types.ModuleType("__main__")
        main.__dict__.update(__file__="main.py", __cached__=None, __loader__=None, __package__=None, __spec__=None)
        sys.modules["__main__"] = main
        exec(COMPILED.get(hashlib.sha256(source).digest()) or compile(source, "main.py", "exec"), main.__dict__)
    except SystemExit as exit:
        if exit.code is None:
            code = 0
        elif isinstance(exit.code, int):
            code = exit.code
        else:
            print(exit.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    os._exit(code & 0xFF)


def read_all(fd):
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    return data


class WaitingChild:
    """The child of the next run, forked before that run's request is read; it waits for its limits."""

    def __init__(self):
        in_r, self.stdin = os.pipe()
        self.stdout, out_w = os.pipe()
        self.stderr, err_w = os.pipe()
        limits_r, self.limits = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                os.setpgid(0, 0)
                os.dup2(in_r, 0)
                os.dup2(out_w, 1)
                os.dup2(err_w, 2)
                os.dup2(limits_r, 3)
                os.closerange(4, MAX_FD)
                signal.signal(signal.SIGPIPE, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                limits = read_all(3)
                os.close(3)
                if limits:
                    child(json.loads(limits))
            finally:
                os._exit(70)
        # Both sides set the group, so the runner's killpg cannot come before the child's own setpgid.
        try:
            os.setpgid(self.pid, self.pid)
        except OSError:
            pass
        for fd in (in_r, out_w, err_w, limits_r):
            os.close(fd)


TICKS = os.sysconf("SC_CLK_TCK")


def reaped_seconds():
    times = os.times()
    return times.children_user + times.children_system


def run_usage(reaped_before):
    """
    CPU seconds of the run so far, the longest any one of its processes waited for a CPU (the run's own
    processes cannot make one of them wait long without spending the CPU time themselves, as a sum of
    many short waits could), and whether one of them lowered its own priority (a nice value above the
    runner's, a policy other than SCHED_OTHER; the session's autogroup is checked where starvation is
    judged): every process but the runner is the run's (live or not yet reaped, with what each reaped
    itself), and what the runner reaped since the run began (an orphan's) counts too.
    """
    cpu, wait_ns, lowered = 0.0, 0, False
    for name in os.listdir("/proc"):
        if not name.isdigit() or name == "1":
            continue
        try:
            with open("/proc/" + name + "/stat", "rb") as file:
                fields = file.read().rsplit(b")", 1)[1].split()
            with open("/proc/" + name + "/schedstat", "rb") as file:
                ran_ns, waited_ns = (int(value) for value in file.read().split()[:2])
        except (OSError, IndexError, ValueError):
            continue
        wait_ns = max(wait_ns, waited_ns)
        # utime + stime are whole ticks, each process's rounded down (40 processes that woke briefly
        # showed 590 ms where they had run 957): the leading thread's run time counts where it is more.
        cpu += max(int(fields[11]) + int(fields[12]), ran_ns * TICKS / 1e9) / TICKS
        cpu += (int(fields[13]) + int(fields[14])) / TICKS  # cutime, cstime: what it reaped
        # nice and policy: fields 19 and 41 of the line
        lowered = lowered or int(fields[16]) > RUNNER_NICE or int(fields[38]) != os.SCHED_OTHER
    return cpu + reaped_seconds() - reaped_before, wait_ns / 1e9, lowered


CPU_POLL_S = 0.025


def kill_run():
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run(request, stdin, waiting):
    limit = request["output_limit"]
    pid, in_w, out_r, err_r = waiting.pid, waiting.stdin, waiting.stdout, waiting.stderr
    streams = {out_r: "stdout", err_r: "stderr"}
    used = {out_r: 0, err_r: 0}
    started = time.monotonic()
    # Under a CPU-time limit ("clock": "cpu") the run's CPU time is read as it goes, and the wall-clock
    # deadline is the host's wider bound ("wall_ms").
    cpu_clock = request.get("clock") == "cpu"
    cpu_limit = request["time_ms"] / 1000
    reaped_before = reaped_seconds()
    next_reading = started + CPU_POLL_S
    os.write(waiting.limits, json.dumps({"time_ms": request["time_ms"], "memory_mb": request["memory_mb"]}).encode())
    os.close(waiting.limits)
    size = 0
    status = "exited"
    pending = memoryview(stdin)
    writers = [in_w] if pending else []
    os.set_blocking(in_w, False)  # a program that stops reading its stdin must not stop the runner's clock
    if not pending:
        os.close(in_w)
    readers = [out_r, err_r]
    deadline = started + request.get("wall_ms", request["time_ms"]) / 1000
    wait_status = None
    while readers:
        now = time.monotonic()
        if cpu_clock and wait_status is None and now >= next_reading:
            if run_usage(reaped_before)[0] >= cpu_limit:
                status = "timeout"
                break
            next_reading = now + CPU_POLL_S
        if now >= deadline:
            if wait_status is None:
                status = "timeout"
                if cpu_clock:
                    # Starved by others, not by a priority the run lowered itself to get an error instead of a verdict.
                    cpu, waited, lowered = run_usage(reaped_before)
                    lowered = lowered or autogroup_nice() != SETTINGS[-1]
                    if cpu < cpu_limit and waited >= (now - started) / 2 and not lowered:
                        status = "starved"
            break
        wake = min(deadline, next_reading) if cpu_clock and wait_status is None else deadline
        readable, writable, _ = select.select(readers, writers, [], max(0.0, min(wake - now, 0.05)))
        for fd in writable:
            try:
                written = os.write(fd, pending[:65536])
                pending = pending[written:]
            except BlockingIOError:
                continue
            except OSError:
                pending = pending[:0]
            if not pending:
                os.close(fd)
                writers = []
        for fd in readable:
            got = os.readv(fd, [memoryview(room(streams[fd], used[fd]))[used[fd]:used[fd] + 65536]])
            if not got:
                readers.remove(fd)
                continue
            # Counted before the limit is checked, so that what is read is wiped after the run either way.
            used[fd] += got
            size += got
            if size > limit:
                status = "output_limit"
                readers = []
                break
        if wait_status is None:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                # The program has ended: what it left running (still holding the pipes, or burning CPU
                # time out of the clock's sight) goes too, whatever its process group; as init, kill(-1)
                # reaches every process of the sandbox but the runner.
                wait_status = code
                kill_run()
                deadline = time.monotonic() + 0.5
    if wait_status is None:
        kill_run()
        _, wait_status = os.waitpid(pid, 0)
    for fd in [out_r, err_r] + writers:
        os.close(fd)
    elapsed = (time.monotonic() - started) * 1000
    # The program's CPU time and what it waited for (a cheap system call, where a reading of /proc costs
    # as much as a short run): processes it left behind, killed above, are not counted.
    cpu_ms = (reaped_seconds() - reaped_before) * 1000
    exit_code = os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else None
    killed_by = signal.Signals(os.WTERMSIG(wait_status)).name if os.WIFSIGNALED(wait_status) else None
    # A last check: CPU time spent between two readings (or hidden from them) still counts.
    if status == "exited" and cpu_clock and cpu_ms >= request["time_ms"]:
        status = "timeout"
    if status == "exited" and killed_by == "SIGXCPU":
        status = "timeout"
    answer = {"id": request["id"], "status": status, "exit_code": exit_code, "signal": killed_by, "time_ms": elapsed, "cpu_ms": cpu_ms}
    return answer, used[out_r], used[err_r]


def read_into(buffer):
    """Fills a buffer from the control channel; False at its end."""
    view = memoryview(buffer)
    while view:
        got = os.readv(CONTROL_IN, [view])
        if got == 0:
            return False
        view = view[got:]
    return True


def read_request():
    """
    The next request and its payload, or None at the channel's end. A request is the lengths of its
    JSON header and of its payload (two little-endian 32-bit numbers), the header ({"id", "files":
    [[name, size], ...], "compiled", "time_ms", "clock", "wall_ms", "memory_mb", "output_limit"}), then the payload: the
    files' bytes in order, then the stdin's. The payload is read straight into a buffer and wiped after
    the run, as are the run's outputs: every later run's child is a fork of the runner, and must not find
    an earlier run's program, test, expected value or output in its memory (samples of one prompt share
    the warm sandboxes). The header holds names and sizes only.
    """
    lengths = bytearray(8)
    if not read_into(lengths):
        return None
    header_length, payload_length = struct.unpack("<II", lengths)
    header, payload = bytearray(header_length), bytearray(payload_length)
    if not (read_into(header) and read_into(payload)):
        return None
    return json.loads(header), payload


def split_payload(request, payload):
    """The files, as (name, bytes view) pairs, and the stdin, views of the payload."""
    view, files, at = memoryview(payload), [], 0
    for name, size in request["files"]:
        files.append((name, view[at:at + size]))
        at += size
    return files, view[at:]


def send_answer(answer, stdout_size, stderr_size):
    """The answer's JSON header, framed as a request is, then the stdout's and the stderr's bytes."""
    header = json.dumps(answer).encode()
    write_all(CONTROL_OUT, struct.pack("<III", len(header), stdout_size, stderr_size) + header)
    write_all(CONTROL_OUT, memoryview(OUTPUT["stdout"])[:stdout_size])
    write_all(CONTROL_OUT, memoryview(OUTPUT["stderr"])[:stderr_size])


# Compiled main.py sources by their hash: a harness serves many runs (code_tests' are the same for
# every item of a format), and a run's child, a fork of the runner, finds its code compiled.
COMPILED = {}


def remember_code(source):
    if len(COMPILED) >= 64:
        COMPILED.clear()
    key = hashlib.sha256(source).digest()
    if key not in COMPILED:
        try:
            COMPILED[key] = compile(source, "main.py", "exec")
        except (SyntaxError, ValueError):
            pass


def fork_waiting_child():
    # Objects the runner holds now are never collected in the child: freezing them keeps the child's
    # collector from writing to (and so copying) the pages they share with the runner.
    gc.freeze()
    return WaitingChild()


def serve_one(waiting):
    """
    Serves one request; False when the runner should stop. A function, so that nothing of the request
    is left when it returns: the next run's child is a fork of the runner, and a program can walk its
    frames up to the runner's module globals.
    """
    # An idle runner leaves at the end of its lifetime, even if nobody closes its channel.
    if not select.select([CONTROL_IN], [], [], max(0.0, ENDS_AT - time.monotonic()))[0]:
        return False
    received = read_request()
    if received is None:
        return False
    request, payload = received
    files, stdin = split_payload(request, payload)
    write_files(files)
    # The host marks "compiled" a main.py that serves many runs and holds no run's data (a harness).
    named = dict(files)
    main = bytes(named["main.py"]) if request.get("compiled") and "main.py" in named else None
    answer, stdout_size, stderr_size = run(request, stdin, waiting)
    wipe(payload, len(payload))
    answer["reset"] = reset()
    send_answer(answer, stdout_size, stderr_size)
    for name, size in (("stdout", stdout_size), ("stderr", stderr_size)):
        wipe(OUTPUT[name], size)
        # Back to the first size: a buffer grown by a run would tell later runs (which can walk up to
        # it) how much an earlier run wrote, a channel from one case or item to the next.
        if len(OUTPUT[name]) > BUFFER_SIZE:
            OUTPUT[name] = bytearray(BUFFER_SIZE)
    if main is not None:
        remember_code(main)
    return answer["reset"]


SETTINGS = own_settings()
RUNNER_NICE = SETTINGS[1]
DIR_STATES = {directory: dir_state(directory) for directory in WRITABLE}
# After the reset, which kills every other process, and after the answer, so the fork costs the run nothing.
while serve_one(fork_waiting_child()):
    pass
`;
