"""The system of record: SQLAlchemy 2 typed models.

A practice has revisions; each revision keeps the exact document text it was
saved as, its content hash and the parsed columns used for filtering. The
change log gets one row for every publish, edit of a published practice and
removal, in the same transaction as the change; search indexes follow it.

Users, memberships and the moderation workflow build on the columns left
here for them (author ids, practice status, revision state).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def iso_utc(moment: dt.datetime) -> str:
    """A stored (naive, UTC) or aware time as ISO 8601 in UTC: 2024-03-18T09:12:44Z."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"


class Base(DeclarativeBase):
    pass


class PracticeStatus:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    REJECTED = "rejected"
    ARCHIVED = "archived"
    # a revision replaced by a later published one, or a draft saved over
    SUPERSEDED = "superseded"
    ALL = (DRAFT, SUBMITTED, CHANGES_REQUESTED, PUBLISHED, REJECTED, ARCHIVED)
    EDITABLE = (DRAFT, CHANGES_REQUESTED)


class ChangeAction:
    PUBLISH = "publish"
    UPDATE = "update"
    UNPUBLISH = "unpublish"
    DELETE = "delete"
    # a community tag was added or removed, or tags were renamed or merged
    TAGS = "tags"


ORGANIZATION_KINDS = ("city", "municipality", "region", "agency", "association", "other")


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(200))
    population: Mapped[int | None] = mapped_column(Integer)
    website: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    practices: Mapped[list[Practice]] = relationship(back_populates="organization")
    place: Mapped[OrganizationPlace | None] = relationship(
        back_populates="organization", uselist=False, cascade="all, delete-orphan")


class OrganizationPlace(Base):
    """Where an organization is and where its population figure comes from.

    A table of its own, so existing databases needed no change to the organizations
    table. A GeoNames match is stored as a suggestion
    until the organization's admin (or a site admin) confirms it.
    """

    __tablename__ = "organization_places"

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"),
                                                 primary_key=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    geonames_id: Mapped[int | None] = mapped_column(Integer)
    # where organizations.population comes from: "geonames", "admin"; None: not stated
    population_source: Mapped[str | None] = mapped_column(String(20))
    suggested_geonames_id: Mapped[int | None] = mapped_column(Integer)
    suggested_name: Mapped[str | None] = mapped_column(String(200))
    suggested_population: Mapped[int | None] = mapped_column(Integer)
    suggested_latitude: Mapped[float | None] = mapped_column(Float)
    suggested_longitude: Mapped[float | None] = mapped_column(Float)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", name="fk_organization_places_confirmed_by"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="place")


class Practice(Base):
    __tablename__ = "practices"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PracticeStatus.DRAFT, index=True)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    # lineage by slug, so that an adaptation may be imported before its original
    adapted_from_slug: Mapped[str | None] = mapped_column(String(80), index=True)
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True, name="fk_practice_current_revision"),
        index=True)  # from a waiting revision to its practice: My work, the queue
    published_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True, name="fk_practice_published_revision"))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", name="fk_practices_created_by"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    last_reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    organization: Mapped[Organization] = relationship(back_populates="practices")
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="practice", foreign_keys="Revision.practice_id",
        order_by="Revision.number", cascade="all, delete-orphan")
    current_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[current_revision_id], post_update=True)
    published_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[published_revision_id], post_update=True)
    theme_rows: Mapped[list[PracticeTheme]] = relationship(
        cascade="all, delete-orphan", back_populates="practice")
    network_rows: Mapped[list[PracticeNetwork]] = relationship(
        cascade="all, delete-orphan", back_populates="practice")
    tag_rows: Mapped[list[PracticeTag]] = relationship(
        cascade="all, delete-orphan", back_populates="practice")

    @property
    def is_public(self) -> bool:
        return self.status == PracticeStatus.PUBLISHED and self.visibility == "public"


