"""Rendered page parts kept by what they show.

A search hit's card is the same HTML for every reader of one interface language until
the practice changes, and the same practices come back in search after search; a
dashboard's chart is the same for every reader who sees the same numbers. Such a part is
rendered once per worker and kept under a key made of everything it shows (its data,
the interface language and the site's address), so changed data, another language or
another site simply makes another key: nothing has to be told to forget anything. The
oldest parts are dropped beyond ``FRAGMENT_CACHE_SIZE`` parts.

In a template::

    {% call cached_html(hit_card_key(h, 'head')) %}...{% endcall %}
    {% call cached_html(part_key('chart', chart, csv_url)) %}...{% endcall %}
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask, current_app, request
from markupsafe import Markup

from kb.views.filters import ui_locale_name

class FragmentCache:
    """A bounded, thread-safe map from a part's key to its rendered HTML (least recently
    used dropped first)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._parts: OrderedDict[bytes, Markup] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def render(self, key: bytes, caller: Callable[[], str]) -> Markup:
        if self.size <= 0:
            return Markup(caller())
        with self._lock:
            html = self._parts.get(key)
            if html is not None:
                self._parts.move_to_end(key)
                self.hits += 1
                return html
        html = Markup(caller())
        with self._lock:
            self.misses += 1
            self._parts[key] = html
            while len(self._parts) > self.size:
                self._parts.popitem(last=False)
        return html

    def __len__(self) -> int:
        return len(self._parts)


def fragment_key(*parts: object) -> bytes:
    """A short digest of the parts' text form. Dicts keep their insertion order in their
    text, and the hits' dicts are built in one fixed order, so equal content gives one key."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()


def part_key(*parts: object) -> bytes:
    """The key of a page part that shows ``parts``, in the reader's interface language and
    under the site's address (its links)."""
    return fragment_key(ui_locale_name(), request.script_root, *parts)


def hit_card_key(hit, part: str) -> bytes:
    """The key of one part of a search hit's card: ``head`` (title, organization, badges,
    summary, translation and headline outcome) or ``tags``. The snippet, which depends on
    the query, is rendered between them every time."""
    if part == "tags":
        return part_key(part, hit.slug, hit.tags[:8])
    return part_key(part, hit.slug, hit.title, hit.summary, hit.language, hit.organization,
                    hit.organization_slug, hit.country, hit.stage, hit.evidence,
                    hit.evidence_shown, hit.example, hit.translations, hit.headline)


def cached_html(key: bytes, caller: Callable[[], str]) -> Markup:
    """``{% call cached_html(key) %}`` renders the block once per key and worker."""
    return current_app.extensions["kb_fragments"].render(key, caller)


def init_app(app: Flask) -> None:
    app.extensions["kb_fragments"] = FragmentCache(app.config["FRAGMENT_CACHE_SIZE"])
    app.jinja_env.globals.update(cached_html=cached_html, hit_card_key=hit_card_key,
                                  part_key=part_key)
