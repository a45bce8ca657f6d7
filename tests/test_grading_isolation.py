"""The namespace sandbox (issue 11): what a submission can no longer reach, compared with the process sandbox.

Each test runs one exercise's entry in the sandbox; the entry probes its surroundings and raises a
``RuntimeError`` whose message reports what it found, which comes back as the case's error. Tests of guarantees
that only namespaces give are skipped, with the reason shown (``pytest -rs``), where this machine cannot create
them (e.g. Docker's default seccomp profile); they never pass vacuously.
"""
from __future__ import annotations

import multiprocessing.forkserver
import os
import time
import uuid

import pytest

from dlcourse import exercises as E
from dlcourse.exercises.check import Outcome
from dlcourse.grading.sandbox import run_exercise, sandbox_mode

E.register_module("fake_exercises")
MODE, WHY = sandbox_mode()
needs_ns = pytest.mark.skipif(MODE != "namespaces", reason=f"namespace sandbox unavailable here: {WHY}")

PROBE = '''import os, signal, socket
def clipped_square(x, limit=1.0):
    seen = []
    for path in ["/dev/shm/{token}", "/tmp/{token}", "{repo}/{token}"]:
        try:
            with open(path, "w") as f:
                f.write("x" * 2_000_000)
            seen.append("wrote " + path)
        except OSError as err:
            seen.append("refused " + path + " " + type(err).__name__)
    for name, pid in (("grader", {grader}), ("forkserver", {server})):
        try:
            os.kill(pid, 0)
            seen.append("can signal " + name)
        except OSError as err:
            seen.append("cannot signal " + name + " " + type(err).__name__)
    try:
        socket.create_connection(("192.0.2.1", 9), timeout=1)
        seen.append("network")
    except OSError as err:
        seen.append("no network " + type(err).__name__)
    seen.append("tmp holds " + str(len(os.listdir("/tmp"))))
    seen.append("pids " + str(len([p for p in os.listdir("/proc") if p.isdigit()])))
    raise RuntimeError(" | ".join(seen))
'''

DAEMON = '''import ctypes, os, time
def clipped_square(x, limit=1.0):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            ctypes.CDLL(None).prctl(15, b"{name}", 0, 0, 0)  # PR_SET_NAME
            time.sleep(60)
        os._exit(0)
    time.sleep(0.5)
    return x * x
'''


def _outside_tmp() -> str:
    """A writable folder on a real mount: the checkout, unless it lives under /tmp (which the sandbox replaces
    with its own private /tmp), else the home folder."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return repo if not (repo + "/").startswith("/tmp/") else os.path.expanduser("~")


def _probe(isolate: bool) -> tuple[str, str]:
    token = f"dlcourse-test-{uuid.uuid4().hex[:8]}"
    server = multiprocessing.forkserver._forkserver._forkserver_pid
    src = PROBE.format(token=token, repo=_outside_tmp(), grader=os.getpid(), server=server)
    res = run_exercise("99.1", src, timeout=10, isolate=isolate)
    assert res.outcomes and res.outcomes[0][0] == Outcome.ERROR, res
    for path in (f"/dev/shm/{token}", f"/tmp/{token}", os.path.join(_outside_tmp(), token)):
        if os.path.exists(path):
            os.unlink(path)
    return res.outcomes[0][1], token


def _count(name: str) -> int:
    n = 0
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/comm") as f:
                n += f.read().strip() == name
        except OSError:
            pass
    return n


def _kill(name: str) -> None:
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == name:
                    os.kill(int(pid), 9)
        except OSError:
            pass


@needs_ns
def test_namespaces_refuse_what_the_process_sandbox_allows():
    found, token = _probe(isolate=True)
    assert f"refused /dev/shm/{token} OSError" in found      # the cross-sandbox write through /dev/shm
    assert f"refused {_outside_tmp()}/{token} OSError" in found  # every mount read-only
    assert f"wrote /tmp/{token}" in found and "tmp holds 1" in found  # a private, empty, writable /tmp
    assert "cannot signal grader ProcessLookupError" in found
    assert "cannot signal forkserver ProcessLookupError" in found
    assert "no network" in found and "pids 1" in found


def test_process_sandbox_shows_what_it_does_not_stop():
    found, token = _probe(isolate=False)
    assert f"wrote /dev/shm/{token}" in found and "can signal forkserver" in found and "network" in found


@needs_ns
def test_no_process_left_after_namespace_grading():
    name = f"dlc-{uuid.uuid4().hex[:8]}"
    res = run_exercise("99.1", DAEMON.format(name=name), timeout=10, isolate=True)
    assert res.outcomes and res.outcomes[0][0] == Outcome.OK, res
    time.sleep(0.5)
    assert _count(name) == 0


def test_process_sandbox_leaves_an_escaped_daemon():
    """The counterpart (and proof that the count above can fail): the process sandbox cannot stop a daemon."""
    name = f"dlc-{uuid.uuid4().hex[:8]}"
    res = run_exercise("99.1", DAEMON.format(name=name), timeout=10, isolate=False)
    assert res.outcomes and res.outcomes[0][0] == Outcome.OK, res
    deadline = time.monotonic() + 5
    while _count(name) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert _count(name) >= 1  # one per case
    finally:
        _kill(name)
