"""Outgoing e-mail goes through the outbox table: queued with the change, delivered after it."""

from __future__ import annotations

import datetime as dt
import logging
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from kb.cli import main
from kb.db import session
from kb.mail import read_outbox
from kb.models import MailOutbox, Notification, User, utcnow
from kb.services import editorial as ed
from kb.services.accounts import (
    identity_for,
    user_create,
    user_register,
    user_request_password_reset,
)
from kb.services.errors import PermissionDenied
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.mail import mail_list, mail_send, queue_mail
from kb.services.notifications import notify
from kb.services.organizations import network_add_member, network_create, network_set_moderator
from kb.services.uow import UnitOfWork
from tests.services.test_editorial import DOC, RIVERTON


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(handler) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


def add_user(email: str) -> int:
    return user_create(SYSTEM, email, email.split("@")[0], "correct horse battery", "none").id


def outbox_rows():
    return list(session().scalars(select(MailOutbox).order_by(MailOutbox.id)))


def make_due(mail_id):
    """Let the retry delay pass (instead of waiting for it)."""
    with UnitOfWork():
        session().get(MailOutbox, mail_id).next_attempt_at = utcnow() - dt.timedelta(seconds=1)


def test_a_multi_line_moderator_comment_reaches_the_author(app, make_user):
    make_user("author@kb.example", orgs={RIVERTON: "contributor"})
    make_user("netmod@kb.example")
    with app.test_request_context():
        network_create(SYSTEM, "Rivers", "rivers")
        network_add_member(SYSTEM, "rivers", RIVERTON)
        network_set_moderator(SYSTEM, "rivers", "netmod@kb.example")
        author = identity_for(session().scalar(select(User).where(
            User.email == "author@kb.example")))
        moderator = identity_for(session().scalar(select(User).where(
            User.email == "netmod@kb.example")))
        ed.practice_draft_create(author, DOC.replace("{word}", "alpha"))
        ed.practice_submit(author, "rain-gardens")
        ed.review_request_changes(moderator, "rain-gardens",
                                  "Add the cost, please.\r\nAnd a source for the 60 %.\n\n"
                                  "Thanks")
        [mail] = read_outbox("author@kb.example")
        assert mail["Subject"] == ("Changes requested for Rain gardens on school yards: "
                                   "Add the cost, please. And a source for the 60 %. Thanks")
        body = mail.get_content()
        assert "Add the cost, please.\nAnd a source for the 60 %.\n\nThanks" in body
        assert "/practices/rain-gardens" in body
        assert all(r.sent_at is not None for r in outbox_rows())


def test_an_address_with_a_slash_gets_its_mail(app):
    with app.test_request_context():
        user_register(ANONYMOUS, "floods/team@city.example", "Flood team",
                      "correct horse battery")
        user = session().scalar(select(User).where(User.email == "floods/team@city.example"))
        with UnitOfWork():
            user.email_verified_at = utcnow()
        user_request_password_reset(ANONYMOUS, "floods/team@city.example")
        subjects = [m["Subject"] for m in read_outbox("floods/team@city.example")]
        assert subjects == ["Confirm your e-mail address", "Reset your password"]
        assert all(r.sent_at is not None and r.last_error is None for r in outbox_rows())


def test_a_rolled_back_change_leaves_no_mail(app, make_user):
    user_id = make_user("ana@city.example")
    with app.app_context():
        with pytest.raises(RuntimeError):
            with UnitOfWork() as uow:
                notify(uow, [user_id], "submission_state", "Published: something", "/x")
                raise RuntimeError("the change failed half-way")
        assert outbox_rows() == []
        assert session().scalar(select(func.count()).select_from(Notification)) == 0
        assert read_outbox() == []


class FlakyServer:
    """An SMTP handler that refuses the first `failures` messages with a temporary error."""

    def __init__(self, failures: int):
        self.failures = failures
        self.received = []

    async def handle_DATA(self, server, smtp_session, envelope):
        if self.failures:
            self.failures -= 1
            return "451 4.3.0 Mailbox temporarily unavailable"
        self.received.append((envelope.rcpt_tos, envelope.content.decode("utf-8")))
        return "250 OK"


