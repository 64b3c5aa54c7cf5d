"""A generation's vectors for dense retrieval, a part of :class:`search.index.SearchIndex`.

Each generation ranks either with words only or with words and vectors: its state
records the text the vectors were made from (``vectors``: :func:`search.dense.vectors_id`,
or None), and its vectors live beside its Whoosh files (``vectors.npy``, ``vectors.json``).
Vectors are cached by the hash of the text embedded (``vectors.sqlite3`` in the index
directory, shared by the generations), so a rebuild or another node (``kb vectors
export``/``import``) never embeds an unchanged text again.

A process whose dense retrieval is off, or whose model did not load, may still apply
changes to a generation that ranks with vectors. It cannot embed them: a changed practice
keeps a vector only when its text is in the cache; the others lose theirs (made from an
older text) and are listed in the state as ``unembedded`` (practice id -> hash of the
text to embed), until a process with the model embeds them (:meth:`Vectors.vectors_complete`).
"""

from __future__ import annotations

import os
from typing import Callable

from . import dense as dense_mod
from .analysis import field_language
from .layout import STATE, VECTOR_CACHE, write_json_atomic
from .locking import FileLock


class Vectors:
    """Dense retrieval's vectors of a :class:`search.index.SearchIndex`."""

    # set by SearchIndex
    path: str
    dense: bool
    _p: Callable[..., str]
    _current_generation: Callable[[], "str | None"]
    _state: Callable[[str], dict]
    _lock_file: Callable[[str], FileLock]

    def vectors_missing(self) -> bool:
        """Whether dense retrieval is on and its model loads, but the live generation was
        built without its vectors (switched on since, another model, or another text
        embedded). Searches stay lexical, and correct, until :meth:`vectors_fill` has
        embedded every document and a rebuild (from the vector cache) brings the vectors
        in."""
        if not self.embeds():     # before any file is read: a search asks this first
            return False
        gen = self._current_generation()
        return bool(gen and self._state(gen).get("vectors") != dense_mod.vectors_id())

    def embeds(self) -> bool:
        """Whether this process embeds practices: dense retrieval on and its model loaded."""
        return self.dense and dense_mod.embedder().available

    def vectors_unembedded(self) -> dict[int, str]:
        """The practices of the live generation that have no vector because a process
        without the model applied them (practice id -> hash of the text to embed). They
        are found by their words only until :meth:`vectors_complete`."""
        gen = self._current_generation()
        if not gen:
            return {}
        state = self._state(gen)
        if state.get("vectors") != dense_mod.vectors_id():
            return {}
        return unembedded_of(state)

    def vectors_complete(self, docs: list[dict]) -> list[int]:
        """Embed the documents the live generation lists as unembedded, when a document's
        text is the one listed (a newer text waits for its change to be applied), and add
        their vectors to the generation; returns the ids of those added."""
        wanted = self.vectors_unembedded()
        docs = [d for d in docs if wanted.get(int(d["id"])) == _text_hash(d)]
        if not (docs and self.embeds()):
            return []
        # embedded before the lock is taken: appliers wait for the lock, not for the model
        vectors = dense_mod.vectors_for(docs, dense_mod.VectorCache(self._p(VECTOR_CACHE)),
                                        dense_mod.embedder())
        lock = self._lock_file("write.lock")
        lock.acquire()
        try:
            gen = self._current_generation()
            state = dict(self._state(gen)) if gen else {}
            if not gen or state.get("vectors") != dense_mod.vectors_id():
                return []
            unembedded = unembedded_of(state)
            changes: dict = {}
            for doc, vec in zip(docs, vectors):
                pid = int(doc["id"])
                if unembedded.get(pid) == _text_hash(doc):
                    changes[pid] = (vec, field_language(doc.get("language")))
                    del unembedded[pid]
            current = dense_mod.GenerationVectors.load(self._p(gen))
            if not changes or current is None:
                return []
            current.updated(changes).save(self._p(gen))
            state.pop("unembedded", None)
            if unembedded:
                state["unembedded"] = {str(p): h for p, h in sorted(unembedded.items())}
            write_json_atomic(self._p(gen, STATE), state)
        finally:
            lock.release()
        return sorted(changes)

    def vectors_fill(self, docs: list[dict]) -> int:
        """Embed the documents whose text is not in the vector cache yet and keep their
        vectors there (nothing in the index changes); returns how many were embedded."""
        model = dense_mod.embedder()
        if not (self.dense and docs and model.available):
            return 0
        os.makedirs(self.path, exist_ok=True)
        before = model.embedded
        dense_mod.vectors_for(docs, dense_mod.VectorCache(self._p(VECTOR_CACHE)), model)
        return model.embedded - before

    def dense_status(self) -> str:
        """How this index ranks: hybrid, or lexical and why."""
        if not self.dense:
            return "off (lexical ranking only)"
        model = dense_mod.embedder()
        if not model.available:
            return f"model not available ({model.error}): lexical ranking only"
        gen = self._current_generation()
        if gen and self._state(gen).get("vectors") == dense_mod.vectors_id():
            status = f"hybrid: BM25F and {dense_mod.MODEL_ID} vectors, reciprocal-rank fusion"
            waiting = len(unembedded_of(self._state(gen)))
            if waiting == 1:
                status += ("; 1 practice found by its words only until the background "
                           "applier has embedded it")
            elif waiting:
                status += (f"; {waiting} practices found by their words only until the "
                           "background applier has embedded them")
            return status
        return ("model loaded, index has no vectors yet: lexical ranking until the "
                "background applier has embedded every practice")

    def _apply_vectors(self, gen: str, latest, unembedded: dict[int, str]) -> None:
        """Update the generation's vectors for applied changes (under the write lock).

        Without the model (dense retrieval off in this process, or its model not loaded)
        a changed practice keeps a vector only when its text is in the vector cache; the
        others lose theirs (made from an older text) and are added to ``unembedded``."""
        if self._state(gen).get("vectors") != dense_mod.vectors_id():
            return
        current = dense_mod.GenerationVectors.load(self._p(gen))
        if current is None:
            return
        docs = {pid: doc for pid, doc in latest.items() if isinstance(doc, dict)}
        cache = dense_mod.VectorCache(self._p(VECTOR_CACHE))
        changes: dict = {pid: None for pid in latest}
        for pid in latest:
            unembedded.pop(pid, None)
        if self.embeds():
            vecs = (dense_mod.vectors_for(list(docs.values()), cache, dense_mod.embedder())
                    if docs else [])
            for (pid, doc), vec in zip(docs.items(), vecs):
                changes[pid] = (vec, field_language(doc.get("language")))
        else:
            hashes = {pid: _text_hash(doc) for pid, doc in docs.items()}
            known = cache.get_many(list(dict.fromkeys(hashes.values())))
            for pid, doc in docs.items():
                if hashes[pid] in known:
                    changes[pid] = (known[hashes[pid]], field_language(doc.get("language")))
                else:
                    unembedded[pid] = hashes[pid]
        current.updated(changes).save(self._p(gen))

    def vectors_export(self, path: str) -> int:
        """Write this index's vector cache to a portable file; returns how many vectors."""
        os.makedirs(self.path, exist_ok=True)
        return dense_mod.VectorCache(self._p(VECTOR_CACHE)).export_file(path)

    def vectors_import(self, path: str) -> int:
        """Add the vectors of a file written by :meth:`vectors_export` to this index's
        cache, so the documents they were made from are not embedded again; returns
        how many were new."""
        os.makedirs(self.path, exist_ok=True)
        return dense_mod.VectorCache(self._p(VECTOR_CACHE)).import_file(path)


def unembedded_of(state: dict) -> dict[int, str]:
    """A generation's state's ``unembedded``: practice id -> hash of the text to embed."""
    return {int(p): str(h) for p, h in (state.get("unembedded") or {}).items()}

def _text_hash(doc: dict) -> str:
    return dense_mod.text_hash(dense_mod.passage_text(doc))
