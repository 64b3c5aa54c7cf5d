"""Who is acting: the identity every service receives first.

An identity is a plain value, built by the web layer from the signed-in
account, by the CLI for the machine's operator, or by tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Identity:
    user_id: int | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    organizations: frozenset[int] = field(default_factory=frozenset)
    networks: frozenset[str] = field(default_factory=frozenset)
    name: str = "anonymous"

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and not self.roles

    @property
    def is_site_admin(self) -> bool:
        return bool(self.roles & {"admin", "system"})


ANONYMOUS = Identity()
# The operator of this installation, acting through the `kb` command on the machine.
SYSTEM = Identity(roles=frozenset({"system"}), name="system")
