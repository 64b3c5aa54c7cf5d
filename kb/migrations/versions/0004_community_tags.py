"""Community tags: the owner's tags of each published practice, the tags cities apply to
practices (with organization, person, time and scope), and moderators' renames, merges
and synonyms.

The owner's tags of a database made before this version are filled from its published
revisions by the start that runs this upgrade (kb.bootstrap.fill_tag_rows).

Revision ID: 0004
Revises: 0003
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('tag_aliases',
    sa.Column('tag', sa.String(length=80), nullable=False),
    sa.Column('target', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('tag')
    )
    with op.batch_alter_table('tag_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tag_aliases_target'), ['target'], unique=False)

    op.create_table('practice_tags',
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=80), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('concept', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], ),
    sa.PrimaryKeyConstraint('practice_id', 'tag')
    )
    with op.batch_alter_table('practice_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_tags_concept'), ['concept'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_tags_tag'), ['tag'], unique=False)

    op.create_table('tag_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=80), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('concept', sa.String(length=80), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('practice_id', 'tag', 'organization_id', 'scope')
    )
    with op.batch_alter_table('tag_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tag_applications_concept'), ['concept'], unique=False)
        batch_op.create_index(batch_op.f('ix_tag_applications_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tag_applications_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tag_applications_practice_id'), ['practice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tag_applications_scope'), ['scope'], unique=False)
        batch_op.create_index(batch_op.f('ix_tag_applications_tag'), ['tag'], unique=False)
        batch_op.create_index(batch_op.f('ix_tag_applications_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('tag_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tag_applications_user_id'))
        batch_op.drop_index(batch_op.f('ix_tag_applications_tag'))
        batch_op.drop_index(batch_op.f('ix_tag_applications_scope'))
        batch_op.drop_index(batch_op.f('ix_tag_applications_practice_id'))
        batch_op.drop_index(batch_op.f('ix_tag_applications_organization_id'))
        batch_op.drop_index(batch_op.f('ix_tag_applications_created_at'))
        batch_op.drop_index(batch_op.f('ix_tag_applications_concept'))

    op.drop_table('tag_applications')
    with op.batch_alter_table('practice_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practice_tags_tag'))
        batch_op.drop_index(batch_op.f('ix_practice_tags_concept'))

    op.drop_table('practice_tags')
    with op.batch_alter_table('tag_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tag_aliases_target'))

    op.drop_table('tag_aliases')
