"""Tag aliases get a scope: "public" (every existing row), or the slug of a network whose
moderators renamed, merged or marked a synonym among the network's private tags. The
primary key becomes (tag, scope): a network may decide about a tag's name for its own
private tags whatever the public decision is.

Revision ID: 0005
Revises: 0004
"""
import warnings
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _primary_key(columns: list[str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # the table is rebuilt by copy, with the new key (SQLAlchemy notes that the copy's
        # key differs from the old table's, which is the point)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*specifies columns .* as primary_key")
            with op.batch_alter_table('tag_aliases', recreate="always") as batch_op:
                batch_op.create_primary_key('tag_aliases_pkey', columns)
    else:
        op.drop_constraint('tag_aliases_pkey', 'tag_aliases', type_='primary')
        op.create_primary_key('tag_aliases_pkey', 'tag_aliases', columns)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('tag_aliases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=80), server_default='public',
                                      nullable=False))
    _primary_key(['tag', 'scope'])


def downgrade() -> None:
    """Downgrade schema: a network's own aliases go, the public ones stay."""
    op.execute(sa.text("DELETE FROM tag_aliases WHERE scope <> 'public'"))
    _primary_key(['tag'])
    with op.batch_alter_table('tag_aliases', schema=None) as batch_op:
        batch_op.drop_column('scope')
