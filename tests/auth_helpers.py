"""A small `auth` helper for tests that drive the portal as a person would."""

from __future__ import annotations

import re

from kb.mail import read_outbox

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"https?://\S+")


def csrf_token(client, url: str = "/password/forgot") -> str:
    """The session's CSRF token, read from a form on `url` (or from a page that always has one)."""
    for page in (url, "/password/forgot"):
        found = CSRF_RE.search(client.get(page).get_data(as_text=True))
        if found:
            return found.group(1)
    raise AssertionError("no CSRF token on the page")


def post(client, url: str, data: dict, token_from: str | None = None, **kwargs):
    data = {**data, "csrf_token": csrf_token(client, token_from or url)}
    return client.post(url, data=data, **kwargs)


def last_link(app, to: str) -> str:
    with app.app_context():
        messages = read_outbox(to)
    assert messages, f"no mail to {to}"
    body = messages[-1].get_content()
    return LINK_RE.findall(body)[-1]


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


class AuthActions:
    def __init__(self, app, client):
        self.app, self.client = app, client

    def register(self, email="ana@city.example", name="Ana", password="correct horse battery"):
        return post(self.client, "/register", {"email": email, "name": name,
                                               "password": password})

    def verify(self, email="ana@city.example"):
        return self.client.get(path_of(last_link(self.app, email)))

    def login(self, email="ana@city.example", password="correct horse battery", **extra):
        return post(self.client, "/login", {"email": email, "password": password, **extra})

    def logout(self):
        return post(self.client, "/logout", {}, token_from="/")

    def signed_up(self, email="ana@city.example", name="Ana", password="correct horse battery"):
        self.register(email, name, password)
        self.verify(email)
        return self.login(email, password)
