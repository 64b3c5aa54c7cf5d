"""Two nodes on one database: a session and a sign-in lockout hold on either node.

Each node is its own application with its own instance folder and search index; they share
the database and, as docs/deploy.md says, KB_SECRET_KEY.
"""

from __future__ import annotations

from kb.services.accounts import user_create
from kb.services.identity import SYSTEM
from tests.auth_helpers import post

PASSWORD = "correct horse battery"


def two_nodes(make_app, tmp_path, key_b="shared-key"):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    a = make_app(DATABASE_URL=url, SECRET_KEY="shared-key", LOGIN_MAX_FAILURES=3)
    b = make_app(DATABASE_URL=url, SECRET_KEY=key_b, LOGIN_MAX_FAILURES=3)
    assert a.instance_path != b.instance_path
    assert a.config["INDEX_DIR"] != b.config["INDEX_DIR"]
    with a.app_context():
        user_create(SYSTEM, "official@city.example", "Official", PASSWORD)
    return a, b


def signed_in(client) -> bool:
    return "Sign out" in client.get("/").get_data(as_text=True)


def move_cookies(source, target) -> None:
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def test_a_session_from_node_a_is_signed_in_on_node_b(make_app, tmp_path):
    a, b = two_nodes(make_app, tmp_path)
    on_a = a.test_client()
    post(on_a, "/login", {"email": "official@city.example", "password": PASSWORD})
    assert signed_in(on_a)
    on_b = b.test_client()
    move_cookies(on_a, on_b)
    assert signed_in(on_b)
    # signing out on B ends the session on A too: the session row is in the database
    post(on_b, "/logout", {}, token_from="/")
    assert not signed_in(on_b)
    assert not signed_in(on_a)


def test_without_a_shared_key_node_b_does_not_know_the_session(make_app, tmp_path):
    a, b = two_nodes(make_app, tmp_path, key_b="another-key")
    on_a = a.test_client()
    post(on_a, "/login", {"email": "official@city.example", "password": PASSWORD})
    on_b = b.test_client()
    move_cookies(on_a, on_b)
    assert signed_in(on_a) and not signed_in(on_b)


def test_wrong_passwords_count_across_nodes(make_app, tmp_path):
    a, b = two_nodes(make_app, tmp_path)
    statuses = []
    for node in (a, b, a):
        client = node.test_client()
        statuses.append(post(client, "/login", {"email": "official@city.example",
                                                 "password": "wrong guess"}).status_code)
    assert statuses == [401, 401, 401]
    # the third wrong password (on A) locked the address out on B as well
    client = b.test_client()
    locked = post(client, "/login", {"email": "official@city.example", "password": PASSWORD})
    assert locked.status_code in (401, 429) and not signed_in(client)
