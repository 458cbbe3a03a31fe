"""audit_event: indexes for a record's history and for filtering by action

The administration page opens a record's history (entity, entity_id, in time order) and filters the log by
action, newest first. The log grows without bound; without these both are a scan of every event.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_audit_event_record', 'audit_event', ['entity', 'entity_id', 'at'], unique=False)
    op.create_index('ix_audit_event_action_at', 'audit_event', ['action', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_event_action_at', table_name='audit_event')
    op.drop_index('ix_audit_event_record', table_name='audit_event')
