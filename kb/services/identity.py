"""Who is acting: the identity every service receives first.

An identity is a plain, immutable value built by the web layer from the
signed-in account (kb.services.accounts.identity_for), by the CLI for the
machine's operator, or by tests. Services decide with it alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Identity:
    user_id: int | None = None
    # site-wide roles: "admin", "global_moderator", "system" (the machine's operator)
    roles: frozenset[str] = field(default_factory=frozenset)
    # organizations the user acts for (any membership) and those they administer
    organizations: frozenset[int] = field(default_factory=frozenset)
    admin_of: frozenset[int] = field(default_factory=frozenset)
    # networks whose network-only practices the user may read (member or moderator)
    networks: frozenset[str] = field(default_factory=frozenset)
    # networks the user curates
    moderates: frozenset[str] = field(default_factory=frozenset)
    name: str = "anonymous"
    verified: bool = False

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and not self.roles

    @property
    def is_site_admin(self) -> bool:
        return bool(self.roles & {"admin", "system"})

    @property
    def is_global_moderator(self) -> bool:
        return self.is_site_admin or "global_moderator" in self.roles


ANONYMOUS = Identity()
# The operator of this installation, acting through the `kb` command on the machine.
SYSTEM = Identity(roles=frozenset({"system"}), name="system", verified=True)
