"""Export files: the batch, format and filters asked for, the job writing the file, and the file kept
until the retention sweep deletes it

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

import labelhub.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=30), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('records', sa.String(length=10), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('job_id', sa.String(length=30), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('media_type', sa.String(length=100), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('record_count', sa.Integer(), nullable=True),
    sa.Column('expires_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_exports_batch_id_batches')),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_exports_requester_id_requesters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exports')),
    sa.UniqueConstraint('public_id', name=op.f('uq_exports_public_id'))
    )
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.create_index('ix_exports_expires', ['expires_at'], unique=False)
        batch_op.create_index('ix_exports_requester_page', ['requester_id', 'marketplace', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exports_batch_id'), ['batch_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exports_batch_id'))
        batch_op.drop_index('ix_exports_requester_page')
        batch_op.drop_index('ix_exports_expires')

    op.drop_table('exports')
