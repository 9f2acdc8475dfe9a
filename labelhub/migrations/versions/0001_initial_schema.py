"""initial schema

Revision ID: 0001
Revises: 
"""
import sqlalchemy as sa
from alembic import op

import labelhub.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('owner', sa.String(length=40), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_accounts')),
    sa.UniqueConstraint('marketplace', 'owner', 'purpose', name=op.f('uq_ledger_accounts_marketplace_owner_purpose'))
    )
    op.create_table('ledger_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('memo', sa.String(length=255), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transactions'))
    )
    op.create_table('requesters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=14), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requesters')),
    sa.UniqueConstraint('name', name=op.f('uq_requesters_name')),
    sa.UniqueConstraint('public_id', name=op.f('uq_requesters_public_id'))
    )
    op.create_table('workers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=14), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('subdivision', sa.String(length=3), nullable=True),
    sa.Column('adult', sa.Boolean(), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workers')),
    sa.UniqueConstraint('name', name=op.f('uq_workers_name')),
    sa.UniqueConstraint('public_id', name=op.f('uq_workers_public_id'))
    )
    op.create_table('access_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('access_key_id', sa.String(length=20), nullable=False),
    sa.Column('secret_access_key', sa.String(length=64), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_access_keys_requester_id_requesters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_keys')),
    sa.UniqueConstraint('access_key_id', name=op.f('uq_access_keys_access_key_id'))
    )
    with op.batch_alter_table('access_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_keys_requester_id'), ['requester_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=True),
    sa.Column('worker_id', sa.Integer(), nullable=True),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_api_tokens_requester_id_requesters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_api_tokens_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_tokens_worker_id'), ['worker_id'], unique=False)

    op.create_table('hit_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=30), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=False),
    sa.Column('keywords', sa.String(length=1000), nullable=False),
    sa.Column('reward_micros', sa.BigInteger(), nullable=False),
    sa.Column('assignment_duration_seconds', sa.Integer(), nullable=False),
    sa.Column('auto_approval_delay_seconds', sa.Integer(), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_hit_types_requester_id_requesters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hit_types')),
    sa.UniqueConstraint('public_id', name=op.f('uq_hit_types_public_id')),
    sa.UniqueConstraint('requester_id', 'marketplace', 'fingerprint', name=op.f('uq_hit_types_requester_id_marketplace_fingerprint'))
    )
    with op.batch_alter_table('hit_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hit_types_requester_id'), ['requester_id'], unique=False)

    op.create_table('qualification_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=30), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active_name', sa.String(length=200), nullable=True),
    sa.Column('description', sa.String(length=2000), nullable=False),
    sa.Column('keywords', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.Enum('Active', 'Inactive', name='qualificationtypestatus', native_enum=False, length=32), nullable=False),
    sa.Column('is_requestable', sa.Boolean(), nullable=False),
    sa.Column('auto_granted', sa.Boolean(), nullable=False),
    sa.Column('auto_granted_value', sa.Integer(), nullable=False),
    sa.Column('test', sa.Text(), nullable=True),
    sa.Column('answer_key', sa.JSON(), nullable=True),
    sa.Column('test_duration_seconds', sa.Integer(), nullable=True),
    sa.Column('retry_delay_seconds', sa.Integer(), nullable=True),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_qualification_types_requester_id_requesters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_types')),
    sa.UniqueConstraint('public_id', name=op.f('uq_qualification_types_public_id')),
    sa.UniqueConstraint('requester_id', 'marketplace', 'active_name', name=op.f('uq_qualification_types_requester_id_marketplace_active_name'))
    )
    with op.batch_alter_table('qualification_types', schema=None) as batch_op:
        batch_op.create_index('ix_qualification_types_page', ['marketplace', 'id'], unique=False)

    op.create_table('request_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('result_id', sa.String(length=30), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_request_tokens_requester_id_requesters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_tokens')),
    sa.UniqueConstraint('requester_id', 'marketplace', 'scope', 'token', name=op.f('uq_request_tokens_requester_id_marketplace_scope_token'))
    )
    op.create_table('worker_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=1024), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_worker_blocks_requester_id_requesters')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_worker_blocks_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_blocks')),
    sa.UniqueConstraint('requester_id', 'marketplace', 'worker_id', name=op.f('uq_worker_blocks_requester_id_marketplace_worker_id'))
    )
    with op.batch_alter_table('worker_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_blocks_worker_id'), ['worker_id'], unique=False)

    op.create_table('worker_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=30), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_worker_messages_requester_id_requesters')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_worker_messages_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_messages')),
    sa.UniqueConstraint('public_id', name=op.f('uq_worker_messages_public_id'))
    )
    with op.batch_alter_table('worker_messages', schema=None) as batch_op:
        batch_op.create_index('ix_worker_messages_inbox', ['worker_id', 'marketplace', 'id'], unique=False)

    op.create_table('batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=30), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('template_kind', sa.String(length=50), nullable=False),
    sa.Column('template', sa.JSON(), nullable=False),
    sa.Column('hit_type_id', sa.Integer(), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hit_type_id'], ['hit_types.id'], name=op.f('fk_batches_hit_type_id_hit_types')),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_batches_requester_id_requesters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batches')),
    sa.UniqueConstraint('public_id', name=op.f('uq_batches_public_id'))
    )
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.create_index('ix_batches_requester_page', ['requester_id', 'marketplace', 'id'], unique=False)

    op.create_table('qualification_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=30), nullable=False),
    sa.Column('qualification_type_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('Pending', 'Accepted', 'Rejected', name='requeststatus', native_enum=False, length=32), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('submitted_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=1024), nullable=True),
    sa.ForeignKeyConstraint(['qualification_type_id'], ['qualification_types.id'], name=op.f('fk_qualification_requests_qualification_type_id_qualification_types')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_qualification_requests_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_requests')),
    sa.UniqueConstraint('public_id', name=op.f('uq_qualification_requests_public_id'))
    )
    with op.batch_alter_table('qualification_requests', schema=None) as batch_op:
        batch_op.create_index('ix_qualification_requests_type_page', ['qualification_type_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_qualification_requests_worker', ['worker_id', 'qualification_type_id', 'submitted_at'], unique=False)

    op.create_table('qualification_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hit_type_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('qualification_type_id', sa.String(length=30), nullable=False),
    sa.Column('comparator', sa.Enum('LessThan', 'LessThanOrEqualTo', 'GreaterThan', 'GreaterThanOrEqualTo', 'EqualTo', 'NotEqualTo', 'Exists', 'DoesNotExist', 'In', 'NotIn', name='comparator', native_enum=False, length=32), nullable=False),
    sa.Column('integer_values', sa.JSON(), nullable=True),
    sa.Column('locale_values', sa.JSON(), nullable=True),
    sa.Column('actions_guarded', sa.Enum('Accept', 'PreviewAndAccept', 'DiscoverPreviewAndAccept', name='guardedaction', native_enum=False, length=32), nullable=False),
    sa.ForeignKeyConstraint(['hit_type_id'], ['hit_types.id'], name=op.f('fk_qualification_requirements_hit_type_id_hit_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_requirements'))
    )
    with op.batch_alter_table('qualification_requirements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qualification_requirements_hit_type_id'), ['hit_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qualification_requirements_qualification_type_id'), ['qualification_type_id'], unique=False)

    op.create_table('qualifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('qualification_type_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('integer_value', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('Granted', 'Revoked', name='qualificationstatus', native_enum=False, length=32), nullable=False),
    sa.Column('granted_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=1024), nullable=True),
    sa.ForeignKeyConstraint(['qualification_type_id'], ['qualification_types.id'], name=op.f('fk_qualifications_qualification_type_id_qualification_types')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_qualifications_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualifications')),
    sa.UniqueConstraint('qualification_type_id', 'worker_id', name=op.f('uq_qualifications_qualification_type_id_worker_id'))
    )
    with op.batch_alter_table('qualifications', schema=None) as batch_op:
        batch_op.create_index('ix_qualifications_type_page', ['qualification_type_id', 'status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qualifications_worker_id'), ['worker_id'], unique=False)

    op.create_table('hits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=30), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('hit_type_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('answer_schema', sa.JSON(), nullable=True),
    sa.Column('requester_annotation', sa.String(length=255), nullable=True),
    sa.Column('max_assignments', sa.Integer(), nullable=False),
    sa.Column('fee_per_assignment_micros', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('Assignable', 'Unassignable', 'Reviewable', 'Reviewing', 'Disposed', name='hitstatus', native_enum=False, length=32), nullable=False),
    sa.Column('review_status', sa.String(length=32), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('disposed_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expired_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pending_count', sa.Integer(), nullable=False),
    sa.Column('submitted_count', sa.Integer(), nullable=False),
    sa.Column('approved_count', sa.Integer(), nullable=False),
    sa.Column('rejected_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_hits_batch_id_batches')),
    sa.ForeignKeyConstraint(['hit_type_id'], ['hit_types.id'], name=op.f('fk_hits_hit_type_id_hit_types')),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_hits_requester_id_requesters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hits')),
    sa.UniqueConstraint('public_id', name=op.f('uq_hits_public_id'))
    )
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.create_index('ix_hits_batch', ['batch_id', 'id'], unique=False)
        batch_op.create_index('ix_hits_discovery', ['marketplace', 'status', 'expires_at'], unique=False)
        batch_op.create_index('ix_hits_hit_type', ['hit_type_id', 'id'], unique=False)
        batch_op.create_index('ix_hits_requester_page', ['requester_id', 'marketplace', 'id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=30), nullable=False),
    sa.Column('hit_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('Accepted', 'Submitted', 'Approved', 'Rejected', 'Returned', 'Abandoned', name='assignmentstatus', native_enum=False, length=32), nullable=False),
    sa.Column('accepted_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deadline', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('auto_approval_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejected_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', labelhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.JSON(), nullable=True),
    sa.Column('signals', sa.JSON(), nullable=True),
    sa.Column('requester_feedback', sa.String(length=1024), nullable=True),
    sa.ForeignKeyConstraint(['hit_id'], ['hits.id'], name=op.f('fk_assignments_hit_id_hits')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_assignments_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('hit_id', 'worker_id', name=op.f('uq_assignments_hit_id_worker_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_assignments_public_id'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_auto_approval', ['status', 'auto_approval_at'], unique=False)
        batch_op.create_index('ix_assignments_deadline', ['status', 'deadline'], unique=False)
        batch_op.create_index('ix_assignments_hit_page', ['hit_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_assignments_worker_page', ['worker_id', 'status', 'id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('entity', sa.String(length=30), nullable=False),
    sa.Column('entity_id', sa.String(length=30), nullable=False),
    sa.Column('hit_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['hit_id'], ['hits.id'], name=op.f('fk_events_hit_id_hits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_entity', ['entity', 'entity_id', 'id'], unique=False)
        batch_op.create_index('ix_events_hit', ['hit_id', 'id'], unique=False)

    op.create_table('bonuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=30), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('production', 'sandbox', name='marketplace', native_enum=False, length=32), nullable=False),
    sa.Column('amount_micros', sa.BigInteger(), nullable=False),
    sa.Column('fee_micros', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=4096), nullable=False),
    sa.Column('created_at', labelhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_bonuses_assignment_id_assignments')),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_bonuses_requester_id_requesters')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_bonuses_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bonuses')),
    sa.UniqueConstraint('public_id', name=op.f('uq_bonuses_public_id'))
    )
    with op.batch_alter_table('bonuses', schema=None) as batch_op:
        batch_op.create_index('ix_bonuses_assignment', ['assignment_id', 'id'], unique=False)
        batch_op.create_index('ix_bonuses_requester_page', ['requester_id', 'marketplace', 'id'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount_micros', sa.BigInteger(), nullable=False),
    sa.Column('hit_id', sa.Integer(), nullable=True),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_entries_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_ledger_entries_assignment_id_assignments')),
    sa.ForeignKeyConstraint(['hit_id'], ['hits.id'], name=op.f('fk_ledger_entries_hit_id_hits')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_ledger_entries_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_account_hit', ['account_id', 'hit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_transaction_id'), ['transaction_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_assignment_id'))
        batch_op.drop_index('ix_ledger_entries_account_hit')

    op.drop_table('ledger_entries')
    with op.batch_alter_table('bonuses', schema=None) as batch_op:
        batch_op.drop_index('ix_bonuses_requester_page')
        batch_op.drop_index('ix_bonuses_assignment')

    op.drop_table('bonuses')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_hit')
        batch_op.drop_index('ix_events_entity')

    op.drop_table('events')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_worker_page')
        batch_op.drop_index('ix_assignments_hit_page')
        batch_op.drop_index('ix_assignments_deadline')
        batch_op.drop_index('ix_assignments_auto_approval')

    op.drop_table('assignments')
    with op.batch_alter_table('hits', schema=None) as batch_op:
        batch_op.drop_index('ix_hits_requester_page')
        batch_op.drop_index('ix_hits_hit_type')
        batch_op.drop_index('ix_hits_discovery')
        batch_op.drop_index('ix_hits_batch')

    op.drop_table('hits')
    with op.batch_alter_table('qualifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qualifications_worker_id'))
        batch_op.drop_index('ix_qualifications_type_page')

    op.drop_table('qualifications')
    with op.batch_alter_table('qualification_requirements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qualification_requirements_qualification_type_id'))
        batch_op.drop_index(batch_op.f('ix_qualification_requirements_hit_type_id'))

    op.drop_table('qualification_requirements')
    with op.batch_alter_table('qualification_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_qualification_requests_worker')
        batch_op.drop_index('ix_qualification_requests_type_page')

    op.drop_table('qualification_requests')
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_index('ix_batches_requester_page')

    op.drop_table('batches')
    with op.batch_alter_table('worker_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_worker_messages_inbox')

    op.drop_table('worker_messages')
    with op.batch_alter_table('worker_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_blocks_worker_id'))

    op.drop_table('worker_blocks')
    op.drop_table('request_tokens')
    with op.batch_alter_table('qualification_types', schema=None) as batch_op:
        batch_op.drop_index('ix_qualification_types_page')

    op.drop_table('qualification_types')
    with op.batch_alter_table('hit_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hit_types_requester_id'))

    op.drop_table('hit_types')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_worker_id'))
        batch_op.drop_index(batch_op.f('ix_api_tokens_requester_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('access_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_keys_requester_id'))

    op.drop_table('access_keys')
    op.drop_table('workers')
    op.drop_table('requesters')
    op.drop_table('ledger_transactions')
    op.drop_table('ledger_accounts')
