"""A batch's state (building, ready, failed), the build rows from which a job writes a large batch's
HITs in chunks, and ledger entries indexed by HIT (removing a failed build's HITs checks that key)

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.Enum('building', 'ready', 'failed', name='batchstate',
                                                       native_enum=False, length=32),
                                      server_default='ready', nullable=False))

    op.create_table('batch_builds',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('max_assignments', sa.Integer(), nullable=False),
    sa.Column('gold_assignments', sa.Integer(), nullable=False),
    sa.Column('lifetime_seconds', sa.Integer(), nullable=False),
    sa.Column('answer_schema', sa.JSON(), nullable=True),
    sa.Column('rows_written', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_batch_builds_batch_id_batches')),
    sa.PrimaryKeyConstraint('batch_id', name=op.f('pk_batch_builds'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_hit', ['hit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_hit')
    op.drop_table('batch_builds')
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_column('state')
