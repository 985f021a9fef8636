/**
 * The runner of a Python reward function inside one sandbox (see python-function.ts). Two processes:
 *
 * - the framer (this script's main process) holds the only channel to the service and never runs
 *   user code. It is non-dumpable, so no other process of the sandbox user can read or write its
 *   memory or descriptors;
 * - the worker, forked from the framer, imports the user's module once and then calls its entry point
 *   item after item. Its stdin, stdout and stderr are /dev/null; it holds only a request pipe and a
 *   result pipe to the framer.
 *
 * With isolation "call", the worker forks a child per call (about a millisecond): no state survives a
 * call, so a function that runs model output (eval) cannot change what later calls return.
 *
 * Framing: every call carries a fresh random nonce and its frame must start with it; frames must come
 * in the order of the calls. Calls are pipelined (see run_chunk): answers stay provisional until a
 * sync at the end of the chunk, and any anomaly sends the answers that could be forged back for one
 * call at a time, where a worker knows no nonce but the current one. After each frame the framer reads
 * the PID namespace's last allocated pid: a worker that started a thread or a process (which could
 * read requests, or write later) is replaced, along with every process it left. A timeout, a crash, a
 * MemoryError or a protocol violation also replace the worker; the item is retried once in a fresh
 * worker when the failed one had served earlier items (what failed might be their doing).
 *
 * Service protocol, UTF-8 lines. Request: {"id","count","time_ms","safe"} then `count` lines, one JSON
 * item each (`safe`: one call at a time from the start). Answer: one line per item, `<id> <index> <kind>
 * <payload>`: kind `ok` with the worker's frame (JSON, untrusted: the service validates it), or
 * `timeout` / `error` with a JSON string; in safe mode each line as soon as it is final.
 * The first line the runner writes is `ready <JSON>` ({"entry","form"} or {"error"}).
 */
