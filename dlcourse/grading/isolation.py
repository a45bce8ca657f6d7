"""Linux namespaces for one sandboxed exercise, as bubblewrap and nsjail use them (book: "Grading", isolation).

Called in the sandbox's freshly forked, single-threaded child (``unshare(CLONE_NEWUSER)`` fails with EINVAL in a
process with several threads, and the grader has several once torch is loaded). Python 3.11 has no
``os.unshare``, so this uses ``ctypes``. :func:`enter` gives the child its own user, mount, PID, network, IPC and
UTS namespaces and then:

- makes every mount read-only, recursively (``mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY)``), ``/dev/shm``
  included;
- replaces ``/dev`` with a read-only folder holding only ``null``, ``zero``, ``full``, ``random``, ``urandom``
  and an empty ``shm`` (a VM's block devices stay out of reach);
- mounts a private, empty, size-limited tmpfs on ``/tmp``;
- forks once more: that process is PID 1 of the new PID namespace, so when it ends the kernel kills every
  process the submission started, daemons included. It mounts a read-only ``/proc`` that shows only its own
  namespace, then enters one more user and mount namespace with no uid mapped, which locks the read-only
  mounts so the submission cannot make them writable again, and in which its capabilities reach no file.

The grader runs as root here; inside the user namespace root maps to root, so every mount must be read-only
(dropping to ``nobody`` instead is not possible when the Python installation lives in a 0700 home directory).
The network namespace has no interface but a down loopback: no network.
"""
from __future__ import annotations

import ctypes
import os
import signal

__all__ = ["enter", "IsolationError", "CLONE_FLAGS"]

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
CLONE_FLAGS = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 4096, 16384, 1 << 18
MNT_DETACH = 2
_AT_FDCWD, _AT_RECURSIVE, _MOUNT_ATTR_RDONLY = -100, 0x8000, 1
_SYS_MOUNT_SETATTR = {"x86_64": 442, "aarch64": 442}
_PR_SET_NO_NEW_PRIVS = 38
_DEVICES = ("null", "zero", "full", "random", "urandom")


class IsolationError(OSError):
    """A namespace could not be set up (the caller falls back to the process sandbox, or reports it)."""


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64), ("propagation", ctypes.c_uint64),
                ("userns_fd", ctypes.c_uint64)]


_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _ok(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise IsolationError(err, f"{what}: {os.strerror(err)}")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _user_namespace(flags: int) -> None:
    """Unshare a user namespace (plus ``flags``) in which our uid and gid map to themselves."""
    uid, gid = os.geteuid(), os.getegid()
    _ok(_c().unshare(CLONE_NEWUSER | flags), "unshare")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1\n")
    _write("/proc/self/gid_map", f"{gid} {gid} 1\n")


def _enc(s: str | None) -> bytes | None:
    return None if s is None else s.encode()


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = _enc
    _ok(_c().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def _read_only_everywhere() -> None:
    import platform

    nr = _SYS_MOUNT_SETATTR.get(platform.machine())
    if nr is None:
        raise IsolationError(0, f"mount_setattr: unknown system call number on {platform.machine()}")
    attr = _MountAttr(_MOUNT_ATTR_RDONLY, 0, 0, 0)
    _ok(_c().syscall(nr, _AT_FDCWD, b"/", _AT_RECURSIVE, ctypes.byref(attr), ctypes.sizeof(attr)),
        "mount_setattr (read-only)")


def _private_dev(staging: str) -> None:
    """A new /dev holding only harmless devices and an empty shm folder (built under ``staging``)."""
    dev = os.path.join(staging, "dev")
    os.mkdir(dev, 0o755)
    for name in _DEVICES:
        node = os.path.join(dev, name)
        os.close(os.open(node, os.O_CREAT | os.O_WRONLY, 0o666))
        _mount(f"/dev/{name}", node, None, MS_BIND)
    os.mkdir(os.path.join(dev, "shm"), 0o1777)
    os.mkdir(os.path.join(dev, "pts"), 0o755)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    _mount(dev, "/dev", None, MS_BIND | MS_REC)


def _pid_one_or_relay() -> None:
    """Fork: the child returns (it is PID 1 of the new PID namespace); this process waits and mirrors its end."""
    pid = os.fork()
    if pid == 0:
        return
    for fd in range(0, 1024):  # the relay holds nothing: only PID 1 writes the pipes
        try:
            os.close(fd)
        except OSError:
            pass
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def enter(tmp_bytes: int = 64 << 20) -> None:
    """Move this (single-threaded) process into fresh namespaces; see the module docstring.

    Returns in the new PID namespace's first process (the caller runs the submission there); the process that
    called it never returns (it waits and exits like that process). Raises :class:`IsolationError` before the
    fork if a step fails, having changed nothing the caller can still observe but its namespaces.
    """
    _user_namespace(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=700")  # staging for /dev
    _private_dev("/tmp")
    _ok(_c().umount2(b"/tmp", MNT_DETACH), "umount staging")
    _read_only_everywhere()
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={max(tmp_bytes, 1 << 20)},mode=1777")
    _pid_one_or_relay()
    # PID 1 of the new namespace from here on
    try:
        _mount("proc", "/proc", "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except IsolationError:
        pass  # the read-only /proc of the parent namespace stays (it cannot signal anything outside)
    # one more user and mount namespace, with no uid mapped: every mount above is locked (the submission cannot
    # make one writable or unmount it), and capabilities there reach nothing owned by anyone outside
    _ok(_c().unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare (lock)")
    _ok(_c().prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    os.chdir("/tmp")
