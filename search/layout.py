"""The files of an index directory, and how the small ones are written: whole or not at
all (a temporary file, synced, renamed over the old one, the directory synced)."""

from __future__ import annotations

import json
import os
import threading

POINTER = "CURRENT"                # name of the live generation
STATE = "state.json"               # a generation's state, beside its Whoosh files
VECTOR_CACHE = "vectors.sqlite3"   # vectors by text hash, shared by the generations


def file_token(path: str) -> tuple:
    """What identifies a file as written: every write above replaces the file, so its
    inode, modification time and size change (FileNotFoundError without one)."""
    st = os.stat(path)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def write_json_atomic(path: str, data: dict) -> None:
    _write_atomic(path, json.dumps(data))


def write_pointer(path: str, name: str) -> None:
    _write_atomic(path, name + "\n")


def _write_atomic(path: str, text: str) -> None:
    tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(os.path.dirname(path))


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
