"""notifications and review policies: per-HIT-type notification settings, webhook secrets and the
delivery outbox; review policies on HITs with the results and actions of their runs

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import labelhub.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_secrets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_webhook_secrets_requester_id_requesters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_secrets')),
    sa.UniqueConstraint('requester_id', name=op.f('uq_webhook_secrets_requester_id'))
    )
    op.create_table('notification_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_doc_id', sa.String(length=40), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('hit_type_id', sa.Integer(), nullable=False),
    sa.Column('destination', sa.String(length=1024), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('event', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('Pending', 'Delivered', 'Failed', name='deliverystatus', native_enum=False, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=1024), nullable=True),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['hit_type_id'], ['hit_types.id'], name=op.f('fk_notification_deliveries_hit_type_id_hit_types')),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_notification_deliveries_requester_id_requesters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_deliveries')),
    sa.UniqueConstraint('event_doc_id', name=op.f('uq_notification_deliveries_event_doc_id'))
    )
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_notification_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_deliveries_requester_id'), ['requester_id'], unique=False)

    op.create_table('notification_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hit_type_id', sa.Integer(), nullable=False),
    sa.Column('transport', sa.String(length=8), nullable=False),
    sa.Column('destination', sa.String(length=1024), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hit_type_id'], ['hit_types.id'], name=op.f('fk_notification_settings_hit_type_id_hit_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_settings')),
    sa.UniqueConstraint('hit_type_id', name=op.f('uq_notification_settings_hit_type_id'))
    )
    op.create_table('review_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=30), nullable=False),
    sa.Column('hit_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('Assignment', 'HIT', name='reviewpolicylevel', native_enum=False, length=32), nullable=False),
    sa.Column('name', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.String(length=30), nullable=False),
    sa.Column('target_type', sa.String(length=16), nullable=False),
    sa.Column('status', sa.Enum('Intended', 'Succeeded', 'Failed', 'Cancelled', name='reviewactionstatus', native_enum=False, length=32), nullable=False),
    sa.Column('result', sa.String(length=1024), nullable=False),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['hit_id'], ['hits.id'], name=op.f('fk_review_actions_hit_id_hits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_actions')),
    sa.UniqueConstraint('public_id', name=op.f('uq_review_actions_public_id'))
    )
    with op.batch_alter_table('review_actions', schema=None) as batch_op:
        batch_op.create_index('ix_review_actions_hit', ['hit_id', 'id'], unique=False)
        batch_op.create_index('ix_review_actions_status', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_review_actions_target', ['target_id', 'name'], unique=False)

    op.create_table('review_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hit_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('Assignment', 'HIT', name='reviewpolicylevel', native_enum=False, length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('reviewed_submissions', sa.Integer(), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hit_id'], ['hits.id'], name=op.f('fk_review_policies_hit_id_hits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_policies')),
    sa.UniqueConstraint('hit_id', 'level', name=op.f('uq_review_policies_hit_id_level'))
    )
    op.create_table('review_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hit_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('Assignment', 'HIT', name='reviewpolicylevel', native_enum=False, length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=30), nullable=False),
    sa.Column('subject_type', sa.String(length=16), nullable=False),
    sa.Column('question_id', sa.String(length=256), nullable=True),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=1024), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['review_actions.id'], name=op.f('fk_review_results_action_id_review_actions')),
    sa.ForeignKeyConstraint(['hit_id'], ['hits.id'], name=op.f('fk_review_results_hit_id_hits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_results'))
    )
    with op.batch_alter_table('review_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_results_action_id'), ['action_id'], unique=False)
        batch_op.create_index('ix_review_results_hit', ['hit_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_results', schema=None) as batch_op:
        batch_op.drop_index('ix_review_results_hit')
        batch_op.drop_index(batch_op.f('ix_review_results_action_id'))

    op.drop_table('review_results')
    op.drop_table('review_policies')
    with op.batch_alter_table('review_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_review_actions_target')
        batch_op.drop_index('ix_review_actions_status')
        batch_op.drop_index('ix_review_actions_hit')

    op.drop_table('review_actions')
    op.drop_table('notification_settings')
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_deliveries_requester_id'))
        batch_op.drop_index('ix_notification_deliveries_due')

    op.drop_table('notification_deliveries')
    op.drop_table('webhook_secrets')
