"""layer features: an index on (layer_id, version)

Every read of a layer (map, OGC items, export, vector tiles) asks for one version of one layer; without
this index each of them scans every feature of every layer.

Revision ID: 0003
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_layer_feature_layer_id_version', 'layer_feature', ['layer_id', 'version'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_layer_feature_layer_id_version', table_name='layer_feature')
