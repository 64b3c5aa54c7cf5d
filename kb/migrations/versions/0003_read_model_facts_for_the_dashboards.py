"""Read-model tables the dashboards count from: practice facts, outcome rows, replication.

Derived from the change log like the search index: they start empty and the background
applier fills them at the next start (their mark in read_model_state starts at 0), so no
row of the knowledge base is touched.

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('read_outcomes',
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=300), nullable=False),
    sa.Column('unit', sa.String(length=100), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('result', sa.Float(), nullable=False),
    sa.Column('relative_change', sa.Float(), nullable=True),
    sa.Column('improved', sa.Boolean(), nullable=True),
    sa.Column('period', sa.String(length=100), nullable=True),
    sa.Column('source', sa.String(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('practice_id', 'position')
    )
    op.create_table('read_practice_facts',
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('parent_slug', sa.String(length=80), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('evidence', sa.String(length=20), nullable=False),
    sa.Column('example', sa.Boolean(), nullable=False),
    sa.Column('published_month', sa.String(length=7), nullable=True),
    sa.Column('days_to_publish', sa.Integer(), nullable=True),
    sa.Column('outcomes_improved', sa.Integer(), nullable=False),
    sa.Column('outcomes_worsened', sa.Integer(), nullable=False),
    sa.Column('outcomes_unknown', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('practice_id')
    )
    with op.batch_alter_table('read_practice_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_read_practice_facts_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_read_practice_facts_parent_slug'), ['parent_slug'], unique=False)
        batch_op.create_index(batch_op.f('ix_read_practice_facts_slug'), ['slug'], unique=False)

    op.create_table('read_replication',
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('via_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('practice_id', 'via_id')
    )
    op.create_table('read_replication_links',
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('via_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('practice_id', 'via_id', 'link_id')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('read_replication_links')
    op.drop_table('read_replication')
    with op.batch_alter_table('read_practice_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_read_practice_facts_slug'))
        batch_op.drop_index(batch_op.f('ix_read_practice_facts_parent_slug'))
        batch_op.drop_index(batch_op.f('ix_read_practice_facts_organization_id'))

    op.drop_table('read_practice_facts')
    op.drop_table('read_outcomes')
