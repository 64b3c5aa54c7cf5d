"""Pages travel compressed; static files have fingerprinted addresses cached for a year."""

from __future__ import annotations

import gzip
import hashlib
import re

from kb.config import REPO_ROOT


def test_html_pages_are_compressed_for_browsers_that_accept_it(client):
    plain = client.get("/practices")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    packed = client.get("/practices", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers.get("Vary", "")
    html = gzip.decompress(packed.get_data()).decode()
    assert html == plain.get_data(as_text=True)
    assert len(packed.get_data()) < len(html) / 3


def test_static_addresses_carry_the_content_hash_and_are_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    href = re.search(r'href="(/static/css/site\.css\?v=([0-9a-f]+))"', html)
    assert href, "the stylesheet's address has no fingerprint"
    css = (REPO_ROOT / "kb" / "static" / "css" / "site.css").read_bytes()
    assert hashlib.sha256(css).hexdigest().startswith(href.group(2))
    response = client.get(href.group(1))
    assert response.status_code == 200
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert response.cache_control.immutable
    # "no-cache" beside them would make browsers ask again on every page
    assert not response.cache_control.no_cache, response.headers["Cache-Control"]
    # an address without the current fingerprint is not cached for long
    stale = client.get("/static/css/site.css?v=000000000000")
    assert stale.status_code == 200 and stale.cache_control.max_age in (None, 0)
    assert re.search(r'src="/static/js/site\.js\?v=[0-9a-f]{12}"', html)
