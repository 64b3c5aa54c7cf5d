"""Joining an organization: by invitation, or by a request its admin approves."""

from __future__ import annotations

from sqlalchemy import select

from kb.db import session
from kb.mail import read_outbox
from kb.models import Membership, User
from tests.auth_helpers import last_link, path_of, post

RIVERTON = "riverton-fictional-example-town"


def test_register_verify_and_join_by_invitation(app, client, auth, make_user):
    make_user("boss@riverton.example", orgs={RIVERTON: "admin"})
    boss = app.test_client()
    post(boss, "/login", {"email": "boss@riverton.example", "password": "correct horse battery"})
    sent = post(boss, f"/organizations/{RIVERTON}/people",
                {"action": "invite", "email": "ana@city.example", "role": "contributor"})
    assert sent.status_code == 302
    invitation = path_of(last_link(app, "ana@city.example"))
    # Ana registers, confirms and accepts
    auth.signed_up()
    assert "Accept the invitation" in client.get(invitation).get_data(as_text=True)
    accepted = post(client, invitation, {})
    assert accepted.headers["Location"] == f"/organizations/{RIVERTON}"
    account = client.get("/account").get_data(as_text=True)
    assert "Riverton (fictional example town)</a>\n      – contributor" in account
    # the link works once
    assert post(client, invitation, {}).status_code == 400


def test_an_invitation_for_someone_else_is_refused(app, client, auth, make_user):
    make_user("boss@riverton.example", orgs={RIVERTON: "admin"})
    boss = app.test_client()
    post(boss, "/login", {"email": "boss@riverton.example", "password": "correct horse battery"})
    post(boss, f"/organizations/{RIVERTON}/people",
         {"action": "invite", "email": "someone@else.example", "role": "admin"})
    invitation = path_of(last_link(app, "someone@else.example"))
    auth.signed_up()
    refused = post(client, invitation, {})
    assert refused.status_code == 400
    assert "another e-mail address" in refused.get_data(as_text=True)


def test_join_request_approved_by_the_organization_admin(app, client, auth, make_user):
    make_user("boss@riverton.example", orgs={RIVERTON: "admin"})
    auth.signed_up()
    post(client, "/account/join", {"organization": RIVERTON, "message": "I run the floods desk"})
    with app.app_context():
        to_boss = read_outbox("boss@riverton.example")
    assert to_boss[-1]["Subject"] == "Ana asks to join Riverton (fictional example town)"
    boss = app.test_client()
    post(boss, "/login", {"email": "boss@riverton.example", "password": "correct horse battery"})
    people = boss.get(f"/organizations/{RIVERTON}/people").get_data(as_text=True)
    assert "I run the floods desk" in people
    with app.app_context():
        from kb.models import JoinRequest

        request_id = session().scalar(select(JoinRequest.id))
    post(boss, f"/organizations/{RIVERTON}/people", {"action": "approve",
                                                     "request_id": str(request_id)})
    with app.app_context():
        ana = session().scalar(select(User).where(User.email == "ana@city.example"))
        roles = session().scalars(select(Membership.role).where(
            Membership.user_id == ana.id)).all()
    assert roles == ["contributor"]
    with app.app_context():
        to_ana = read_outbox("ana@city.example")
    assert to_ana[-1]["Subject"].endswith("was approved")


def test_contributors_cannot_manage_people(app, client, make_user):
    make_user("ana@city.example", orgs={RIVERTON: "contributor"})
    post(client, "/login", {"email": "ana@city.example", "password": "correct horse battery"})
    assert client.get(f"/organizations/{RIVERTON}/people").status_code == 403
