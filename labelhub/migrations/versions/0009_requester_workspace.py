"""The requester workspace: requesters' page passwords, REST tokens listed by a stored prefix,
paused batches (their HITs marked, so the marketplace queries filter one column), and the indexes of the
requester's HIT lists (batchless HITs by type; a batch's HITs by status)

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

import labelhub.db

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('requesters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=255), nullable=True))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prefix', sa.String(length=12), nullable=True))
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_at', labelhub.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_hits_batchless_type', ['hit_type_id', 'id'], unique=False,
                              postgresql_where=sa.text('batch_id IS NULL'), sqlite_where=sa.text('batch_id IS NULL'))
        batch_op.create_index('ix_hits_batch_status', ['batch_id', 'status', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.drop_index('ix_hits_batch_status')
        batch_op.drop_index('ix_hits_batchless_type')
        batch_op.drop_column('paused')
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_column('paused_at')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('prefix')
    with op.batch_alter_table('requesters', schema=None) as batch_op:
        batch_op.drop_column('password_hash')
