"""Foreign keys for the ids of users and revisions that had none.

Before, these columns held a user's (or a revision's) id without a constraint. An id
that no longer names a row (none should exist: accounts are never deleted, only
anonymized) is cleared first, so the constraint can be added and every row stays.

Revision ID: 0002
Revises: 0001
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# (table, constraint, column, referenced table, ON DELETE)
FOREIGN_KEYS = [
    ('audit_events', 'fk_audit_events_actor', 'actor_id', 'users', None),
    ('flags', 'fk_flags_resolved_by', 'resolved_by_id', 'users', None),
    ('indicator_mappings', 'fk_indicator_mappings_created_by', 'created_by_id', 'users', None),
    ('organization_places', 'fk_organization_places_confirmed_by', 'confirmed_by_id', 'users',
     None),
    ('practices', 'fk_practices_created_by', 'created_by_id', 'users', None),
    ('revisions', 'fk_revisions_author', 'author_id', 'users', None),
    ('revisions', 'fk_revisions_reviewed_by', 'reviewed_by_id', 'users', None),
    ('revisions', 'fk_revisions_base_revision', 'base_revision_id', 'revisions', 'SET NULL'),
]


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    # a column that has its key already (a database made by create_all of these models) is
    # left as it is
    missing = [row for row in FOREIGN_KEYS if not any(
        fk["constrained_columns"] == [row[2]] and fk["referred_table"] == row[3]
        for fk in inspector.get_foreign_keys(row[0]))]
    for table, _name, column, target, _ondelete in missing:
        op.execute(f"UPDATE {table} SET {column} = NULL WHERE {column} IS NOT NULL "
                   f"AND {column} NOT IN (SELECT id FROM {target})")
    for table in dict.fromkeys(row[0] for row in missing):
        with op.batch_alter_table(table) as batch_op:
            for _table, name, column, target, ondelete in missing:
                if _table == table:
                    batch_op.create_foreign_key(name, target, [column], ['id'],
                                                ondelete=ondelete)


def downgrade() -> None:
    for table in dict.fromkeys(row[0] for row in reversed(FOREIGN_KEYS)):
        with op.batch_alter_table(table) as batch_op:
            for _table, name, _column, _target, _ondelete in FOREIGN_KEYS:
                if _table == table:
                    batch_op.drop_constraint(name, type_='foreignkey')
