"""A cross-process file lock with a bounded wait."""

from __future__ import annotations

import errno
import fcntl
import os
import time

from .results import IndexBusy


class FileLock:
    """An exclusive ``flock`` on a lock file, acquired within ``timeout`` s.

    The kernel releases the lock when the holding process dies (even by
    SIGKILL), so a crash never leaves the index locked.
    """

    def __init__(self, path: str, timeout: float):
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + max(0.0, self.timeout)
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise
            if time.monotonic() >= deadline:
                os.close(fd)
                raise IndexBusy(f"index lock {self.path} is held by another writer "
                                f"(waited {self.timeout:.1f} s)")
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def remaining(self, started: float) -> float:
        return max(0.0, self.timeout - (time.monotonic() - started))

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
