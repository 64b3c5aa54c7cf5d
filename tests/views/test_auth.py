"""Accounts through the browser's eyes: register, verify, sign in, passwords, deletion."""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from kb.db import session
from kb.mail import read_outbox
from kb.models import User
from tests.auth_helpers import last_link, path_of, post

ERROR_RE = re.compile(r'<div class="error-summary" role="alert"><p>(.*?)</p>', re.S)


def test_register_verify_and_sign_in(app, client, auth):
    response = auth.register()
    assert response.status_code == 200
    assert "Check your e-mail" in response.get_data(as_text=True)
    # cannot sign in before confirming the address
    refused = auth.login()
    assert refused.status_code == 401
    assert "Confirm your e-mail address first" in refused.get_data(as_text=True)
    verified = auth.verify()
    assert verified.status_code == 302
    signed_in = auth.login()
    assert signed_in.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Ana" in home and "Sign out" in home


def test_registration_errors_name_the_fields_and_keep_what_was_typed(client):
    response = post(client, "/register", {"email": "not-an-address", "name": "Bo",
                                          "password": "short"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="f-email-error"' in html and 'id="f-password-error"' in html
    assert 'value="Bo"' in html and 'value="not-an-address"' in html
    assert 'value="short"' not in html  # passwords are never echoed


def test_registering_a_taken_address_reveals_nothing(app, auth):
    auth.register()
    again = auth.register(name="Somebody else")
    assert "Check your e-mail" in again.get_data(as_text=True)
    with app.app_context():
        subjects = [m["Subject"] for m in read_outbox("ana@city.example")]
        assert subjects == ["Confirm your e-mail address",
                            "Someone tried to register with your address"]
        assert session().scalar(select(User.name).where(User.email == "ana@city.example")) == "Ana"


def test_passwords_are_hashed_with_scrypt(app, auth):
    auth.register()
    with app.app_context():
        stored = session().scalar(select(User.password_hash))
    assert stored.startswith("scrypt:") and "correct horse" not in stored


def test_reset_link_works_once_and_expires_old_sessions(app, client, auth):
    auth.signed_up()
    other = app.test_client()
    post(other, "/login", {"email": "ana@city.example", "password": "correct horse battery"})
    assert "Sign out" in other.get("/").get_data(as_text=True)
    post(client, "/password/forgot", {"email": "ana@city.example"})
    link = path_of(last_link(app, "ana@city.example"))
    done = post(client, link, {"password": "a brand new secret"})
    assert done.status_code == 302
    reused = post(client, link, {"password": "another new secret"})
    assert reused.status_code == 400 and "not valid any more" in reused.get_data(as_text=True)
    assert "Sign out" not in other.get("/").get_data(as_text=True)  # the old session ended
    assert auth.login(password="a brand new secret").status_code == 302


def test_forgot_password_answers_the_same_for_unknown_addresses(app, client):
    response = post(client, "/password/forgot", {"email": "nobody@city.example"})
    assert "If nobody@city.example has an account" in response.get_data(as_text=True)
    with app.app_context():
        assert read_outbox("nobody@city.example") == []


def test_change_password(client, auth):
    auth.signed_up()
    wrong = post(client, "/account/password", {"current_password": "nope",
                                              "new_password": "a brand new secret"},
                 token_from="/account")
    assert wrong.status_code == 400
    ok = post(client, "/account/password", {"current_password": "correct horse battery",
                                           "new_password": "a brand new secret"},
              token_from="/account")
    assert ok.status_code == 302
    assert "Sign out" in client.get("/").get_data(as_text=True)  # this session stays
    auth.logout()
    assert auth.login(password="a brand new secret").status_code == 302


def test_delete_account_removes_personal_data(app, client, auth):
    auth.signed_up()
    response = post(client, "/account/delete", {"password": "correct horse battery"},
                    token_from="/account")
    assert response.status_code == 302
    with app.app_context():
        user = session().scalar(select(User))
        assert user.deleted_at is not None
        assert user.email.endswith("@deleted.invalid") and user.name == "Deleted user"
    assert auth.login().status_code == 401


EVIL_TARGETS = ("https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil",
                "javascript:x", "/\t/evil.example/", "/\r\nSet-Cookie: a=b", "/x\ny",
                "https:/evil.example", " //evil.example")


def test_next_redirects_only_within_the_site(client, auth):
    auth.register()
    auth.verify()
    inside = auth.login(next="/practices?theme=water")
    assert inside.headers["Location"] == "/practices?theme=water"
    # a signed-in person opening the sign-in page goes on to `next` the same way
    assert client.get("/login", query_string={"next": "/themes/water"}).headers[
        "Location"] == "/themes/water"
    for evil in EVIL_TARGETS:
        response = client.get("/login", query_string={"next": evil})
        assert response.status_code == 302 and response.headers["Location"] == "/", repr(evil)
    auth.logout()
    assert auth.login(next="/\t/evil.example/").headers["Location"] == "/"


def test_follow_form_redirects_only_within_the_site(client, make_user):
    make_user("ana@city.example")
    post(client, "/login", {"email": "ana@city.example", "password": "correct horse battery"})
    url = "/organizations/riverton-fictional-example-town/follow"
    good = post(client, url, {"next": "/practices?theme=water"}, token_from="/")
    assert good.headers["Location"] == "/practices?theme=water"
    for evil in EVIL_TARGETS:
        response = post(client, url, {"next": evil}, token_from="/")
        assert response.status_code == 302, repr(evil)
        assert response.headers["Location"] == "/organizations/riverton-fictional-example-town", \
            repr(evil)


def test_forms_without_csrf_token_are_refused(client):
    response = client.post("/login", data={"email": "a@b.example", "password": "x"})
    assert response.status_code == 400


def test_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers
    secure = client.get("/", base_url="https://kb.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_flags(client, auth):
    auth.register()
    auth.verify()
    response = auth.login(remember="1")
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)


ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"


def client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client, email, password="correct horse battery", **extra):
    return post(client, "/login", {"email": email, "password": password, **extra})


def signed_in(client) -> bool:
    return "Sign out" in client.get("/").get_data(as_text=True)


def test_wrong_passwords_lock_out_the_address_not_the_owner(app, make_user):
    make_user("target@city.example")
    attacker = client_at(app, ATTACKER)
    statuses = [sign_in(attacker, "target@city.example", "wrong guess").status_code
                for _ in range(5)]
    assert statuses == [401] * 5
    # the address is locked out of the account, even with the right password
    locked = sign_in(attacker, "target@city.example")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "Too many wrong passwords came from your network address" in locked.get_data(
        as_text=True)
    assert not signed_in(attacker)
    # the owner, from another address, signs in with the right password
    owner = client_at(app, OWNER)
    assert sign_in(owner, "target@city.example").status_code == 302
    assert signed_in(owner)
    # and another account from the attacker's address is not locked either
    make_user("colleague@city.example")
    assert sign_in(attacker, "colleague@city.example").status_code == 302


def test_locked_out_answers_are_the_same_for_unknown_accounts(app, make_user):
    make_user("target@city.example")
    answers = {}
    for email, address in (("target@city.example", "203.0.113.1"),
                           ("nobody@city.example", "203.0.113.2")):
        client = client_at(app, address)
        responses = [sign_in(client, email, "wrong guess") for _ in range(7)]
        answers[email] = [(r.status_code,
                           ERROR_RE.search(r.get_data(as_text=True)).group(1).strip())
                          for r in responses]
    assert answers["target@city.example"] == answers["nobody@city.example"]
    assert [status for status, _ in answers["nobody@city.example"]] == [401] * 5 + [429] * 2


def test_an_address_guessing_many_accounts_is_locked_out(make_app, make_user):
    app = make_app(LOGIN_ADDRESS_MAX_FAILURES=4)
    from kb.services.accounts import user_create
    from kb.services.identity import SYSTEM

    with app.app_context():
        user_create(SYSTEM, "kept@city.example", "Kept", "correct horse battery")
    attacker = client_at(app, ATTACKER)
    for n in range(4):
        assert sign_in(attacker, f"guess{n}@city.example", "wrong guess").status_code == 401
    assert sign_in(attacker, "kept@city.example").status_code == 429
    assert sign_in(client_at(app, OWNER), "kept@city.example").status_code == 302


def test_under_attack_the_owner_finishes_signing_in_with_an_emailed_link(make_app):
    app = make_app(LOGIN_MAX_FAILURES=3, LOGIN_ACCOUNT_MAX_FAILURES=6)
    from kb.services.accounts import user_create
    from kb.services.identity import SYSTEM

    with app.app_context():
        user_create(SYSTEM, "target@city.example", "Target", "correct horse battery")
    for address in ("203.0.113.1", "203.0.113.2"):
        bot = client_at(app, address)
        assert [sign_in(bot, "target@city.example", "wrong").status_code
                for _ in range(3)] == [401] * 3
    # another guess from a fresh address is refused as usual and sends nothing
    assert sign_in(client_at(app, "203.0.113.3"), "target@city.example",
                   "wrong").status_code == 401
    with app.app_context():
        assert read_outbox("target@city.example") == []
    owner = client_at(app, OWNER)
    answer = sign_in(owner, "target@city.example")
    assert answer.status_code == 200
    assert "follow the link we have just sent" in answer.get_data(as_text=True)
    assert not signed_in(owner)
    link = path_of(last_link(app, "target@city.example"))
    assert owner.get(link).status_code == 200  # a button: mail scanners do not use the link up
    assert post(owner, link, {}).status_code == 302
    assert signed_in(owner)
    reused = post(client_at(app, OWNER), link, {})
    assert reused.status_code == 400 and "not valid any more" in reused.get_data(as_text=True)


def test_forwarded_addresses_are_ignored_unless_proxies_are_trusted(make_app, make_user):
    for trusted, owner_status in ((0, 429), (1, 302)):
        app = make_app(TRUSTED_PROXIES=trusted)
        from kb.services.accounts import user_create
        from kb.services.identity import SYSTEM

        with app.app_context():
            user_create(SYSTEM, "target@city.example", "T", "correct horse battery")
        attacker, owner = app.test_client(), app.test_client()
        attacker.environ_base["HTTP_X_FORWARDED_FOR"] = ATTACKER
        owner.environ_base["HTTP_X_FORWARDED_FOR"] = OWNER
        for _ in range(5):
            sign_in(attacker, "target@city.example", "wrong guess")
        # both come through 127.0.0.1: only a trusted proxy's header tells them apart
        assert sign_in(owner, "target@city.example").status_code == owner_status, trusted


def test_logout_ends_copied_session_and_remember_cookies(app, client, make_user):
    make_user("ana@city.example")
    assert sign_in(client, "ana@city.example", remember="1").status_code == 302
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie("remember_token").value

    def with_cookie(name, value):
        copy = app.test_client()
        copy.set_cookie(name, value)
        return copy

    assert signed_in(with_cookie("session", session_cookie))
    assert signed_in(with_cookie("remember_token", remember_cookie))
    assert post(client, "/logout", {}, token_from="/").status_code == 302
    assert not signed_in(client)
    assert not signed_in(with_cookie("session", session_cookie))
    assert not signed_in(with_cookie("remember_token", remember_cookie))
    # signing out here leaves the account's other sessions alone
    other = app.test_client()
    sign_in(other, "ana@city.example")
    assert sign_in(client, "ana@city.example").status_code == 302
    post(client, "/logout", {}, token_from="/")
    assert signed_in(other)


def test_password_reset_links_are_never_logged(app, client, make_user, caplog):
    make_user("ana@city.example")
    with caplog.at_level(logging.DEBUG):
        post(client, "/password/forgot", {"email": "ana@city.example"})
    link = last_link(app, "ana@city.example")
    token = link.rsplit("/", 1)[1]
    assert "Reset your password" in caplog.text  # the event is logged
    assert token not in caplog.text and link not in caplog.text


def test_registration_does_the_same_work_for_new_and_taken_addresses(app, auth, monkeypatch):
    from kb.services import accounts

    hashed = []
    real = accounts.generate_password_hash

    def counting(password, *args, **kwargs):
        hashed.append(password)
        return real(password, *args, **kwargs)

    monkeypatch.setattr(accounts, "generate_password_hash", counting)
    work = []
    for _ in range(2):  # a new address, then the same address again (taken)
        before_hashes = len(hashed)
        with app.app_context():
            before_mails = len(read_outbox())
        assert "Check your e-mail" in auth.register().get_data(as_text=True)
        with app.app_context():
            work.append((len(hashed) - before_hashes, len(read_outbox()) - before_mails))
    assert work[0] == work[1] == (1, 1)


def test_a_password_change_ends_copied_cookies_but_keeps_this_device_remembered(app, client,
                                                                                make_user):
    make_user("ana@city.example")
    sign_in(client, "ana@city.example", remember="1")
    old_remember = client.get_cookie("remember_token").value
    changed = post(client, "/account/password", {"current_password": "correct horse battery",
                                                 "new_password": "a brand new secret"},
                   token_from="/account")
    assert changed.status_code == 302 and signed_in(client)
    copy = app.test_client()
    copy.set_cookie("remember_token", old_remember)
    assert not signed_in(copy)
    this_device = app.test_client()
    this_device.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert signed_in(this_device)


def test_reset_links_use_the_configured_address_not_the_request_host(make_app):
    from kb.services.accounts import user_create
    from kb.services.identity import SYSTEM

    app = make_app(BASE_URL="https://practices.example.org")
    with app.app_context():
        user_create(SYSTEM, "ana@city.example", "Ana", "correct horse battery", "none")
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = "evil.example"  # a forged Host on every request
    assert "Check your e-mail" in post(client, "/password/forgot",
                                       {"email": "ana@city.example"}).get_data(as_text=True)
    link = last_link(app, "ana@city.example")
    assert link.startswith("https://practices.example.org/")
    assert "evil.example" not in link
