"""Accounts in the browser: register, verify, sign in and out, passwords, my account,
and an organization's people (invitations, join requests, roles)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from kb.extensions import limiter
from kb.services import accounts, organizations
from kb.services.errors import (AuthenticationFailed, Conflict, InvalidInput, SignInLinkSent,
                                TooManyAttempts)
from kb.views.helpers import current_identity, safe_next, session_user

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _sensitive_limit() -> str:
    return current_app.config["RATELIMIT_SENSITIVE"]


def _address_and_account() -> str:
    return f"{get_remote_address()}|{request.form.get('email', '').strip().lower()}"


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_sensitive_limit, methods=["POST"])
def register():
    errors: dict = {}
    form: Mapping[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            accounts.user_register(current_identity(), form.get("email", ""),
                                   form.get("name", ""), form.get("password", ""))
        except InvalidInput as exc:
            errors = exc.errors
        else:
            return render_template("auth/check_email.html", email=form.get("email", ""))
    return render_template("auth/register.html", errors=errors, form=form), \
        400 if errors else 200


@bp.get("/verify/<token>")
def verify_email(token: str):
    try:
        accounts.user_verify_email(current_identity(), token)
    except InvalidInput as exc:
        return render_template("auth/message.html", title=_("Link not valid"),
                               message=exc.errors["token"]), 400
    flash(_("Your e-mail address is confirmed. You can sign in now."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, key_func=_address_and_account, methods=["POST"])
@limiter.limit("60 per minute", methods=["POST"])
def login():
    if not current_identity().is_anonymous:
        return redirect(safe_next(request.args.get("next")))
    error, status, headers = None, 200, {}
    if request.method == "POST":
        try:
            signed_in = accounts.user_authenticate(
                current_identity(), request.form.get("email", ""),
                request.form.get("password", ""), get_remote_address())
        except TooManyAttempts as exc:
            error = _("Too many wrong passwords came from your network address. Try again in "
                      "%(num)d minutes, or reset your password.",
                      num=max(1, -(-exc.retry_after // 60)))
            status, headers = 429, {"Retry-After": str(exc.retry_after)}
        except SignInLinkSent as exc:
            return render_template("auth/message.html", title=_("Check your e-mail"),
                                   message=str(exc))
        except AuthenticationFailed as exc:
            error, status = str(exc), 401
        else:
            session.clear()  # a fresh session on sign-in
            login_user(session_user(signed_in), remember=bool(request.form.get("remember")))
            flash(_("Signed in as %(name)s.", name=signed_in.user.name), "success")
            return redirect(safe_next(request.form.get("next") or request.args.get("next")))
    return render_template("auth/login.html", error=error,
                           email=request.form.get("email", ""),
                           next=request.values.get("next", "")), status, headers


@bp.route("/login/link/<token>", methods=["GET", "POST"])
@limiter.limit(_sensitive_limit, methods=["POST"])
def sign_in_link(token: str):
    """The e-mailed one-time sign-in link; a button, so that mail scanners do not use it up."""
    if request.method == "POST":
        try:
            signed_in = accounts.user_sign_in_with_link(current_identity(), token)
        except InvalidInput as exc:
            return render_template("auth/message.html", title=_("Link not valid"),
                                   message=exc.errors["token"]), 400
        session.clear()
        login_user(session_user(signed_in))
        flash(_("Signed in as %(name)s.", name=signed_in.user.name), "success")
        return redirect(url_for("pages.home"))
    return render_template("auth/sign_in_link.html")


@bp.post("/logout")
def logout():
    token = getattr(current_user, "session_token", None)
    if token and not current_identity().is_anonymous:
        accounts.user_sign_out(current_identity(), token)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("pages.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_sensitive_limit, methods=["POST"])
def forgot_password():
    if request.method == "POST":
        accounts.user_request_password_reset(current_identity(), request.form.get("email", ""))
        return render_template("auth/check_email.html", email=request.form.get("email", ""),
                               reset=True)
    return render_template("auth/forgot.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_sensitive_limit, methods=["POST"])
def reset_password(token: str):
    errors = {}
    if request.method == "POST":
        try:
            accounts.user_reset_password(current_identity(), token,
                                         request.form.get("password", ""))
        except InvalidInput as exc:
            errors = exc.errors
        else:
            flash(_("Your password is changed. Sign in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", errors=errors, token=token), \
        400 if errors else 200


@bp.route("/account", methods=["GET"])
@login_required
def account():
    identity = current_identity()
    user = accounts.user_get(identity, identity.user_id)
    return render_template("auth/account.html", user=user, errors={},
                           organizations=organizations.organizations_all(identity))


@bp.post("/account/password")
@login_required
def change_password():
    identity = current_identity()
    try:
        signed_in = accounts.user_change_password(identity,
                                                  request.form.get("current_password", ""),
                                                  request.form.get("new_password", ""))
    except InvalidInput as exc:
        user = accounts.user_get(identity, identity.user_id)
        return render_template("auth/account.html", user=user, errors=exc.errors,
                               organizations=organizations.organizations_all(identity)), 400
    # the password change ended every session: this one goes on under a new session
    remembered = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME",
                                                            "remember_token"))
    login_user(session_user(signed_in), remember=bool(remembered))
    flash(_("Your password is changed; other sessions are signed out."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/delete")
@login_required
def delete_account():
    identity = current_identity()
    try:
        accounts.user_delete(identity, request.form.get("password", ""))
    except InvalidInput as exc:
        user = accounts.user_get(identity, identity.user_id)
        return render_template("auth/account.html", user=user, errors=exc.errors,
                               organizations=organizations.organizations_all(identity)), 400
    logout_user()
    session.clear()
    flash(_("Your account is deleted. Practices you published stay with your organization."),
          "success")
    return redirect(url_for("pages.home"))


@bp.post("/account/join")
@login_required
def request_membership():
    slug = request.form.get("organization", "")
    try:
        organizations.membership_request(current_identity(), slug,
                                         request.form.get("message", ""))
    except (Conflict, InvalidInput) as exc:
        flash(str(exc), "error")
    else:
        flash(_("Your request was sent to the organization's admins."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
def accept_invitation(token: str):
    if request.method == "POST":
        try:
            org = organizations.invitation_accept(current_identity(), token)
        except InvalidInput as exc:
            return render_template("auth/message.html", title=_("Invitation not valid"),
                                   message=exc.errors["token"]), 400
        flash(_("You now act for %(org)s.", org=org.name), "success")
        return redirect(url_for("pages.organization_detail", slug=org.slug))
    return render_template("auth/invitation.html", token=token)


@bp.route("/organizations/<slug>/people", methods=["GET", "POST"])
@login_required
def org_people(slug: str):
    identity = current_identity()
    errors = {}
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "invite":
                organizations.org_invite(identity, slug, request.form.get("email", ""),
                                         request.form.get("role", "contributor"))
                flash(_("Invitation sent to %(email)s.", email=request.form.get("email")),
                      "success")
            elif action in ("approve", "reject"):
                organizations.membership_decide(identity, int(request.form["request_id"]),
                                                approve=action == "approve")
            elif action == "set_role":
                organizations.membership_set_role(identity, slug, int(request.form["user_id"]),
                                                  request.form.get("role", "contributor"))
            elif action == "remove":
                organizations.membership_remove(identity, slug, int(request.form["user_id"]))
            else:
                abort(400)
        except InvalidInput as exc:
            errors = exc.errors
        else:
            return redirect(url_for("auth.org_people", slug=slug))
    people = organizations.org_people(identity, slug)
    return render_template("auth/org_people.html", people=people, errors=errors), \
        400 if errors else 200
