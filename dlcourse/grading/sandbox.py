"""Running one exercise of one submission in a separate, limited process (book: "Grading", the sandbox).

Linux only (``resource``, ``/proc``). Processes are forked from a *fork server* that has already imported torch,
NumPy and every exercise master, so starting one costs milliseconds instead of the seconds a fresh
``import torch`` takes. The child:

1. starts its own session (so the whole process group can be killed), sends stdout/stderr into a pipe, limits
   its address space (``RLIMIT_AS`` = what is already mapped + the memory limit), its CPU time (the primary time
   limit) and the files it may write, and uses one thread;
2. installs run-time tripwires on the exercise's forbidden callables (:mod:`.tripwires`; they fire only when the
   submission's own code is on the call stack) and, for exercises that forbid aten operators, the dispatcher
   check (:mod:`.dispatch`); then, where the machine allows, moves into Linux namespaces (:mod:`.isolation`);
3. executes the kept definitions one statement at a time (an import that fails costs only what needs it);
4. runs the exercise's cases on the entry, converts each result to plain arrays and writes them into a second
   pipe in the format of :mod:`.wire` (sizes declared up front, plain ``.npy``, nothing compressed).

The parent reads both pipes with byte caps until the child exits or a generous wall-clock limit passes, kills
the process group, and decodes the result; it never unpickles anything the child produced, and no file the
child could replace, truncate or turn into a FIFO is ever read. Comparisons happen in the parent.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import selectors
import signal
import sys
import time
from dataclasses import dataclass
from enum import StrEnum

from .tripwires import (
    SUBMISSION_FILENAME,
    ForbiddenCall,
    guard_references,
    install_tripwires,
    submission_on_stack,
    wire,
)

__all__ = ["SandboxResult", "Failure", "run_exercise", "sandbox_mode", "wall_limit", "OUTPUT_LIMIT", "MEMORY_LIMIT",
           "RESULT_LIMIT", "MESSAGE_LIMIT"]

OUTPUT_LIMIT = 1 << 20          # bytes of stdout+stderr a submission may print per exercise
RESULT_LIMIT = 16 << 20         # bytes of result (arrays and messages) one exercise may send back
MESSAGE_LIMIT = 2000            # characters kept of each message (an exception's text) from the child
MEMORY_LIMIT = 2 << 30          # bytes of address space the submission may add on top of torch itself
_FILE_LIMIT = 16 << 20          # the largest file the child may write
_CPU_SLACK = 1.0                # CPU seconds for the child's own setup (tripwires), on top of the time limit
TMP_LIMIT = 64 << 20            # bytes of the private /tmp in the namespace sandbox
# The first process of a PID namespace ignores every signal it has no handler for, the CPU limit's SIGXCPU included.
# In the namespace sandbox a handler turns SIGXCPU into this exit code, which the relay passes on.
CPU_LIMIT_EXIT = 128 + signal.SIGXCPU


class Failure(StrEnum):
    """Why a sandboxed run returned no outcomes (``SandboxResult.kind``), as data."""

    TIMEOUT = "timeout"      # CPU time limit, or the wall-clock limit behind it
    MEMORY = "memory"        # MemoryError outside the cases, or killed for memory
    EXIT = "exit"            # sys.exit, os._exit, KeyboardInterrupt: left without a result
    CRASH = "crash"          # a signal, or another exception outside the cases
    OUTPUT = "output"        # printed more than OUTPUT_LIMIT
    RESULT = "result"        # sent back a result that is too large or malformed


def wall_limit(cpu_seconds: float) -> float:
    """The wall-clock limit behind a CPU-time limit: generous, so that a busy machine does not fail honest code."""
    return 3.0 * cpu_seconds + 10.0

_CTX = None


@dataclass
class SandboxResult:
    """What came back from the child: ``outcomes`` as in :func:`dlcourse.exercises.check.run_cases`, or a failure."""

    outcomes: list | None
    failure: str | None = None       # why there are no outcomes, in words for the learner
    kind: Failure | None = None      # ... and as data
    forbidden: list | None = None    # tripwires that fired
    def_errors: list | None = None   # errors while defining the submission's code
    output_bytes: int = 0
    seconds: float = 0.0
    times: list | None = None        # seconds spent installing tripwires, running the submission (diagnostics)
    cpu_seconds: float = 0.0         # the child's own CPU time, as it reported it (diagnostics)


def _prep_without_main(get_preparation_data):
    """Children must not re-run the grader's ``__main__`` (the ``dlcourse`` script) as spawn would."""
    def prep(name):
        data = get_preparation_data(name)
        if str(name).startswith("dlcourse-sandbox"):
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data
    prep._dlcourse = True  # type: ignore[attr-defined]
    return prep


