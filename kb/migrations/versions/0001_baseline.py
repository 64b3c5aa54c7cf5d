"""Baseline: the schema of the last release made without migrations.

A database made by that release (create_all, no alembic_version) runs it too: only
the tables it lacks are created, and every row stays.

Revision ID: 0001
Revises: 

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if 'audit_events' not in existing:
        op.create_table('audit_events',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('actor_id', sa.Integer(), nullable=True),
            sa.Column('action', sa.String(length=60), nullable=False),
            sa.Column('target_type', sa.String(length=40), nullable=False),
            sa.Column('target_id', sa.String(length=80), nullable=False),
            sa.Column('detail', sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint('id')
            )
        op.create_index(op.f('ix_audit_events_action'), 'audit_events', ['action'], unique=False)
        op.create_index(op.f('ix_audit_events_actor_id'), 'audit_events', ['actor_id'], unique=False)
        op.create_index(op.f('ix_audit_events_created_at'), 'audit_events', ['created_at'], unique=False)

    if 'change_log' not in existing:
        op.create_table('change_log',
            sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
            sa.Column('practice_id', sa.Integer(), nullable=False),
            sa.Column('slug', sa.String(length=80), nullable=False),
            sa.Column('action', sa.String(length=20), nullable=False),
            sa.Column('revision_id', sa.Integer(), nullable=True),
            sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
            sa.PrimaryKeyConstraint('id')
            )
        op.create_index(op.f('ix_change_log_practice_id'), 'change_log', ['practice_id'], unique=False)

    if 'login_throttle' not in existing:
        op.create_table('login_throttle',
            sa.Column('key', sa.String(length=64), nullable=False),
            sa.Column('failures', sa.Integer(), nullable=False),
            sa.Column('window_start', sa.DateTime(), nullable=False),
            sa.Column('locked_until', sa.DateTime(), nullable=True),
            sa.PrimaryKeyConstraint('key')
            )
        op.create_index(op.f('ix_login_throttle_window_start'), 'login_throttle', ['window_start'], unique=False)

    if 'mail_outbox' not in existing:
        op.create_table('mail_outbox',
            sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
            sa.Column('recipient', sa.String(length=254), nullable=False),
            sa.Column('subject', sa.String(length=300), nullable=False),
            sa.Column('body', sa.Text(), nullable=False),
            sa.Column('headers', sa.JSON(), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('attempts', sa.Integer(), nullable=False),
            sa.Column('last_error', sa.Text(), nullable=True),
            sa.Column('sent_at', sa.DateTime(), nullable=True),
            sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
            sa.PrimaryKeyConstraint('id')
            )
        op.create_index(op.f('ix_mail_outbox_next_attempt_at'), 'mail_outbox', ['next_attempt_at'], unique=False)

    if 'networks' not in existing:
        op.create_table('networks',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('slug', sa.String(length=80), nullable=False),
            sa.Column('name', sa.String(length=200), nullable=False),
            sa.Column('description', sa.Text(), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint('id'),
            sa.UniqueConstraint('slug')
            )

    if 'organizations' not in existing:
        op.create_table('organizations',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('slug', sa.String(length=100), nullable=False),
            sa.Column('name', sa.String(length=200), nullable=False),
            sa.Column('kind', sa.String(length=20), nullable=False),
            sa.Column('country', sa.String(length=2), nullable=True),
            sa.Column('region', sa.String(length=200), nullable=True),
            sa.Column('population', sa.Integer(), nullable=True),
            sa.Column('website', sa.String(length=300), nullable=True),
            sa.Column('description', sa.Text(), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint('id'),
            sa.UniqueConstraint('slug')
            )

    if 'read_lineage' not in existing:
        op.create_table('read_lineage',
            sa.Column('practice_id', sa.Integer(), nullable=False),
            sa.Column('slug', sa.String(length=80), nullable=False),
            sa.Column('parent_slug', sa.String(length=80), nullable=True),
            sa.Column('root_slug', sa.String(length=80), nullable=False),
            sa.Column('depth', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint('practice_id')
            )
        op.create_index(op.f('ix_read_lineage_root_slug'), 'read_lineage', ['root_slug'], unique=False)
        op.create_index(op.f('ix_read_lineage_slug'), 'read_lineage', ['slug'], unique=False)

    if 'read_model_state' not in existing:
        op.create_table('read_model_state',
            sa.Column('name', sa.String(length=40), nullable=False),
            sa.Column('last_change_id', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint('name')
            )

    if 'read_similar' not in existing:
        op.create_table('read_similar',
            sa.Column('practice_id', sa.Integer(), nullable=False),
            sa.Column('position', sa.Integer(), nullable=False),
            sa.Column('revision_id', sa.Integer(), nullable=True),
            sa.Column('similar_id', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint('practice_id', 'position')
            )

    if 'users' not in existing:
        op.create_table('users',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('email', sa.String(length=254), nullable=False),
            sa.Column('name', sa.String(length=120), nullable=False),
            sa.Column('password_hash', sa.String(length=255), nullable=False),
            sa.Column('site_role', sa.String(length=20), nullable=False),
            sa.Column('email_verified_at', sa.DateTime(), nullable=True),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('last_login_at', sa.DateTime(), nullable=True),
            sa.Column('failed_logins', sa.Integer(), nullable=False),
            sa.Column('locked_until', sa.DateTime(), nullable=True),
            sa.Column('session_version', sa.Integer(), nullable=False),
            sa.Column('deleted_at', sa.DateTime(), nullable=True),
            sa.PrimaryKeyConstraint('id'),
            sa.UniqueConstraint('email')
            )

    if 'invitations' not in existing:
        op.create_table('invitations',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('organization_id', sa.Integer(), nullable=False),
            sa.Column('email', sa.String(length=254), nullable=False),
            sa.Column('role', sa.String(length=20), nullable=False),
            sa.Column('token_hash', sa.String(length=64), nullable=False),
            sa.Column('invited_by_id', sa.Integer(), nullable=True),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('expires_at', sa.DateTime(), nullable=False),
            sa.Column('accepted_at', sa.DateTime(), nullable=True),
            sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], ),
            sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
            sa.PrimaryKeyConstraint('id'),
            sa.UniqueConstraint('token_hash')
            )
        op.create_index(op.f('ix_invitations_organization_id'), 'invitations', ['organization_id'], unique=False)

    if 'join_requests' not in existing:
        op.create_table('join_requests',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('user_id', sa.Integer(), nullable=False),
            sa.Column('organization_id', sa.Integer(), nullable=False),
            sa.Column('message', sa.Text(), nullable=False),
            sa.Column('status', sa.String(length=20), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('decided_by_id', sa.Integer(), nullable=True),
            sa.Column('decided_at', sa.DateTime(), nullable=True),
            sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], ),
            sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
            sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
            sa.PrimaryKeyConstraint('id')
            )
        op.create_index(op.f('ix_join_requests_organization_id'), 'join_requests', ['organization_id'], unique=False)
        op.create_index(op.f('ix_join_requests_user_id'), 'join_requests', ['user_id'], unique=False)

    if 'memberships' not in existing:
        op.create_table('memberships',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('user_id', sa.Integer(), nullable=False),
            sa.Column('organization_id', sa.Integer(), nullable=False),
            sa.Column('role', sa.String(length=20), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
            sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
            sa.PrimaryKeyConstraint('id'),
            sa.UniqueConstraint('user_id', 'organization_id')
            )
        op.create_index(op.f('ix_memberships_organization_id'), 'memberships', ['organization_id'], unique=False)
        op.create_index(op.f('ix_memberships_user_id'), 'memberships', ['user_id'], unique=False)

    if 'network_members' not in existing:
        op.create_table('network_members',
            sa.Column('network_id', sa.Integer(), nullable=False),
            sa.Column('organization_id', sa.Integer(), nullable=False),
            sa.Column('joined_at', sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(['network_id'], ['networks.id'], ),
            sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
            sa.PrimaryKeyConstraint('network_id', 'organization_id')
            )

    if 'network_moderators' not in existing:
        op.create_table('network_moderators',
            sa.Column('network_id', sa.Integer(), nullable=False),
            sa.Column('user_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['network_id'], ['networks.id'], ),
            sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
            sa.PrimaryKeyConstraint('network_id', 'user_id')
            )

    if 'notification_opt_outs' not in existing:
        op.create_table('notification_opt_outs',
            sa.Column('user_id', sa.Integer(), nullable=False),
            sa.Column('kind', sa.String(length=40), nullable=False),
            sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
            sa.PrimaryKeyConstraint('user_id', 'kind')
            )

    if 'notifications' not in existing:
        op.create_table('notifications',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('user_id', sa.Integer(), nullable=False),
            sa.Column('kind', sa.String(length=40), nullable=False),
            sa.Column('message', sa.Text(), nullable=False),
            sa.Column('link', sa.String(length=300), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('read_at', sa.DateTime(), nullable=True),
            sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
            sa.PrimaryKeyConstraint('id')
            )
        op.create_index(op.f('ix_notifications_user_id'), 'notifications', ['user_id'], unique=False)

    if 'organization_follows' not in existing:
        op.create_table('organization_follows',
            sa.Column('user_id', sa.Integer(), nullable=False),
            sa.Column('organization_id', sa.Integer(), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
            sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
            sa.PrimaryKeyConstraint('user_id', 'organization_id')
            )
        op.create_index(op.f('ix_organization_follows_organization_id'), 'organization_follows', ['organization_id'], unique=False)

    if 'organization_places' not in existing:
        op.create_table('organization_places',
            sa.Column('organization_id', sa.Integer(), nullable=False),
            sa.Column('latitude', sa.Float(), nullable=True),
            sa.Column('longitude', sa.Float(), nullable=True),
            sa.Column('geonames_id', sa.Integer(), nullable=True),
            sa.Column('population_source', sa.String(length=20), nullable=True),
            sa.Column('suggested_geonames_id', sa.Integer(), nullable=True),
            sa.Column('suggested_name', sa.String(length=200), nullable=True),
            sa.Column('suggested_population', sa.Integer(), nullable=True),
            sa.Column('suggested_latitude', sa.Float(), nullable=True),
            sa.Column('suggested_longitude', sa.Float(), nullable=True),
            sa.Column('confirmed_at', sa.DateTime(), nullable=True),
            sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
            sa.Column('updated_at', sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
            sa.PrimaryKeyConstraint('organization_id')
            )

    if 'practices' not in existing:
        op.create_table('practices',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('slug', sa.String(length=80), nullable=False),
            sa.Column('organization_id', sa.Integer(), nullable=False),
            sa.Column('status', sa.String(length=20), nullable=False),
            sa.Column('featured', sa.Boolean(), nullable=False),
            sa.Column('visibility', sa.String(length=10), nullable=False),
            sa.Column('adapted_from_slug', sa.String(length=80), nullable=True),
            sa.Column('current_revision_id', sa.Integer(), nullable=True),
            sa.Column('published_revision_id', sa.Integer(), nullable=True),
            sa.Column('created_by_id', sa.Integer(), nullable=True),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('updated_at', sa.DateTime(), nullable=False),
            sa.Column('published_at', sa.DateTime(), nullable=True),
            sa.Column('last_reviewed_at', sa.DateTime(), nullable=True),
            sa.ForeignKeyConstraint(['current_revision_id'], ['revisions.id'], name='fk_practice_current_revision', use_alter=True),
            sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
            sa.ForeignKeyConstraint(['published_revision_id'], ['revisions.id'], name='fk_practice_published_revision', use_alter=True),
            sa.PrimaryKeyConstraint('id'),
            sa.UniqueConstraint('slug')
            )
        op.create_index(op.f('ix_practices_adapted_from_slug'), 'practices', ['adapted_from_slug'], unique=False)
        op.create_index(op.f('ix_practices_organization_id'), 'practices', ['organization_id'], unique=False)
        op.create_index(op.f('ix_practices_published_at'), 'practices', ['published_at'], unique=False)
        op.create_index(op.f('ix_practices_status'), 'practices', ['status'], unique=False)

    if 'user_sessions' not in existing:
        op.create_table('user_sessions',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('user_id', sa.Integer(), nullable=False),
            sa.Column('token_hash', sa.String(length=64), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
            sa.PrimaryKeyConstraint('id'),
            sa.UniqueConstraint('token_hash')
            )
        op.create_index(op.f('ix_user_sessions_user_id'), 'user_sessions', ['user_id'], unique=False)

    if 'flags' not in existing:
        op.create_table('flags',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('practice_id', sa.Integer(), nullable=False),
            sa.Column('user_id', sa.Integer(), nullable=True),
            sa.Column('reason', sa.Text(), nullable=False),
            sa.Column('status', sa.String(length=20), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('resolved_by_id', sa.Integer(), nullable=True),
            sa.Column('resolved_at', sa.DateTime(), nullable=True),
            sa.Column('resolution', sa.Text(), nullable=True),
            sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], ),
            sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
            sa.PrimaryKeyConstraint('id')
            )
        op.create_index(op.f('ix_flags_practice_id'), 'flags', ['practice_id'], unique=False)

    if 'follows' not in existing:
        op.create_table('follows',
            sa.Column('user_id', sa.Integer(), nullable=False),
            sa.Column('practice_id', sa.Integer(), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], ),
            sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
            sa.PrimaryKeyConstraint('user_id', 'practice_id')
            )

    if 'indicator_mappings' not in existing:
        op.create_table('indicator_mappings',
            sa.Column('practice_id', sa.Integer(), nullable=False),
            sa.Column('indicator_key', sa.String(length=600), nullable=False),
            sa.Column('target_key', sa.String(length=600), nullable=False),
            sa.Column('created_by_id', sa.Integer(), nullable=True),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], ),
            sa.PrimaryKeyConstraint('practice_id', 'indicator_key')
            )

    if 'practice_networks' not in existing:
        op.create_table('practice_networks',
            sa.Column('practice_id', sa.Integer(), nullable=False),
            sa.Column('network', sa.String(length=80), nullable=False),
            sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], ),
            sa.PrimaryKeyConstraint('practice_id', 'network')
            )
        op.create_index(op.f('ix_practice_networks_network'), 'practice_networks', ['network'], unique=False)

    if 'practice_themes' not in existing:
        op.create_table('practice_themes',
            sa.Column('practice_id', sa.Integer(), nullable=False),
            sa.Column('theme', sa.String(length=40), nullable=False),
            sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], ),
            sa.PrimaryKeyConstraint('practice_id', 'theme')
            )
        op.create_index(op.f('ix_practice_themes_theme'), 'practice_themes', ['theme'], unique=False)

    if 'revisions' not in existing:
        op.create_table('revisions',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('practice_id', sa.Integer(), nullable=False),
            sa.Column('number', sa.Integer(), nullable=False),
            sa.Column('document', sa.Text(), nullable=False),
            sa.Column('content_hash', sa.String(length=64), nullable=False),
            sa.Column('state', sa.String(length=20), nullable=False),
            sa.Column('author_id', sa.Integer(), nullable=True),
            sa.Column('comment', sa.Text(), nullable=True),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('updated_at', sa.DateTime(), nullable=False),
            sa.Column('base_revision_id', sa.Integer(), nullable=True),
            sa.Column('submitted_at', sa.DateTime(), nullable=True),
            sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
            sa.Column('reviewed_at', sa.DateTime(), nullable=True),
            sa.Column('review_comment', sa.Text(), nullable=True),
            sa.Column('title', sa.String(length=160), nullable=False),
            sa.Column('summary', sa.String(length=400), nullable=False),
            sa.Column('language', sa.String(length=2), nullable=False),
            sa.Column('country', sa.String(length=2), nullable=False),
            sa.Column('region', sa.String(length=200), nullable=True),
            sa.Column('population', sa.Integer(), nullable=True),
            sa.Column('population_band', sa.String(length=10), nullable=True),
            sa.Column('stage', sa.String(length=20), nullable=False),
            sa.Column('evidence', sa.String(length=20), nullable=False),
            sa.Column('started', sa.String(length=10), nullable=True),
            sa.Column('ended', sa.String(length=10), nullable=True),
            sa.Column('started_year', sa.Integer(), nullable=True),
            sa.Column('themes', sa.JSON(), nullable=False),
            sa.Column('tags', sa.JSON(), nullable=False),
            sa.Column('outcomes', sa.JSON(), nullable=False),
            sa.Column('networks', sa.JSON(), nullable=False),
            sa.Column('visibility', sa.String(length=10), nullable=False),
            sa.Column('adapted_from', sa.String(length=80), nullable=True),
            sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], ),
            sa.PrimaryKeyConstraint('id'),
            sa.UniqueConstraint('practice_id', 'number')
            )
        op.create_index(op.f('ix_revisions_content_hash'), 'revisions', ['content_hash'], unique=False)
        op.create_index(op.f('ix_revisions_country'), 'revisions', ['country'], unique=False)
        op.create_index(op.f('ix_revisions_language'), 'revisions', ['language'], unique=False)
        op.create_index(op.f('ix_revisions_practice_id'), 'revisions', ['practice_id'], unique=False)
    if 'practices' not in existing and op.get_bind().dialect.name != 'sqlite':
        # created with the practices table on SQLite; elsewhere once revisions exists
        op.create_foreign_key('fk_practice_current_revision', 'practices', 'revisions',
                              ['current_revision_id'], ['id'])
        op.create_foreign_key('fk_practice_published_revision', 'practices', 'revisions',
                              ['published_revision_id'], ['id'])

    if 'revision_translations' not in existing:
        op.create_table('revision_translations',
            sa.Column('revision_id', sa.Integer(), nullable=False),
            sa.Column('language', sa.String(length=2), nullable=False),
            sa.Column('title', sa.String(length=160), nullable=False),
            sa.Column('summary', sa.String(length=400), nullable=False),
            sa.ForeignKeyConstraint(['revision_id'], ['revisions.id'], ),
            sa.PrimaryKeyConstraint('revision_id', 'language')
            )


def downgrade() -> None:
    """Downgrade schema."""
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table('revision_translations')
    op.drop_index(op.f('ix_revisions_practice_id'), table_name='revisions')
    op.drop_index(op.f('ix_revisions_language'), table_name='revisions')
    op.drop_index(op.f('ix_revisions_country'), table_name='revisions')
    op.drop_index(op.f('ix_revisions_content_hash'), table_name='revisions')
    op.drop_table('revisions')
    op.drop_index(op.f('ix_practice_themes_theme'), table_name='practice_themes')
    op.drop_table('practice_themes')
    op.drop_index(op.f('ix_practice_networks_network'), table_name='practice_networks')
    op.drop_table('practice_networks')
    op.drop_table('indicator_mappings')
    op.drop_table('follows')
    op.drop_index(op.f('ix_flags_practice_id'), table_name='flags')
    op.drop_table('flags')
    op.drop_index(op.f('ix_user_sessions_user_id'), table_name='user_sessions')
    op.drop_table('user_sessions')
    op.drop_index(op.f('ix_practices_status'), table_name='practices')
    op.drop_index(op.f('ix_practices_published_at'), table_name='practices')
    op.drop_index(op.f('ix_practices_organization_id'), table_name='practices')
    op.drop_index(op.f('ix_practices_adapted_from_slug'), table_name='practices')
    op.drop_table('practices')
    op.drop_table('organization_places')
    op.drop_index(op.f('ix_organization_follows_organization_id'), table_name='organization_follows')
    op.drop_table('organization_follows')
    op.drop_index(op.f('ix_notifications_user_id'), table_name='notifications')
    op.drop_table('notifications')
    op.drop_table('notification_opt_outs')
    op.drop_table('network_moderators')
    op.drop_table('network_members')
    op.drop_index(op.f('ix_memberships_user_id'), table_name='memberships')
    op.drop_index(op.f('ix_memberships_organization_id'), table_name='memberships')
    op.drop_table('memberships')
    op.drop_index(op.f('ix_join_requests_user_id'), table_name='join_requests')
    op.drop_index(op.f('ix_join_requests_organization_id'), table_name='join_requests')
    op.drop_table('join_requests')
    op.drop_index(op.f('ix_invitations_organization_id'), table_name='invitations')
    op.drop_table('invitations')
    op.drop_table('users')
    op.drop_table('read_similar')
    op.drop_table('read_model_state')
    op.drop_index(op.f('ix_read_lineage_slug'), table_name='read_lineage')
    op.drop_index(op.f('ix_read_lineage_root_slug'), table_name='read_lineage')
    op.drop_table('read_lineage')
    op.drop_table('organizations')
    op.drop_table('networks')
    op.drop_index(op.f('ix_mail_outbox_next_attempt_at'), table_name='mail_outbox')
    op.drop_table('mail_outbox')
    op.drop_index(op.f('ix_login_throttle_window_start'), table_name='login_throttle')
    op.drop_table('login_throttle')
    op.drop_index(op.f('ix_change_log_practice_id'), table_name='change_log')
    op.drop_table('change_log')
    op.drop_index(op.f('ix_audit_events_created_at'), table_name='audit_events')
    op.drop_index(op.f('ix_audit_events_actor_id'), table_name='audit_events')
    op.drop_index(op.f('ix_audit_events_action'), table_name='audit_events')
    op.drop_table('audit_events')
    # ### end Alembic commands ###