class Revision(Base):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("practice_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(20), default=PracticeStatus.DRAFT, index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", name="fk_revisions_author"))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # the revision an edit started from (None for the first one)
    base_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", name="fk_revisions_base_revision", ondelete="SET NULL"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", name="fk_revisions_reviewed_by"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    review_comment: Mapped[str | None] = mapped_column(Text)

    # parsed columns, for filtering and listing without re-parsing
    title: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(String(400))
    language: Mapped[str] = mapped_column(String(2), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    region: Mapped[str | None] = mapped_column(String(200))
    population: Mapped[int | None] = mapped_column(Integer)
    population_band: Mapped[str | None] = mapped_column(String(10))
    stage: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(String(20))
    started: Mapped[str | None] = mapped_column(String(10))
    ended: Mapped[str | None] = mapped_column(String(10))
    started_year: Mapped[int | None] = mapped_column(Integer)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcomes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    networks: Mapped[list[str]] = mapped_column(JSON, default=list)
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    adapted_from: Mapped[str | None] = mapped_column(String(80))

    practice: Mapped[Practice] = relationship(
        back_populates="revisions", foreign_keys=[practice_id])
    # the title and summary in other languages (the document's `translations`)
    translation_rows: Mapped[list[RevisionTranslation]] = relationship(
        cascade="all, delete-orphan", back_populates="revision", lazy="selectin",
        order_by="RevisionTranslation.language")

    @property
    def translations(self) -> dict[str, dict[str, str]]:
        """{language: {"title", "summary"}} of this revision's translations."""
        return {t.language: {"title": t.title, "summary": t.summary}
                for t in self.translation_rows}


class RevisionTranslation(Base):
    """A revision's title and summary in another language, as its document gives them.

    A table of its own (not a column): a database made before it gains it by a
    migration, and kb.bootstrap fills it once.
    """

    __tablename__ = "revision_translations"

    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(String(400))

    revision: Mapped[Revision] = relationship(back_populates="translation_rows")


class PracticeTheme(Base):
    """The themes of a practice's published revision, for filtering and counts."""

    __tablename__ = "practice_themes"

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), primary_key=True)
    theme: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

    practice: Mapped[Practice] = relationship(back_populates="theme_rows")


class PracticeNetwork(Base):
    """The networks a practice's published revision is shared with."""

    __tablename__ = "practice_networks"

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), primary_key=True)
    network: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)

    practice: Mapped[Practice] = relationship(back_populates="network_rows")


class PracticeTag(Base):
    """The owner's tags of a practice's published revision (its document's `tags`),
    normalised (kb.content.tags), for tag pages and counts."""

    __tablename__ = "practice_tags"

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)
    label: Mapped[str] = mapped_column(String(80))
    # the glossary concept one of whose labels the tag is (search.glossary), if any
    concept: Mapped[str | None] = mapped_column(String(80), index=True)

    practice: Mapped[Practice] = relationship(back_populates="tag_rows")


class ChangeLog(Base):
    """One row per change search indexes and mirrors must follow (monotonic id)."""

    __tablename__ = "change_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    practice_id: Mapped[int] = mapped_column(Integer, index=True)
    slug: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))
    revision_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow,
                                                    server_default=func.now())


# ------------------------------------------------------------------ read model
# Derived from the change log like the search index (kb.services.readmodel): rebuildable
# from scratch at any time, never edited by hand. No foreign keys: a row may briefly
# outlive its practice until the next catch-up removes it.


class ReadModelState(Base):
    """How far the read model has followed the change log."""

    __tablename__ = "read_model_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_change_id: Mapped[int] = mapped_column(Integer, default=0)


class LineageEntry(Base):
    """A published practice's place among the published practices' adaptations.

    `root_slug` names its family: every published practice linked to it through
    published originals and adaptations shares it. Pages read a family in one query and
    keep to what the reader may see (visible_to), so the counts never leak.
    """

    __tablename__ = "read_lineage"

    practice_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), index=True)
    parent_slug: Mapped[str | None] = mapped_column(String(80))
    root_slug: Mapped[str] = mapped_column(String(80), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)