export const PYTHON_FUNCTION_RUNNER = String.raw`
import collections, ctypes, json, os, re, select, signal, sys, time, traceback, resource

try:
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
except Exception:
    pass

ENTRY = sys.argv[1]
MEMORY = int(sys.argv[2]) * 1024 * 1024
LOAD_MS = int(sys.argv[3])
ISOLATE = sys.argv[4] == "call"
FRAME_LIMIT = 65536
NOT_PRINTABLE = re.compile(rb"[^\x20-\x7e]")
# Calls queued to the worker ahead of the one it runs.
WINDOW = 16
MAX_FD = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 65536)
control_in = sys.stdin.buffer
control_out = sys.stdout.buffer
# Read once: the service removes the work directory as soon as the runner is ready.
with open("/work/reward_fn.py", encoding="utf-8") as file:
    SOURCE = file.read()


def trusted_pids():
    pids, pid = set(), os.getpid()
    while pid > 0:
        pids.add(pid)
        with open("/proc/%d/stat" % pid) as stat:
            pid = int(stat.read().rsplit(")", 1)[1].split()[1])
    return pids


TRUSTED = trusted_pids()
LAST_PID = os.open("/proc/sys/kernel/ns_last_pid", os.O_RDONLY)


def last_pid():
    return os.pread(LAST_PID, 32, 0)


def worker_main(request_fd, result_fd):
    """The worker: import the module, then answer calls in one loop. User code can reach all of it, so
    the loop holds in its own locals what it uses, taken before the module is imported: built-in
    functions and the C JSON scanner and encoder. Patching modules (json, builtins, this script's
    globals) then does not change what it reads or sends."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    import inspect, types
    from json.scanner import c_make_scanner
    from json.encoder import c_make_encoder, c_encode_basestring_ascii

    def plain(value):
        if hasattr(value, "item"):
            return value.item()
        if isinstance(value, (set, tuple)):
            return list(value)
        return str(value)

    scan = c_make_scanner(json.JSONDecoder())
    # The encoder's circular-reference markers: an encoding that fails midway (a detail nested too deep)
    # leaves ids there, the frame's own among them, so the fallback frame looked circular; cleared before
    # every encoding.
    markers = {}
    clear_markers = markers.clear
    encode = c_make_encoder(markers, plain, c_encode_basestring_ascii, None, ": ", ", ", False, False, False)
    readline = os.fdopen(request_fd, "rb").readline
    write, fork, waitpid, killpg, setpgid, close, exit_now = os.write, os.fork, os.waitpid, os.killpg, os.setpgid, os.close, os._exit
    gettrace, getprofile, settrace, setprofile = sys.gettrace, sys.getprofile, sys.settrace, sys.setprofile
    format_exception_only, extract_tb = traceback.format_exception_only, traceback.extract_tb
    _isinstance, _hasattr, _float, _str, _dict, _type, _repr, _len = isinstance, hasattr, float, str, dict, type, repr, len
    BaseException_, MemoryError_, SyntaxError_, ValueError_, TypeError_ = BaseException, MemoryError, SyntaxError, ValueError, TypeError
    SIGKILL, INFINITE = signal.SIGKILL, (float("inf"), float("-inf"))
    os.chdir("/tmp")
    sys.path.insert(0, "/work")

    def failure(error):
        if _isinstance(error, SyntaxError_):
            return "%s: %s (line %s)" % (_type(error).__name__, error.msg, error.lineno)
        text = "".join(format_exception_only(_type(error), error)).strip()
        where = [f for f in extract_tb(error.__traceback__) if f.filename == "/work/reward_fn.py"]
        if where:
            text += " (line %d)" % where[-1].lineno
        return text[-1000:]

    def send(nonce, frame):
        try:
            clear_markers()
            data = "".join(encode(frame, 0))
        except BaseException_:
            detail = frame.pop("detail", None)
            try:
                shown = _repr(detail)[:1000]
            except BaseException_:  # nested too deep for repr as well: the worker must not die of it
                shown = "a %s that cannot be shown" % _type(detail).__name__
            frame["detail"] = {"unserializable": shown}
            try:
                clear_markers()
                data = "".join(encode(frame, 0))
            except BaseException_:
                data = '{"error": "the result cannot be sent as JSON"}'
        data = nonce + b" " + data.encode() + b"\n"
        while data:
            data = data[write(result_fd, data):]

    try:
        module = types.ModuleType("reward_fn")
        module.__file__ = "/work/reward_fn.py"
        sys.modules["reward_fn"] = module
        exec(compile(SOURCE, "/work/reward_fn.py", "exec"), module.__dict__)
        names = [ENTRY] if ENTRY else ["compute_score", "score", "grade"]
        name = next((n for n in names if callable(getattr(module, n, None))), None)
        if name is None:
            raise LookupError("the source defines no function " + (ENTRY if ENTRY else "compute_score, score or grade"))
        fn = getattr(module, name)
        params = inspect.signature(fn).parameters
        keywords = any(p.kind == p.VAR_KEYWORD for p in params.values())
        form = {"compute_score": "verl", "score": "score", "grade": "grade"}.get(name)
        if form is None:
            if "data_source" in params or "solution_str" in params:
                form = "verl"
            elif "sample" in params or len(params) == 2:
                form = "grade"
            else:
                form = "score"
        extra_info = "extra_info" in params or keywords
    except BaseException as error:
        send(b"ready", {"error": "loading the source failed: " + failure(error)})
        os._exit(0)
    send(b"ready", {"entry": name, "form": form})
    verl, grade = form == "verl", form == "grade"

    while True:
        line = readline()
        if not line:
            exit_now(0)
        nonce, _, payload = line.partition(b" ")
        if payload == b"sync\n":
            send(nonce, {})
            continue
        if ISOLATE:
            # A child per call: whatever the call changes dies with it.
            child = fork()
            if child:
                _, status = waitpid(child, 0)
                try:
                    killpg(child, SIGKILL)
                except OSError:
                    pass
                if status != 0:
                    send(nonce, {"error": "the function ended its process (status %d)" % status})
                continue
            setpgid(0, 0)
            close(request_fd)
        try:
            item = scan(payload.decode(), 0)[0]
            metadata = item.get("metadata") or {}
            reference = item.get("reference")
            if verl:
                data_source = metadata.get("data_source", item.get("task", ""))
                if extra_info:
                    value = fn(data_source=data_source, solution_str=item["response"], ground_truth=reference, extra_info=metadata or None)
                else:
                    value = fn(data_source=data_source, solution_str=item["response"], ground_truth=reference)
            elif grade:
                response = item["response"]
                try:
                    output_json = scan(response, 0)[0] if response[:1] in ("{", "[") else None
                except BaseException_:
                    output_json = None
                row = {"prompt": item["prompt"], "reference": reference, "reference_answer": reference, "task": item.get("task")}
                if "messages" in item:
                    row["messages"] = item["messages"]
                row.update(metadata)
                value = fn({"output_text": response, "output_json": output_json, "output_tools": [], "choices": []}, row)
            else:
                value = fn(item["prompt"], item["response"], reference)
            # The call's results and nothing it left behind: the score is a plain float made here.
            detail = None
            if _isinstance(value, _dict):
                if "score" not in value:
                    raise TypeError_('returned a dict without "score"')
                detail = {_str(k): v for k, v in value.items() if k != "score"}
                value = value["score"]
            if value is None:
                frame = {"abstain": True}
            elif _isinstance(value, (_str, bytes)) or not _hasattr(value, "__float__"):
                raise TypeError_('returned %s, not a number, a dict with "score", or None' % _type(value).__name__)
            else:
                number = _float(value)
                if number != number or number in INFINITE:
                    raise TypeError_("returned %r, not a finite number" % number)
                frame = {"score": number}
            if detail:
                frame["detail"] = detail
        except MemoryError_:
            frame = {"error": "MemoryError: the function ran out of memory", "replace": True}
        except BaseException_ as error:
            frame = {"error": failure(error)}
        if gettrace() is not None or getprofile() is not None:
            # A trace or profile hook could rewrite this loop's locals: the worker is replaced.
            settrace(None)
            setprofile(None)
            frame["replace"] = True
        send(nonce, frame)
        if ISOLATE:
            exit_now(0)


class Worker:
    def __init__(self):
        request_r, self.request_w = os.pipe()
        self.result_r, result_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                os.setpgid(0, 0)
                null = os.open("/dev/null", os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.dup2(request_r, 3)
                os.dup2(result_w, 4)
                os.closerange(5, MAX_FD)
                signal.signal(signal.SIGPIPE, signal.SIG_DFL)
                worker_main(3, 4)
            finally:
                os._exit(70)
        os.close(request_r)
        os.close(result_w)
        os.set_blocking(self.request_w, False)
        self.buffer = b""
        self.outgoing = bytearray()
        self.inflight = collections.deque()  # (index, nonce) sent and not answered, in order
        self.served = 0
        self.ready = self.frame(b"ready", time.monotonic() + LOAD_MS / 1000)
        self.baseline = last_pid()

    def frame(self, nonce, deadline):
        """The next frame, which must carry this nonce: ("ok", bytes) or (kind, message). Meanwhile
        it writes the queued requests."""
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return ("timeout", None)
            writers = [self.request_w] if self.outgoing else []
            readable, writable, _ = select.select([self.result_r], writers, [], left)
            if writable:
                try:
                    del self.outgoing[:os.write(self.request_w, self.outgoing[:65536])]
                except BlockingIOError:
                    pass
                except OSError:
                    self.outgoing.clear()  # the worker is gone: its result pipe says how
            if not readable:
                continue
            data = os.read(self.result_r, 65536)
            if not data:
                for _ in range(200):  # a process closes its descriptors just before it can be reaped
                    done, status = os.waitpid(self.pid, os.WNOHANG)
                    if done:
                        break
                    time.sleep(0.001)
                if not done:
                    return ("error", "the function closed the result channel (protocol violation)")
                self.pid = 0
                if os.WIFSIGNALED(status):
                    return ("error", "the function's process was killed by %s" % signal.Signals(os.WTERMSIG(status)).name)
                return ("error", "the function ended its process (exit code %d)" % os.WEXITSTATUS(status))
            self.buffer += data
            if len(self.buffer) > FRAME_LIMIT + 64 and b"\n" not in self.buffer:
                return ("error", "the result is larger than %d bytes" % FRAME_LIMIT)
        line, _, self.buffer = self.buffer.partition(b"\n")
        # The check above sees only a buffer without a line end: a frame that ends in a later read is measured here.
        if len(line) > FRAME_LIMIT + 64:
            return ("error", "the result is larger than %d bytes" % FRAME_LIMIT)
        # The worker's encoder writes printable ASCII only: any other byte (a carriage return, which the
        # service's line reader once took for a line end) was written by the function itself.
        if not line.startswith(nonce + b" ") or NOT_PRINTABLE.search(line):
            return ("error", "the function wrote to the result channel itself (protocol violation)")
        return ("ok", line[len(nonce) + 1:])

    def send(self, index, payload, nonce):
        self.inflight.append((index, nonce))
        self.outgoing += nonce + b" " + payload

    def stop(self):
        if self.pid:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = 0
        os.close(self.request_w)
        os.close(self.result_r)
        kill_strays()


def kill_strays():
    """Kills every process of the sandbox but the framer and its ancestors (forks that left the group)."""
    for _ in range(100):
        strays = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in TRUSTED]
        if not strays:
            return
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.001)


worker = Worker()
ready = worker.ready
if ready[0] == "ok":
    load = ready[1].decode()
elif ready[0] == "timeout":
    load = json.dumps({"error": "loading the source took longer than %d ms" % LOAD_MS})
else:
    load = json.dumps({"error": "loading the source failed: " + ready[1]})
control_out.write(("ready " + load + "\n").encode())
control_out.flush()
load_error = "error" in json.loads(load)
if load_error:
    worker.stop()

def run_chunk(payloads, time_ms, safe, emit):
    """Results of one chunk: (kind, value) per item.

    Pipelined first: up to WINDOW calls are queued ahead of the one the worker runs, so it goes from
    item to item without waiting for the framer. A call can read the queued requests, so it could write
    frames for them before its own; such frames are accepted only provisionally. Every honest frame is
    written once, in order, so a forgery shows later as a frame out of order (the call's real frame), or
    as a call that never answers; and at the end of the chunk the framer sends a sync request, with a
    nonce drawn only then, that must be answered next. At any anomaly, the answers this worker gave in
    pipelined mode that could be forged are thrown away and the rest of the chunk runs one call at a time
    (safe mode): the worker then knows no nonce but the current one, and a frame is the current call's
    or a violation. In safe mode each result goes out (emit) as soon as it is final, so if the function
    kills this process, the service knows which item was running: the first one without a result."""
    global worker
    results = [None] * len(payloads)
    retried = set()
    provisional = []  # items answered in pipelined mode by the current worker, not yet confirmed
    todo = collections.deque(range(len(payloads)))

    def rollback():
        # A call can know the nonces of at most WINDOW calls and its real frame follows its forged ones:
        # only the last WINDOW answers can be forged when the anomaly shows.
        nonlocal safe, provisional, todo
        suspect = provisional[-WINDOW:]
        requeue = suspect + [i for i, _ in worker.inflight]
        for i in suspect:
            results[i] = None
        provisional = []
        safe = True
        todo = collections.deque(sorted(requeue) + list(todo))
        replace()

    def replace():
        global worker
        worker.stop()
        worker = None

    while True:
        if worker is None:
            worker = Worker()
            if worker.ready[0] != "ok":
                replace()
                for index in todo:
                    results[index] = ("error", "the function's process was replaced and the source did not load again")
                return results
        if not todo and not worker.inflight:
            if safe or not provisional:
                return results
            nonce = os.urandom(12).hex().encode()
            worker.outgoing += nonce + b" sync\n"
            kind, _ = worker.frame(nonce, time.monotonic() + time_ms / 1000 + 1)
            if kind == "ok":
                return results
            rollback()
            continue
        while todo and len(worker.inflight) < (1 if safe else WINDOW):
            index = todo.popleft()
            # Drawn per call, never ahead: a worker forked later must find no future nonce in its copy of this process.
            worker.send(index, payloads[index], os.urandom(12).hex().encode())
        if worker.served == 0 or safe or not provisional:
            started = time.monotonic()
        index, nonce = worker.inflight[0]
        kind, value = worker.frame(nonce, started + time_ms / 1000)
        worker.inflight.popleft()
        started = time.monotonic()  # the next call could start only now
        first = worker.served == 0
        worker.served += 1
        # A thread or process the worker started could read requests and write frames later.
        spawned = not ISOLATE and last_pid() != worker.baseline
        tainted = kind == "ok" and value.endswith(b'"replace": true}')
        if kind == "ok" and not spawned and not tainted:
            results[index] = (kind, value)
            if safe:
                emit(index, kind, value)
            else:
                provisional.append(index)
            continue
        if provisional:
            # Earlier answers of this worker may be forged: this one is retried with them.
            worker.inflight.appendleft((index, nonce))
            rollback()
            continue
        # The item's own doing: nothing else ran in this worker since the last confirmed answer.
        if kind == "ok" and spawned and not first:
            kind, value = "error", "a thread or process of the function's interpreter was left running"
        todo.extendleft(reversed([i for i, _ in worker.inflight]))
        replace()
        # What failed in a worker that had served other calls may be their doing: once more, afresh.
        if not first and (kind == "error" or tainted) and index not in retried:
            retried.add(index)
            todo.appendleft(index)
            continue
        results[index] = (kind, value)
        if safe:
            emit(index, kind, value)


def line(chunk, index, kind, value, time_ms):
    if kind == "ok":
        return "%d %d ok %s\n" % (chunk, index, value.decode())
    if kind == "timeout":
        return "%d %d timeout %s\n" % (chunk, index, json.dumps("the call took longer than %d ms" % time_ms))
    return "%d %d error %s\n" % (chunk, index, json.dumps(value))


while True:
    header = control_in.readline()
    if not header:
        break
    request = json.loads(header)
    chunk, time_ms = request["id"], request["time_ms"]
    payloads = [control_in.readline() for _ in range(request["count"])]
    if load_error:
        lines = [line(chunk, index, "error", json.loads(load)["error"], time_ms) for index in range(len(payloads))]
    else:
        emitted = set()

        def emit(index, kind, value):
            emitted.add(index)
            control_out.write(line(chunk, index, kind, value, time_ms).encode())
            control_out.flush()

        results = run_chunk(payloads, time_ms, request.get("safe", False), emit)
        lines = [line(chunk, index, *(result or ("error", "the item was not scored")), time_ms) for index, result in enumerate(results) if index not in emitted]
    control_out.write("".join(lines).encode())
    control_out.flush()
`;
