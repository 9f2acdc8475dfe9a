"""Fixed labels: a HIT's label corrected by its requester (the answer, when and by whom), the index
of a worker's bonuses (the dashboard lists them), and the marketplace of a requester's job (the job
pages and the REST API show a session's own marketplace only)

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

import labelhub.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_answer', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', labelhub.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_hits_reviewed_by_requesters'), 'requesters', ['reviewed_by'],
                                    ['id'])
    with op.batch_alter_table('bonuses', schema=None) as batch_op:
        batch_op.create_index('ix_bonuses_worker_page', ['worker_id', 'marketplace', 'id'], unique=False)
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace',
                                                             native_enum=False, length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('marketplace')
    with op.batch_alter_table('bonuses', schema=None) as batch_op:
        batch_op.drop_index('ix_bonuses_worker_page')
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_hits_reviewed_by_requesters'), type_='foreignkey')
        batch_op.drop_column('reviewed_by')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewed_answer')
