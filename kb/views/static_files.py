"""Static files under fingerprinted addresses, cached for a year.

`url_for('static', filename=...)` adds `v=<content hash>`: a changed file gets a new
address, so browsers and proxies may keep each address for a year without asking again.
A request without the current hash (an old page, a hand-typed address) gets the file
with the usual revalidation instead.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Flask, request

YEAR = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    folder = Path(app.static_folder or "static")
    hashes: dict[str, tuple[int, str]] = {}

    def fingerprint(filename: str) -> str | None:
        path = folder / filename
        try:
            stamp = os.stat(path).st_mtime_ns
        except OSError:
            return None
        known = hashes.get(filename)
        if known is None or known[0] != stamp:
            known = (stamp, hashlib.sha256(path.read_bytes()).hexdigest()[:12])
            hashes[filename] = known
        return known[1]

    @app.url_defaults
    def _fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = fingerprint(values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def _cache_for_a_year(response):
        if request.endpoint == "static" and response.status_code == 200 and \
                request.args.get("v") and \
                request.args.get("v") == fingerprint((request.view_args or {}).get("filename", "")):
            # send_file asks for revalidation (no-cache) by default: that would make
            # browsers ask again on every page, whatever the max-age
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        return response