class SimilarEntry(Base):
    """Practices most like a published revision, found by the search index when that
    revision was published (best first); filtered by the reader's visibility on read."""

    __tablename__ = "read_similar"

    practice_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int | None] = mapped_column(Integer)
    similar_id: Mapped[int] = mapped_column(Integer)


class PracticeFact(Base):
    """What the dashboards count of one published practice, from its published revision.

    Dashboards aggregate these rows in SQL, joined with the reader's visibility
    (kb.services.permissions.visible_to), instead of loading every practice.
    `example`: a fictional example (tag "example"), left out of every total.
    """

    __tablename__ = "read_practice_facts"

    practice_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), index=True)
    parent_slug: Mapped[str | None] = mapped_column(String(80), index=True)
    organization_id: Mapped[int] = mapped_column(Integer, index=True)
    country: Mapped[str] = mapped_column(String(2))
    stage: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(String(20))
    example: Mapped[bool] = mapped_column(Boolean, default=False)
    published_month: Mapped[str | None] = mapped_column(String(7))
    # whole days from the first submission to the first publication (None: not submitted)
    days_to_publish: Mapped[int | None] = mapped_column(Integer)
    outcomes_improved: Mapped[int] = mapped_column(Integer, default=0)
    outcomes_worsened: Mapped[int] = mapped_column(Integer, default=0)
    outcomes_unknown: Mapped[int] = mapped_column(Integer, default=0)


class OutcomeFact(Base):
    """One outcome row of a published practice with its relative change and verdict."""

    __tablename__ = "read_outcomes"

    practice_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(100))
    baseline: Mapped[float | None] = mapped_column(Float)
    result: Mapped[float] = mapped_column(Float)
    relative_change: Mapped[float | None] = mapped_column(Float)
    improved: Mapped[bool | None] = mapped_column(Boolean)
    period: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(1000))


class ReplicationEntry(Base):
    """A published adaptation (`via`, at any depth below the practice, of another
    organization) that reports an improvement on one of the practice's own indicators.
    A reader counts it only when the practice and every link of the chain down to `via`
    (read_replication_links) are visible to them; the "replicated" mark needs two
    organizations (kb.services.replication_rules)."""

    __tablename__ = "read_replication"

    practice_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    via_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer)
    organization: Mapped[str] = mapped_column(String(200))


class ReplicationLink(Base):
    """The practices an entry of read_replication passes through (via included)."""

    __tablename__ = "read_replication_links"

    practice_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    via_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(Integer, primary_key=True)


# ------------------------------------------------------------------ accounts


class SiteRole:
    NONE = "none"
    GLOBAL_MODERATOR = "global_moderator"
    ADMIN = "admin"
    ALL = (NONE, GLOBAL_MODERATOR, ADMIN)


class MemberRole:
    CONTRIBUTOR = "contributor"
    ADMIN = "admin"
    ALL = (CONTRIBUTOR, ADMIN)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    site_role: Mapped[str] = mapped_column(String(20), default=SiteRole.NONE)
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # no longer used (wrong passwords are counted per address in login_throttle); kept
    # because databases created before have them as NOT NULL columns
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # bumped on password change and account deletion: old sessions and links die
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan")

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None


class UserSession(Base):
    """A signed-in browser: its session and remember-me cookies name this row.

    Only a hash of the cookie's token is stored; signing out deletes the row, so a
    copied cookie stops working.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LoginThrottle(Base):
    """Wrong passwords counted per key (an address, an address and an account, or an account).

    Keys are keyed hashes, so the table holds neither addresses nor e-mail addresses.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=MemberRole.CONTRIBUTOR)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship()