def _context():
    global _CTX
    if _CTX is None:
        from multiprocessing import spawn

        if not getattr(spawn.get_preparation_data, "_dlcourse", False):
            spawn.get_preparation_data = _prep_without_main(spawn.get_preparation_data)
        _CTX = multiprocessing.get_context("forkserver")
        _CTX.set_forkserver_preload(["dlcourse.grading._preload"])
    return _CTX


# ------------------------------------------------------------------ child side
def _cap(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f" ... [{len(text) - limit} more characters cut]"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _child(ex_id: str, source: str, out_conn, res_conn, memory: int, cpu_seconds: float, extra: tuple,
           forbidden: tuple, isolate: bool = False, ops: tuple = ()) -> None:
    import resource

    os.setsid()
    out = out_conn.fileno()
    os.dup2(out, 1)
    os.dup2(out, 2)
    res = os.dup(res_conn.fileno())
    out_conn.close()
    res_conn.close()
    res_fd = 3  # the result pipe; every other descriptor (the fork server's, the resource tracker's) is closed
    if res != res_fd:
        os.dup2(res, res_fd)
        os.close(res)
    os.closerange(res_fd + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_FSIZE, (_FILE_LIMIT, _FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = max(1, math.ceil(cpu_seconds + _CPU_SLACK))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (mapped + memory, mapped + memory))

    import torch

    from dlcourse import exercises
    from dlcourse.exercises.check import Outcome, run_cases

    from .wire import encode_result

    torch.set_num_threads(1)
    for m in extra:
        exercises.register_module(m)
    ex = exercises.get(ex_id)
    tripped: list = []
    t0 = time.monotonic()
    install_tripwires(forbidden, tripped)
    guard_references(exercises.all_exercises(), tripped)

    import ast
    import types
    module = types.ModuleType("__submission__")
    sys.modules["__submission__"] = module
    ns: dict = module.__dict__
    def_errors = []
    exit_kind = exit_reason = None
    outcomes: list = []
    if isolate:  # from here on, the submission's code runs in namespaces (PID 1 of its own PID namespace)
        from . import isolation

        try:
            isolation.enter(TMP_LIMIT)
            signal.signal(signal.SIGXCPU, lambda signum, frame: os._exit(CPU_LIMIT_EXIT))
        except OSError as err:
            exit_kind, exit_reason = Failure.CRASH, f"could not be run: the namespace sandbox failed ({err})"
    guard = None
    if ops and exit_reason is None:  # forbidden aten operators, seen at the dispatcher (see .dispatch)
        from .dispatch import ForbiddenOps, install_tamper_wires

        def hit(label: str) -> None:
            tripped.append(label)
            raise ForbiddenCall(f"uses {label}, which this exercise forbids")

        install_tamper_wires(lambda orig, name: wire(orig, f"{name} (switches off the grader's check)", tripped))
        guard = ForbiddenOps(tuple(ops), submission_on_stack, hit).__enter__()
    t1 = time.monotonic()
    try:
        if exit_reason is None:
            for node in ast.parse(source).body:
                try:
                    code = compile(ast.Module(body=[node], type_ignores=[]), SUBMISSION_FILENAME, "exec")
                    exec(code, ns)
                except (Exception, ForbiddenCall) as err:  # noqa: BLE001 - RecursionError, MemoryError included
                    def_errors.append(_cap(f"line {node.lineno}: {type(err).__name__}: {err}", 300))
            entry = ns.get(ex.entry)
            outcomes = [(Outcome.MISSING, "")] if entry is None else run_cases(ex, entry)
    except ForbiddenCall as err:
        outcomes = outcomes + [(Outcome.ERROR, f"raised ForbiddenCall: {err}")]
    except SystemExit as err:
        exit_kind, exit_reason = Failure.EXIT, f"called sys.exit({_cap(repr(err.code), 200)})"
    except KeyboardInterrupt:
        exit_kind, exit_reason = Failure.EXIT, "raised KeyboardInterrupt"
    except MemoryError:
        exit_kind, exit_reason = Failure.MEMORY, "ran out of memory (MemoryError)"
    except BaseException as err:  # noqa: BLE001
        exit_kind, exit_reason = Failure.CRASH, f"raised {type(err).__name__}: {_cap(err, 500)}"
    if guard is not None:
        try:
            problem = guard.tampered()
        except BaseException as err:  # noqa: BLE001
            problem = f"the check failed: {type(err).__name__}"
        if problem:
            tripped.append(f"switching off the grader's dispatcher check ({problem})")
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - the grader may have stopped reading the output
        pass
    try:
        values = [v if kind == Outcome.OK else None for kind, v in outcomes]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        meta = {"kinds": [str(k) for k, _ in outcomes],
                "messages": [_cap(v) if k != Outcome.OK else "" for k, v in outcomes],
                "tripped": sorted(set(tripped))[:20], "def_errors": def_errors[:3],
                "exit": exit_reason, "exit_kind": str(exit_kind) if exit_kind else None,
                "times": [t1 - t0, time.monotonic() - t1], "cpu": usage.ru_utime + usage.ru_stime,
                "mode": "namespaces" if isolate else "process"}
        _write_all(res_fd, encode_result(values, meta))
        os.close(res_fd)
    except BaseException:  # noqa: BLE001
        os._exit(3)
    os._exit(0)


# ------------------------------------------------------------------ parent side
_MODE: tuple[str, str] | None = None


def _probe(conn) -> None:
    """In a fresh sandbox child: enter the namespaces and check that /dev/shm is read-only; report in words."""
    from . import isolation

    try:
        isolation.enter(1 << 20)
        try:
            with open("/dev/shm/dlcourse-probe", "w"):
                pass
            msg = "/dev/shm stayed writable"
        except OSError:
            msg = "ok"
    except OSError as err:
        msg = str(err)
    try:
        conn.send_bytes(msg.encode()[:500])
    finally:
        os._exit(0)


def sandbox_mode(requested: str = "auto") -> tuple[str, str]:
    """``(mode, reason)``: ``"namespaces"`` where this machine lets the sandbox use them, else ``"process"``.

    ``requested``: ``"auto"`` (probe once per process), ``"namespaces"`` (``RuntimeError`` if unavailable) or
    ``"process"`` (the process sandbox only).
    """
    global _MODE
    if requested == "process":
        return "process", "asked for"
    if requested not in ("auto", "namespaces"):
        raise ValueError(f"sandbox mode must be auto, namespaces or process, got {requested!r}")
    if _MODE is None:
        if not sys.platform.startswith("linux"):
            _MODE = ("process", "not Linux")
        else:
            ctx = _context()
            r, w = ctx.Pipe(duplex=False)
            p = ctx.Process(name="dlcourse-sandbox-probe", target=_probe, args=(w,), daemon=True)
            p.start()
            w.close()
            msg = r.recv_bytes().decode(errors="replace") if r.poll(60) else "the probe did not answer"
            r.close()
            p.join(5)
            _MODE = ("namespaces", "available") if msg == "ok" else ("process", f"namespaces unavailable: {msg}")
    if requested == "namespaces" and _MODE[0] != "namespaces":
        raise RuntimeError(f"the namespace sandbox is not available here ({_MODE[1]})")
    return _MODE


def _pump(p, caps: dict[int, int], wall: float, exit_fd: int | None = None
          ) -> tuple[dict[int, bytearray], int | None, bool]:
    """Read the pipes ``caps`` (fd -> byte cap) until the child exits, the wall limit passes or a cap is passed.

    ``exit_fd``: a pidfd of the child (readable when it ends, even if the fork server that forked it was killed);
    without one, the fork server's sentinel. Returns ``(bytes per fd, the fd whose cap was passed or None,
    timed out)``.
    """
    done = p.sentinel if exit_fd is None else exit_fd
    bufs = {fd: bytearray() for fd in caps}
    sel = selectors.DefaultSelector()
    for fd in caps:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    sel.register(done, selectors.EVENT_READ)
    deadline = time.monotonic() + wall
    open_fds, exited = set(caps), False

    def read(fd: int) -> bool:
        """Read what is there now; False at EOF or when nothing is ready."""
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return False
        if not chunk:
            open_fds.discard(fd)
            sel.unregister(fd)
            return False
        bufs[fd] += chunk
        return True

    try:
        while not exited:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bufs, None, True
            for key, _ in sel.select(remaining):
                if key.fd == done:
                    exited = True
                    sel.unregister(done)
                elif key.fd in open_fds:
                    read(key.fd)
                    if len(bufs[key.fd]) > caps[key.fd]:
                        return bufs, key.fd, False
        # the child has exited: take what it wrote before (a process it left behind may still hold the pipes)
        for fd in list(open_fds):
            while read(fd):
                if len(bufs[fd]) > caps[fd]:
                    return bufs, fd, False
        return bufs, None, False
    finally:
        sel.close()


def _decode(data: bytes) -> tuple[list, dict]:
    from dlcourse.exercises.check import Outcome

    from .wire import decode_result

    values, meta = decode_result(data)
    kinds, messages = meta.get("kinds"), meta.get("messages")
    if not isinstance(kinds, list) or not isinstance(messages, list) or not len(kinds) == len(messages) == \
            len(values):
        raise ValueError("a malformed result")
    outcomes = [(Outcome(k), v if k == Outcome.OK else _cap(m)) for k, v, m in zip(kinds, values, messages)]
    return outcomes, meta


def _str_list(x, n: int = 20) -> list[str]:
    return [_cap(v, 300) for v in x[:n]] if isinstance(x, list) else []


def run_exercise(ex_id: str, source: str, timeout: float, memory: int = MEMORY_LIMIT,
                 forbidden: tuple[str, ...] = (), wall_timeout: float | None = None,
                 isolate: bool = False, ops: tuple[str, ...] = ()) -> SandboxResult:
    """Run exercise ``ex_id`` on the submission's kept ``source`` in a sandboxed child process.

    ``timeout``: CPU seconds (the primary limit); ``wall_timeout``: the wall-clock limit behind it (default
    :func:`wall_limit`). ``forbidden``: dotted names whose use (while the submission's code is on the stack)
    trips a wire. ``isolate``: run the submission in Linux namespaces (:mod:`.isolation`; see
    :func:`sandbox_mode`). ``ops``: aten operators the submission's code may not call (:mod:`.dispatch`).
    """
    from dlcourse.exercises import extra_modules

    ctx = _context()
    wall = wall_limit(timeout) if wall_timeout is None else wall_timeout
    out_r, out_w = ctx.Pipe(duplex=False)
    res_r, res_w = ctx.Pipe(duplex=False)
    start = time.monotonic()
    p = ctx.Process(name=f"dlcourse-sandbox-{ex_id}", target=_child,
                    args=(ex_id, source, out_w, res_w, memory, float(timeout), extra_modules(), tuple(forbidden),
                          isolate, tuple(ops)),
                    daemon=True)
    try:
        p.start()
        out_w.close()
        res_w.close()
        try:  # the child's end, seen even if a submission kills the fork server (the child's parent)
            exit_fd = os.pidfd_open(p.pid)
        except (OSError, AttributeError):
            exit_fd = None
        try:
            bufs, over, timed_out = _pump(p, {out_r.fileno(): OUTPUT_LIMIT, res_r.fileno(): RESULT_LIMIT}, wall,
                                          exit_fd)
        finally:
            if exit_fd is not None:
                os.close(exit_fd)
    finally:
        for c in (out_w, res_w):
            c.close()
        if p.pid is not None:
            try:
                os.killpg(p.pid, signal.SIGKILL)  # the child and anything it started in its session
            except (ProcessLookupError, PermissionError):
                pass
            p.join(5)
        out_fd, res_fd = out_r.fileno(), res_r.fileno()
        out_r.close()
        res_r.close()
    seconds = time.monotonic() - start
    printed = len(bufs[out_fd])

    def fail(kind: Failure, why: str, meta: dict | None = None) -> SandboxResult:
        meta = meta or {}
        return SandboxResult(None, why, kind, _str_list(meta.get("tripped")), _str_list(meta.get("def_errors")),
                             printed, seconds)

    if timed_out:
        return fail(Failure.TIMEOUT, f"took longer than the wall-clock time limit ({wall:g} s) and was stopped")
    if over == out_fd:
        return fail(Failure.OUTPUT, f"printed more than {OUTPUT_LIMIT / 2**20:.0f} MB (the limit per exercise)")
    if over == res_fd:
        return fail(Failure.RESULT, f"returned more than {RESULT_LIMIT / 2**20:.0f} MB of results (the limit)")
    code = p.exitcode  # 255 when the fork server was killed: then a complete result still counts
    data = bytes(bufs[res_fd])

    def by_exit() -> SandboxResult:
        if code is not None and code < 0:
            kind, why = {signal.SIGKILL: (Failure.MEMORY, "was killed (SIGKILL, most likely out of memory)"),
                         signal.SIGXCPU: (Failure.TIMEOUT, f"used more than its CPU time limit ({timeout:g} s)"),
                         signal.SIGSEGV: (Failure.CRASH, "crashed (segmentation fault)")}.get(
                -code, (Failure.CRASH, f"died of signal {-code}"))
        elif code == CPU_LIMIT_EXIT:
            kind, why = Failure.TIMEOUT, f"used more than its CPU time limit ({timeout:g} s)"
        else:
            kind, why = Failure.EXIT, f"exited the interpreter (exit code {code}) before returning a result"
        return fail(kind, why)

    if not data:
        return by_exit()
    try:
        outcomes, meta = _decode(data)
    except Exception as err:  # noqa: BLE001 - a forged or broken result is a failure, never a crash
        if code is not None and code < 0:
            return by_exit()  # killed while writing its result
        return fail(Failure.RESULT, f"returned an unreadable result ({type(err).__name__}: {_cap(err, 200)})")
    if meta.get("exit"):
        try:
            kind = Failure(meta.get("exit_kind") or "crash")
        except ValueError:
            kind = Failure.CRASH
        return fail(kind, _cap(meta["exit"], 600), meta)
    cpu = meta.get("cpu")
    times = meta.get("times")
    return SandboxResult(outcomes, None, None, _str_list(meta.get("tripped")), _str_list(meta.get("def_errors")),
                         printed, seconds, [float(t) for t in times[:2]] if isinstance(times, list) else None,
                         float(cpu) if isinstance(cpu, (int, float)) else 0.0)
