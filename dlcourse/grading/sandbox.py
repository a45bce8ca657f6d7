"""Running one exercise of one submission in a separate, limited process (book: "Grading", the sandbox).

Processes are forked from a *fork server* that has already imported torch, NumPy and every exercise master, so
starting one costs milliseconds instead of the seconds a fresh ``import torch`` takes. The child:

1. starts its own session (so the whole process group can be killed), sends stdout/stderr to a file capped by
   ``RLIMIT_FSIZE``, limits its address space (``RLIMIT_AS`` = what is already mapped + the memory limit) and its
   CPU time, and uses one thread;
2. installs run-time tripwires on the exercise's forbidden callables (they fire only when the submission's own
   code is on the call stack);
3. executes the kept definitions one statement at a time (an import that fails costs only what needs it);
4. runs the exercise's cases on the entry, converts each result to plain arrays and writes them with
   :func:`~dlcourse.exercises.compare.save_plain` (an ``.npz`` read back with ``allow_pickle=False``).

The parent waits at most the time limit, kills the process group, and reads back only that file; it never
unpickles anything the child produced. Comparisons happen in the parent.
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SandboxResult", "run_exercise", "OUTPUT_LIMIT", "MEMORY_LIMIT"]

OUTPUT_LIMIT = 1 << 20          # bytes of stdout+stderr a submission may print per exercise
MEMORY_LIMIT = 2 << 30          # bytes of address space the submission may add on top of torch itself
_FILE_LIMIT = 64 << 20          # the largest file the child may write (its output, its result)
SUBMISSION_FILENAME = "<submission>"

_CTX = None


@dataclass
class SandboxResult:
    """What came back from the child: ``outcomes`` as in :func:`dlcourse.exercises.check.run_cases`, or a failure."""

    outcomes: list | None
    failure: str | None = None       # why there are no outcomes (timeout, crash, ...)
    forbidden: list | None = None    # tripwires that fired
    def_errors: list | None = None   # errors while defining the submission's code
    output_bytes: int = 0
    seconds: float = 0.0
    times: list | None = None        # seconds spent installing tripwires, running the submission (diagnostics)


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
class ForbiddenCall(BaseException):
    """Raised by a tripwire; a BaseException so that ``except Exception`` in the submission does not hide it."""


def _submission_on_stack() -> bool:
    f = sys._getframe(2)
    while f is not None:
        if f.f_code.co_filename == SUBMISSION_FILENAME:
            return True
        f = f.f_back
    return False


def _install_tripwires(forbidden: tuple[str, ...], tripped: list) -> None:
    import importlib
    import inspect

    import torch

    targets: dict[int, tuple[object, str]] = {}

    def resolve(dotted: str):
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            try:
                for p in parts[i:]:
                    obj = getattr(obj, p)
            except AttributeError:
                return None
            return obj
        return None

    for name in forbidden:
        obj = resolve(name)
        if obj is None:
            continue
        objs = [(obj, name)]
        if inspect.ismodule(obj):
            objs = [(v, f"{name}.{k}") for k, v in vars(obj).items()
                    if not k.startswith("_") and callable(v) and getattr(v, "__module__", "") == obj.__name__]
        for o, n in objs:
            targets[id(o)] = (o, n)
        parts = name.split(".")
        if len(parts) == 2 and parts[0] == "torch" and hasattr(torch.Tensor, parts[1]):
            m = getattr(torch.Tensor, parts[1])
            targets[id(m)] = (m, f"torch.Tensor.{parts[1]}")
    if not targets:
        return

    def make(orig, label):
        if isinstance(orig, type):
            init = orig.__init__

            def __init__(self, *a, **k):
                if _submission_on_stack():
                    tripped.append(label)
                    raise ForbiddenCall(f"uses {label}, which this exercise forbids")
                return init(self, *a, **k)
            return __init__

        def tripwire(*a, **k):
            if _submission_on_stack():
                tripped.append(label)
                raise ForbiddenCall(f"uses {label}, which this exercise forbids")
            return orig(*a, **k)
        tripwire.__name__ = getattr(orig, "__name__", "tripwire")
        return tripwire

    wrappers = {i: make(o, n) for i, (o, n) in targets.items()}
    for i, (o, _n) in targets.items():
        if isinstance(o, type):
            try:
                o.__init__ = wrappers[i]
            except TypeError:
                pass
    # replace every reference to a forbidden callable in torch's and dlcourse's modules and in torch.Tensor
    for modname, mod in list(sys.modules.items()):
        if mod is None or not (modname.startswith("torch") or modname.startswith("dlcourse")):
            continue
        try:
            items = list(vars(mod).items())
        except TypeError:
            continue
        for k, v in items:
            if id(v) in targets and not isinstance(v, type):
                try:
                    setattr(mod, k, wrappers[id(v)])
                except (AttributeError, TypeError):
                    pass
    for k, v in list(vars(torch.Tensor).items()):
        if id(v) in targets:
            setattr(torch.Tensor, k, wrappers[id(v)])


def _guard_references(all_exercises: list, tripped: list) -> None:
    """The masters' ``reference`` attributes become tripwires too (the registry is not a way around them)."""
    def guard(ref, label):
        def reference(*a, **k):
            if _submission_on_stack():
                tripped.append(label)
                raise ForbiddenCall(f"uses {label}, the reference solution")
            return ref(*a, **k)
        return reference

    for ex in all_exercises:
        object.__setattr__(ex, "reference", guard(ex.reference, f"the reference of exercise {ex.id}"))
        object.__setattr__(ex, "mistakes", ())


