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


class Base(DeclarativeBase):
    pass


class PracticeStatus:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    REJECTED = "rejected"
    ARCHIVED = "archived"
    ALL = (DRAFT, SUBMITTED, CHANGES_REQUESTED, PUBLISHED, REJECTED, ARCHIVED)


class ChangeAction:
    PUBLISH = "publish"
    UPDATE = "update"
    UNPUBLISH = "unpublish"
    DELETE = "delete"


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
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    practices: Mapped[list[Practice]] = relationship(back_populates="organization")


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
        ForeignKey("revisions.id", use_alter=True, name="fk_practice_current_revision"))
    published_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True, name="fk_practice_published_revision"))
    created_by_id: Mapped[int | None] = mapped_column(Integer)
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
    state: Mapped[str] = mapped_column(String(20), default=PracticeStatus.DRAFT)
    author_id: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

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


class PracticeTheme(Base):
    """The themes of a practice's published revision, for filtering and counts."""

    __tablename__ = "practice_themes"

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), primary_key=True)
    theme: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

    practice: Mapped[Practice] = relationship(back_populates="theme_rows")


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