@pytest.fixture
def smtp_server():
    handler = FlakyServer(failures=1)
    controller = start_server(handler)
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def test_an_smtp_failure_is_recorded_retried_and_then_delivered(make_app, smtp_server, caplog):
    handler, port = smtp_server
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    caplog.set_level(logging.INFO, logger="kb.services.mail")
    with app.app_context():
        user_id = add_user("ana@city.example")
        with UnitOfWork() as uow:
            notify(uow, [user_id], "submission_state", "Published: Rain gardens", "/practices/x")
        [row] = outbox_rows()
        assert row.sent_at is None and row.attempts == 1
        assert "451" in row.last_error and row.next_attempt_at > utcnow()
        assert handler.received == []
        assert f"mail {row.id} to ana@city.example: delivery failed, attempt 1 of 5, next at " \
            in caplog.text
        assert "will be retried" not in caplog.text

        # not due yet: a delivery run leaves it alone
        assert mail_send(SYSTEM).sent == []
        make_due(row.id)
        result = app.test_cli_runner().invoke(main, ["mail", "send"])
        assert result.exit_code == 0, result.output
        assert "1 sent, 0 failed" in result.output
        row = session().get(MailOutbox, row.id)
        assert row.sent_at is not None and row.attempts == 2
        [(recipients, content)] = handler.received
        assert recipients == ["ana@city.example"] and "Published: Rain gardens" in content
        assert f"mail {row.id} to ana@city.example delivered (attempt 2)" in caplog.text


def test_attempts_run_out_then_the_operator_resends(make_app, caplog):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(),  # nobody listens there
                   SMTP_STARTTLS=False, MAIL_MAX_ATTEMPTS=2)
    with app.app_context():
        user_id = add_user("ana@city.example")
        with UnitOfWork() as uow:
            notify(uow, [user_id], "submission_state", "Archived: Rain gardens", "/x")
        [row] = outbox_rows()
        make_due(row.id)
        assert mail_send(SYSTEM).failed == [row.id]
        session().refresh(row)
        assert row.attempts == 2 and row.next_attempt_at is None and row.sent_at is None
        assert "ConnectionRefusedError" in row.last_error
        assert f"attempt 2 of 2; no more attempts (resend with `kb mail send {row.id}`)" \
            in caplog.text
        assert [r.id for r in mail_list(SYSTEM, "failed")] == [row.id]
        assert mail_list(SYSTEM, "pending") == []
        listed = app.test_cli_runner().invoke(main, ["mail", "list", "--failed"])
        assert f"{row.id}  failed  attempts=2" in listed.output
        assert "ConnectionRefusedError" in listed.output

    handler = FlakyServer(failures=0)
    controller = start_server(handler)
    try:
        app.config["SMTP_PORT"] = controller.port
        result = app.test_cli_runner().invoke(main, ["mail", "send", str(row.id)])
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert len(handler.received) == 1
    with app.app_context():
        assert mail_list(SYSTEM, "failed") == []
        assert [r.id for r in mail_list(SYSTEM, "sent")] == [row.id]


def test_only_operators_list_or_send_mail(ctx):
    with pytest.raises(PermissionDenied):
        mail_list(ANONYMOUS)
    with pytest.raises(PermissionDenied):
        mail_send(ANONYMOUS)


def test_the_file_outbox_keeps_reply_to_and_one_message_per_row(app):
    with app.app_context():
        with UnitOfWork() as uow:
            queue_mail(uow, "a@city.example", "About your practice", "Hello\nthere",
                       reply_to="asker@kb.example")
            queue_mail(uow, "b@city.example", "About your practice", "Hello again")
        assert [m["To"] for m in read_outbox()] == ["a@city.example", "b@city.example"]
        assert read_outbox("a@city.example")[0]["Reply-To"] == "asker@kb.example"
        assert read_outbox("a@city.example")[0].get_content() == "Hello\nthere\n"


def test_a_due_retry_goes_out_with_the_next_message(make_app, smtp_server):
    handler, port = smtp_server
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    with app.app_context():
        user_id = add_user("ana@city.example")
        with UnitOfWork() as uow:
            notify(uow, [user_id], "submission_state", "Published: first", "/x")
        [first] = outbox_rows()
        assert first.sent_at is None
        make_due(first.id)
        with UnitOfWork() as uow:
            notify(uow, [user_id], "submission_state", "Published: second", "/y")
        assert all(row.sent_at is not None for row in outbox_rows())
    assert ["Published: second" in content for _, content in handler.received] == [True, False]


def test_an_older_installation_gets_the_outbox_table_on_start(make_app, tmp_path):
    from sqlalchemy import inspect

    from kb.cli import main
    from tests.schema_helpers import as_made_before_migrations

    instance = str(tmp_path / "upgraded")
    old = make_app(INSTANCE_PATH=instance)
    engine = old.extensions["kb.db"].engine
    as_made_before_migrations(engine)
    MailOutbox.__table__.drop(engine)
    if not old.extensions["kb.db"].embedded:  # a database set by URL: the operator upgrades
        result = old.test_cli_runner().invoke(main, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
    new = make_app(INSTANCE_PATH=instance)
    assert inspect(new.extensions["kb.db"].engine).has_table("mail_outbox")
