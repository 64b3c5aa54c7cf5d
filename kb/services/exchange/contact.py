"""Writing to the owner of a practice through the site."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from kb.db import session
from kb.models import Membership, MemberRole, User
from kb.services.accounts import audit, email_link
from kb.services.errors import Conflict, InvalidInput, NotFound
from kb.services.exchange.common import practice_by_slug, published_of
from kb.services.identity import Identity
from kb.services.mail import queue_mail
from kb.services.permissions import require
from kb.services.practices import parsed_document
from kb.services.uow import UnitOfWork



CONTACT_MAX = 5000


def practice_contact(identity: Identity, slug: str, message: str) -> int:
    """Send a message to the owner of a practice through the site.

    It goes to the practice's contact e-mail, or to its organization's admins when
    there is none; the sender's address is the Reply-To. No address is shown to the
    sender. Returns the number of recipients.
    """
    practice = practice_by_slug(slug)
    require(identity, "practice.contact", practice)
    message = (message or "").strip()
    if not message:
        raise InvalidInput({"message": _("Write a message.")})
    if len(message) > CONTACT_MAX:
        raise InvalidInput({"message": _("Keep the message under %(num)d characters.",
                                         num=CONTACT_MAX)})
    doc = parsed_document(published_of(practice).document, practice.slug)
    email = (doc.contact or {}).get("email")
    recipients = [email] if email else list(
        session().scalars(select(User.email).join(Membership, Membership.user_id == User.id)
                          .where(Membership.organization_id == practice.organization_id,
                                 Membership.role == MemberRole.ADMIN,
                                 User.deleted_at.is_(None))))
    if not recipients:
        raise Conflict(_("No one can be contacted for this practice yet."))
    sender = session().get(User, identity.user_id) if identity.user_id is not None else None
    if sender is None:
        raise NotFound(_("No account has this address."))
    subject = _("About your practice: %(title)s", title=doc.title)[:150]
    body = _("%(name)s (a signed-in user of the portal) writes about %(title)s (%(link)s):",
             name=sender.name, title=doc.title,
             link=email_link("pages.practice_detail", slug=slug)) + "\n\n" + message + "\n\n" + _(
        "Reply to this e-mail to answer them directly.")
    with UnitOfWork() as uow:
        audit(identity, "practice.contact", "practice", slug, recipients=len(recipients))
        for to in recipients:
            queue_mail(uow, to, subject, body, reply_to=sender.email)
    return len(recipients)
