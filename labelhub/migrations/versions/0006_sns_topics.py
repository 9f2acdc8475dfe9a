"""SNS topics and their subscriptions (the SNS-compatible endpoint), and deliveries that belong to no HIT
type (a topic's SubscriptionConfirmation)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

import labelhub.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sns_topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arn', sa.String(length=400), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_sns_topics_requester_id_requesters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sns_topics')),
    sa.UniqueConstraint('arn', name=op.f('uq_sns_topics_arn'))
    )
    with op.batch_alter_table('sns_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sns_topics_requester_id'), ['requester_id'], unique=False)

    op.create_table('sns_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arn', sa.String(length=448), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('protocol', sa.String(length=8), nullable=False),
    sa.Column('endpoint', sa.String(length=1024), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('token_issued_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['sns_topics.id'], name=op.f('fk_sns_subscriptions_topic_id_sns_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sns_subscriptions')),
    sa.UniqueConstraint('arn', name=op.f('uq_sns_subscriptions_arn')),
    sa.UniqueConstraint('topic_id', 'endpoint', name=op.f('uq_sns_subscriptions_topic_id_endpoint'))
    )
    with op.batch_alter_table('sns_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sns_subscriptions_topic_id'), ['topic_id'], unique=False)

    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.alter_column('hit_type_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM notification_deliveries WHERE hit_type_id IS NULL")
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.alter_column('hit_type_id', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('sns_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sns_subscriptions_topic_id'))

    op.drop_table('sns_subscriptions')
    with op.batch_alter_table('sns_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sns_topics_requester_id'))

    op.drop_table('sns_topics')
