"""LLM answer flags: the probability, band, reasons and evidence of each scored text answer

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

import labelhub.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('answer_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('band', sa.String(length=8), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=True),
    sa.Column('scored_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_answer_flags_assignment_id_assignments')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_answer_flags_batch_id_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_flags')),
    sa.UniqueConstraint('assignment_id', name=op.f('uq_answer_flags_assignment_id'))
    )
    with op.batch_alter_table('answer_flags', schema=None) as batch_op:
        batch_op.create_index('ix_answer_flags_batch_band', ['batch_id', 'band', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('answer_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_flags_batch_band')

    op.drop_table('answer_flags')
