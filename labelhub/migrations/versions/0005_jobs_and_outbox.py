"""Jobs table (the durable queue and job progress), events as the outbox, and the aggregation
fingerprint that replaces the batch's needs_aggregation flag

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

import labelhub.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=30), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('dedup_key', sa.String(length=120), nullable=True),
    sa.Column('target', sa.String(length=120), nullable=True),
    sa.Column('requester_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('run_after', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_jobs_requester_id_requesters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('public_id', name=op.f('uq_jobs_public_id'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_kind_created', ['kind', 'created_at'], unique=False)
        batch_op.create_index('ix_jobs_requester', ['requester_id', 'id'], unique=False)
        batch_op.create_index('ix_jobs_state_due', ['state', 'run_after', 'id'], unique=False)
        batch_op.create_index('uq_jobs_queued_key', ['dedup_key'], unique=True,
                              sqlite_where=sa.text("state = 'queued'"),
                              postgresql_where=sa.text("state = 'queued'"))
        batch_op.create_index('uq_jobs_running_key', ['dedup_key'], unique=True,
                              sqlite_where=sa.text("state = 'running'"),
                              postgresql_where=sa.text("state = 'running'"))

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched_at', labelhub.db.UTCDateTime(timezone=True), nullable=True))
    # Events logged before the outbox existed had their reactions run when they happened.
    op.execute("UPDATE events SET dispatched_at = at")
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_undispatched', ['id'], unique=False,
                              sqlite_where=sa.text('dispatched_at IS NULL'),
                              postgresql_where=sa.text('dispatched_at IS NULL'))

    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aggregated_fingerprint', sa.String(length=64), nullable=True))
        batch_op.drop_column('needs_aggregation')


def downgrade() -> None:
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_aggregation', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.drop_column('aggregated_fingerprint')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_undispatched', sqlite_where=sa.text('dispatched_at IS NULL'),
                            postgresql_where=sa.text('dispatched_at IS NULL'))
        batch_op.drop_column('dispatched_at')

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('uq_jobs_running_key')
        batch_op.drop_index('uq_jobs_queued_key')
        batch_op.drop_index('ix_jobs_state_due')
        batch_op.drop_index('ix_jobs_requester')
        batch_op.drop_index('ix_jobs_kind_created')

    op.drop_table('jobs')