class Network(Base):
    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    members: Mapped[list[NetworkMember]] = relationship(
        back_populates="network", cascade="all, delete-orphan")
    moderators: Mapped[list[NetworkModerator]] = relationship(
        back_populates="network", cascade="all, delete-orphan")


class NetworkMember(Base):
    """An organization that belongs to a network."""

    __tablename__ = "network_members"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"),
                                                 primary_key=True)
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    network: Mapped[Network] = relationship(back_populates="members")
    organization: Mapped[Organization] = relationship()


class NetworkModerator(Base):
    __tablename__ = "network_moderators"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)

    network: Mapped[Network] = relationship(back_populates="moderators")
    user: Mapped[User] = relationship()


class Invitation(Base):
    """An organization admin invites someone by e-mail; the link carries a token."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20), default=MemberRole.CONTRIBUTOR)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    organization: Mapped[Organization] = relationship()


class JoinRequest(Base):
    __tablename__ = "join_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|approved|rejected
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organization: Mapped[Organization] = relationship()


class AuditEvent(Base):
    """Who did what to which object, and why: state changes and admin actions."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", name="fk_audit_events_actor"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --------------------------------------------------------------- curation


class Flag(Base):
    """A reader reports a problem with a practice; moderators resolve it."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | resolved
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", name="fk_flags_resolved_by"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolution: Mapped[str | None] = mapped_column(Text)

    practice: Mapped[Practice] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class NotificationOptOut(Base):
    """A kind of notification a person turned off."""

    __tablename__ = "notification_opt_outs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)


class Follow(Base):
    __tablename__ = "follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# --------------------------------------------------------------- exchange


class OrganizationFollow(Base):
    """A person follows an organization: notified when it publishes a practice."""

    __tablename__ = "organization_follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"),
                                                 primary_key=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class IndicatorMapping(Base):
    """The author of a practice says one of its indicators measures the same thing as an
    indicator named differently in its lineage (keys are normalized "indicator|unit")."""

    __tablename__ = "indicator_mappings"

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), primary_key=True)
    indicator_key: Mapped[str] = mapped_column(String(600), primary_key=True)
    target_key: Mapped[str] = mapped_column(String(600))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", name="fk_indicator_mappings_created_by"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# ------------------------------------------------------------------- tags


class TagApplication(Base):
    """A community tag: an organization (a person acting for it) tags a practice.

    `tag` is the normalised form (kb.content.tags), `label` the words as first
    typed. `scope` is "public", or the slug of the network whose members alone see it.
    An organization applies a tag to a practice once per scope.
    """

    __tablename__ = "tag_applications"
    __table_args__ = (UniqueConstraint("practice_id", "tag", "organization_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    tag: Mapped[str] = mapped_column(String(80), index=True)
    label: Mapped[str] = mapped_column(String(80))
    concept: Mapped[str | None] = mapped_column(String(80), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    scope: Mapped[str] = mapped_column(String(80), default="public", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)

    organization: Mapped[Organization] = relationship()


class TagAlias(Base):
    """A moderator's decision about a tag: merged into (or renamed to) another tag, or a
    synonym of it. Both lead the tag's page and its search filter to `target`.

    `scope` is "public" (global moderators' decisions, for every tag of that name), or
    the slug of a network whose moderators decided it for the network's private tags
    alone; only the network's members and moderators ever meet such an alias.
    """

    __tablename__ = "tag_aliases"

    tag: Mapped[str] = mapped_column(String(80), primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), primary_key=True, default="public",
                                       server_default="public")
    target: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "merged" | "synonym"
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# ------------------------------------------------------------------- e-mail


class MailOutbox(Base):
    """An e-mail to send, written in the transaction of the change that caused it.

    Delivered after the commit; a failure is recorded here and retried with
    backoff until `sent_at` is set or the attempts run out (then
    `next_attempt_at` is empty and `kb mail send --id` resends it).
    """

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # further headers: Message-ID (kept across retries), Reply-To when there is one
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
