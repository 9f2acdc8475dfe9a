"""consensus and worker quality: batch quality settings and aggregation state, gold HITs, consensus
labels per HIT and worker evidence per batch

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

import labelhub.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('worker_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('n_answers', sa.Integer(), nullable=False),
    sa.Column('expected_correct', sa.Float(), nullable=False),
    sa.Column('gold_answers', sa.Integer(), nullable=False),
    sa.Column('gold_correct', sa.Integer(), nullable=False),
    sa.Column('separation', sa.Float(), nullable=True),
    sa.Column('independence_p', sa.Float(), nullable=True),
    sa.Column('run_label', sa.String(length=200), nullable=True),
    sa.Column('run_length', sa.Integer(), nullable=False),
    sa.Column('run_disagreements', sa.Integer(), nullable=False),
    sa.Column('median_seconds', sa.Float(), nullable=True),
    sa.Column('confusion', sa.JSON(), nullable=True),
    sa.Column('decision', sa.JSON(), nullable=True),
    sa.Column('updated_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_worker_scores_batch_id_batches')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_worker_scores_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_scores')),
    sa.UniqueConstraint('batch_id', 'worker_id', name=op.f('uq_worker_scores_batch_id_worker_id'))
    )
    with op.batch_alter_table('worker_scores', schema=None) as batch_op:
        batch_op.create_index('ix_worker_scores_worker', ['worker_id', 'batch_id'], unique=False)

    op.create_table('consensus_labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hit_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('updated_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_consensus_labels_batch_id_batches')),
    sa.ForeignKeyConstraint(['hit_id'], ['hits.id'], name=op.f('fk_consensus_labels_hit_id_hits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consensus_labels')),
    sa.UniqueConstraint('hit_id', name=op.f('uq_consensus_labels_hit_id'))
    )
    with op.batch_alter_table('consensus_labels', schema=None) as batch_op:
        batch_op.create_index('ix_consensus_labels_batch_page', ['batch_id', 'hit_id'], unique=False)

    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quality', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('needs_aggregation', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('aggregated_at', labelhub.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('aggregation_method', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('aggregation_reason', sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column('aggregation_error', sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column('agreement', sa.Float(), nullable=True))

    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_gold', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('gold_answer', sa.JSON(), nullable=True))
        batch_op.create_index('ix_hits_batch_gold', ['batch_id', 'is_gold'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.drop_index('ix_hits_batch_gold')
        batch_op.drop_column('gold_answer')
        batch_op.drop_column('is_gold')

    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_column('agreement')
        batch_op.drop_column('aggregation_error')
        batch_op.drop_column('aggregation_reason')
        batch_op.drop_column('aggregation_method')
        batch_op.drop_column('aggregated_at')
        batch_op.drop_column('needs_aggregation')
        batch_op.drop_column('quality')

    with op.batch_alter_table('consensus_labels', schema=None) as batch_op:
        batch_op.drop_index('ix_consensus_labels_batch_page')

    op.drop_table('consensus_labels')
    with op.batch_alter_table('worker_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_worker_scores_worker')

    op.drop_table('worker_scores')
