"""Accounts through the browser's eyes: register, verify, sign in, passwords, deletion."""

from __future__ import annotations

from sqlalchemy import select

from kb.db import session
from kb.mail import read_outbox
from kb.models import User
from tests.auth_helpers import last_link, path_of, post


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


def test_next_redirects_only_within_the_site(client, auth):
    auth.register()
    auth.verify()
    inside = auth.login(next="/practices?theme=water")
    assert inside.headers["Location"] == "/practices?theme=water"
    auth.logout()
    for evil in ("https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"):
        response = auth.login(next=evil)
        assert response.headers["Location"] == "/", evil
        auth.logout()


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


def test_burst_of_wrong_passwords_is_locked_then_slowed_while_others_sign_in(
        app, client, make_user):
    make_user("target@city.example")
    make_user("colleague@city.example")
    statuses = []
    for _ in range(12):
        statuses.append(post(client, "/login", {"email": "target@city.example",
                                                "password": "wrong guess"}).status_code)
    assert statuses[:4] == [401] * 4
    # the fifth wrong password locks the account; more attempts are rate limited
    assert statuses[4] == 401
    assert 429 in statuses[5:]
    locked = post(app.test_client(), "/login", {"email": "target@city.example",
                                                "password": "correct horse battery"})
    assert locked.status_code in (401, 429)
    if locked.status_code == 401:
        assert "locked" in locked.get_data(as_text=True)
    # another account, from the same address, is unaffected
    other = post(client, "/login", {"email": "colleague@city.example",
                                    "password": "correct horse battery"})
    assert other.status_code == 302
