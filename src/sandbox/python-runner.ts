/**
 * The runner that stays inside one Python sandbox for many runs (the test cases of an item): it forks
 * a warm interpreter per run instead of starting a sandbox and an interpreter each time. Each run
 * brings its files, which the runner writes into /work before the fork. The child gets fresh pipes as
 * stdin/stdout/stderr, closes every other descriptor (the control channel included), takes its own CPU
 * and address-space limits, and runs main.py as __main__. The runner makes itself non-dumpable, so a
 * child cannot reach its memory or descriptors through /proc.
 *
 * After every run the sandbox is reset before the answer goes out, so that nothing of one run reaches
 * the next: every process but the runner and its ancestors is killed (a run's daemons included), and
 * /work, /tmp and /dev/shm are emptied. A runner that cannot reset says so in its answer and exits.
 *
 * Protocol, one JSON object per line: request {"id", "files" ({name: base64}), "stdin" (base64),
 * "time_ms", "memory_mb", "output_limit"}; answer {"id", "status": "exited" | "timeout" |
 * "output_limit", "exit_code", "signal", "stdout", "stderr" (base64), "time_ms", "reset" (bool)}.
 */
export const PYTHON_RUNNER = String.raw`
import base64, ctypes, json, os, random, resource, runpy, select, signal, stat, sys, time, traceback

try:
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
except Exception:
    pass

# The runner imports nothing from /work (where runs write): only the child looks there.
sys.path = [path for path in sys.path if path not in ("", ".", "/work")]
control_in = sys.stdin.buffer
control_out = sys.stdout.buffer
# The sandbox caps open files (prlimit --nofile), so closing up to the cap closes them all, quickly.
MAX_FD = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 65536)
WRITABLE = [path for path in ("/work", "/tmp", "/dev/shm") if os.path.isdir(path)]


def parent_of(pid):
    with open("/proc/%d/stat" % pid, "rb") as file:
        return int(file.read().rsplit(b")", 1)[1].split()[1])


# The runner and its ancestors (the sandbox's init, launcher and timeout) survive a reset.
KEEP = {os.getpid()}
ancestor = os.getpid()
while ancestor > 1:
    ancestor = parent_of(ancestor)
    KEEP.add(ancestor)

# runpy imports its helpers on first use: pay that once here, not in every forked case.
with open("/tmp/.rlar_warmup.py", "w") as warmup:
    warmup.write("pass\n")
runpy.run_path("/tmp/.rlar_warmup.py", run_name="__warmup__")
# The modules code_tests' harness imports before every program: loaded once here, not in every case.
import ast, bisect, collections, copy, datetime, functools, heapq, io, itertools, json, math, operator, random, re, statistics, string, typing


def kill_strays():
    """SIGKILL every process but KEEP until none is left running (a fork bomb races the first passes)."""
    for _ in range(200):
        running = False
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) in KEEP:
                continue
            try:
                with open("/proc/%s/stat" % name, "rb") as file:
                    state = file.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state in (b"Z", b"X"):
                continue
            running = True
            try:
                os.kill(int(name), signal.SIGKILL)
            except OSError:
                pass
        if not running:
            return True
        time.sleep(0.001)
    return False


def remove(path):
    """Removes a file or a whole tree without following links, whatever modes a run left on it."""
    mode = os.lstat(path).st_mode
    if stat.S_ISDIR(mode):
        os.chmod(path, 0o700)
        with os.scandir(path) as entries:
            names = [entry.path for entry in entries]
        for name in names:
            remove(name)
        os.rmdir(path)
    else:
        os.unlink(path)


def reset():
    try:
        if not kill_strays():
            return False
        for directory in WRITABLE:
            with os.scandir(directory) as entries:
                names = [entry.path for entry in entries]
            for name in names:
                remove(name)
        return True
    except Exception:
        return False


def write_files(files):
    for name, data in files.items():
        path = os.path.join("/work", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))


def child(request):
    memory = request["memory_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(request["time_ms"] / 1000) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    sys.argv = ["main.py"]
    sys.path.insert(0, "/work")
    random.seed()
    code = 0
    try:
        runpy.run_path("main.py", run_name="__main__")
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


def run(request):
    stdin = base64.b64decode(request["stdin"])
    limit = request["output_limit"]
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.setpgid(0, 0)
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.closerange(3, MAX_FD)
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            child(request)
        finally:
            os._exit(70)
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    chunks = {out_r: [], err_r: []}
    size = 0
    status = "exited"
    pending = memoryview(stdin)
    writers = [in_w] if pending else []
    if not pending:
        os.close(in_w)
    readers = [out_r, err_r]
    deadline = started + request["time_ms"] / 1000
    wait_status = None
    while readers:
        now = time.monotonic()
        if now >= deadline:
            if wait_status is None:
                status = "timeout"
            break
        readable, writable, _ = select.select(readers, writers, [], max(0.0, min(deadline - now, 0.05)))
        for fd in writable:
            try:
                written = os.write(fd, pending[:65536])
                pending = pending[written:]
            except OSError:
                pending = pending[:0]
            if not pending:
                os.close(fd)
                writers = []
        for fd in readable:
            data = os.read(fd, 65536)
            if not data:
                readers.remove(fd)
                continue
            size += len(data)
            if size > limit:
                status = "output_limit"
                readers = []
                break
            chunks[fd].append(data)
        if wait_status is None:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                # The program has ended: what it left running (still holding the pipes) goes too.
                wait_status = code
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
                deadline = time.monotonic() + 0.5
    if wait_status is None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            os.kill(pid, signal.SIGKILL)
        _, wait_status = os.waitpid(pid, 0)
    for fd in [out_r, err_r] + writers:
        os.close(fd)
    elapsed = (time.monotonic() - started) * 1000
    exit_code = os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else None
    killed_by = signal.Signals(os.WTERMSIG(wait_status)).name if os.WIFSIGNALED(wait_status) else None
    if status == "exited" and killed_by == "SIGXCPU":
        status = "timeout"
    return {
        "id": request["id"],
        "status": status,
        "exit_code": exit_code,
        "signal": killed_by,
        "stdout": base64.b64encode(b"".join(chunks[out_r])).decode(),
        "stderr": base64.b64encode(b"".join(chunks[err_r])).decode(),
        "time_ms": elapsed,
    }


for line in control_in:
    request = json.loads(line)
    write_files(request.get("files", {}))
    answer = run(request)
    answer["reset"] = reset()
    control_out.write((json.dumps(answer) + "\n").encode())
    control_out.flush()
    if not answer["reset"]:
        break
`;