def _child(ex_id: str, source: str, workdir: str, memory: int, cpu_seconds: int, extra: tuple,
           forbidden: tuple) -> None:
    os.setsid()
    out = os.open(os.path.join(workdir, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (_FILE_LIMIT, _FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (mapped + memory, mapped + memory))

    import torch

    from dlcourse import exercises
    from dlcourse.exercises.check import run_cases
    from dlcourse.exercises.compare import save_plain

    torch.set_num_threads(1)
    for m in extra:
        exercises.register_module(m)
    ex = exercises.get(ex_id)
    tripped: list = []
    t0 = time.monotonic()
    _install_tripwires(forbidden, tripped)
    _guard_references(exercises.all_exercises(), tripped)

    import ast
    import types
    module = types.ModuleType("__submission__")
    sys.modules["__submission__"] = module
    ns: dict = module.__dict__
    t1 = time.monotonic()
    def_errors = []
    exit_reason = None
    outcomes: list = []
    try:
        for node in ast.parse(source).body:
            code = compile(ast.Module(body=[node], type_ignores=[]), SUBMISSION_FILENAME, "exec")
            try:
                exec(code, ns)
            except (Exception, ForbiddenCall) as err:  # noqa: BLE001
                def_errors.append(f"line {node.lineno}: {type(err).__name__}: {err}")
        entry = ns.get(ex.entry)
        if entry is None:
            outcomes = [("missing", "")]
        else:
            outcomes = run_cases(ex, entry)
    except ForbiddenCall as err:
        outcomes = outcomes + [("error", f"raised ForbiddenCall: {err}")]
    except SystemExit as err:
        exit_reason = f"called sys.exit({err.code!r})"
    except KeyboardInterrupt:
        exit_reason = "raised KeyboardInterrupt"
    except MemoryError:
        exit_reason = "ran out of memory (MemoryError)"
    except BaseException as err:  # noqa: BLE001
        exit_reason = f"raised {type(err).__name__}: {err}"
    sys.stdout.flush()
    sys.stderr.flush()
    values = [v if kind == "ok" else None for kind, v in outcomes]
    meta = {"kinds": [k for k, _ in outcomes], "messages": [v if k != "ok" else "" for k, v in outcomes],
            "tripped": sorted(set(tripped)), "def_errors": def_errors, "exit": exit_reason,
            "times": [t1 - t0, time.monotonic() - t1]}
    tmp = os.path.join(workdir, "result.tmp.npz")
    try:
        save_plain(tmp, values, meta)
        os.replace(tmp, os.path.join(workdir, "result.npz"))
    except BaseException:  # noqa: BLE001
        os._exit(3)
    os._exit(0)


# ------------------------------------------------------------------ parent side
def run_exercise(ex_id: str, source: str, timeout: float, memory: int = MEMORY_LIMIT,
                 forbidden: tuple[str, ...] = ()) -> SandboxResult:
    """Run exercise ``ex_id`` on the submission's kept ``source`` in a sandboxed child process.

    ``forbidden``: dotted names whose use (while the submission's code is on the stack) trips a wire.
    """
    from dlcourse.exercises import extra_modules
    from dlcourse.exercises.compare import load_plain

    ctx = _context()
    with tempfile.TemporaryDirectory(prefix="dlcourse-sandbox-") as workdir:
        start = time.monotonic()
        p = ctx.Process(name=f"dlcourse-sandbox-{ex_id}", target=_child,
                        args=(ex_id, source, workdir, memory, int(timeout) + 2, extra_modules(), tuple(forbidden)),
                        daemon=True)
        p.start()
        p.join(timeout)
        timed_out = p.is_alive()
        try:
            os.killpg(p.pid, signal.SIGKILL)  # the child and anything it started
        except (ProcessLookupError, PermissionError):
            pass
        p.join(5)
        seconds = time.monotonic() - start
        out_path, res_path = Path(workdir, "output.txt"), Path(workdir, "result.npz")
        printed = out_path.stat().st_size if out_path.exists() else 0
        if timed_out:
            return SandboxResult(None, f"took longer than the time limit ({timeout:g} s) and was stopped",
                                 output_bytes=printed, seconds=seconds)
        if printed > OUTPUT_LIMIT:
            return SandboxResult(None, f"printed {printed / 2**20:.1f} MB (the limit is "
                                       f"{OUTPUT_LIMIT / 2**20:.0f} MB per exercise)",
                                 output_bytes=printed, seconds=seconds)
        if not res_path.exists():
            code = p.exitcode
            if code is not None and code < 0:
                why = {signal.SIGKILL: "was killed (SIGKILL, most likely out of memory)",
                       signal.SIGXCPU: "used more than its CPU time",
                       signal.SIGSEGV: "crashed (segmentation fault)"}.get(-code, f"died of signal {-code}")
            else:
                why = f"exited the interpreter (exit code {code}) before returning a result"
            return SandboxResult(None, why, output_bytes=printed, seconds=seconds)
        try:
            values, meta = load_plain(str(res_path))
        except Exception as err:  # noqa: BLE001 - a forged or broken file is a failure, never a crash
            return SandboxResult(None, f"returned an unreadable result ({type(err).__name__})",
                                 output_bytes=printed, seconds=seconds)
    kinds, messages = list(meta.get("kinds", [])), list(meta.get("messages", []))
    if len(kinds) != len(values) or len(messages) != len(values):
        return SandboxResult(None, "returned a malformed result", seconds=seconds)
    outcomes = [(k, v if k == "ok" else str(m)) for k, v, m in zip(kinds, values, messages)]
    if meta.get("exit"):
        return SandboxResult(None, str(meta["exit"]), forbidden=list(meta.get("tripped", [])),
                             def_errors=list(meta.get("def_errors", [])), output_bytes=printed, seconds=seconds)
    return SandboxResult(outcomes, None, list(meta.get("tripped", [])), list(meta.get("def_errors", [])),
                         printed, seconds, list(meta.get("times", [])))
