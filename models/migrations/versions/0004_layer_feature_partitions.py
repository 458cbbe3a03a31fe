"""layer features: one partition per layer version

An import used to insert every feature into one shared table whose GiST index was updated row by row: 100,000
polygons took seconds of index maintenance alone, where ogr2ogr builds the index once after its COPY. With
``layer_feature`` partitioned by (layer_id, version), an import COPYs into a fresh table of its own (in the
schema ``layer_feature_parts``, so that the public schema's listing stays the models'), and attaching it builds
its indexes in one pass. Every read names one layer version, so it also only ever reads one partition's index.
The (layer_id, version) b-tree index of 0003 is then redundant and goes.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTS = "layer_feature_parts"


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {PARTS}")
    op.execute("ALTER TABLE layer_feature RENAME TO layer_feature_unpartitioned")
    op.execute("ALTER TABLE layer_feature_unpartitioned RENAME CONSTRAINT pk_layer_feature TO pk_layer_feature_old")
    op.execute("ALTER TABLE layer_feature_unpartitioned RENAME CONSTRAINT fk_layer_feature_layer_id_layer "
               "TO fk_layer_feature_old_layer")
    op.execute("ALTER INDEX idx_layer_feature_geom RENAME TO idx_layer_feature_old_geom")
    op.execute("DROP INDEX ix_layer_feature_layer_id_version")
    op.execute("ALTER SEQUENCE layer_feature_id_seq OWNED BY NONE")
    op.execute(
        "CREATE TABLE layer_feature ("
        " id integer NOT NULL DEFAULT nextval('layer_feature_id_seq'),"
        " layer_id integer NOT NULL, version integer NOT NULL, properties jsonb NOT NULL,"
        " geom geometry(Geometry, 4326) NOT NULL,"
        " CONSTRAINT pk_layer_feature PRIMARY KEY (layer_id, version, id),"
        " CONSTRAINT fk_layer_feature_layer_id_layer FOREIGN KEY (layer_id) REFERENCES layer (id) ON DELETE CASCADE"
        ") PARTITION BY RANGE (layer_id, version)")
    op.execute("ALTER SEQUENCE layer_feature_id_seq OWNED BY layer_feature.id")
    op.execute("CREATE INDEX idx_layer_feature_geom ON layer_feature USING gist (geom)")
    conn = op.get_bind()
    for layer_id, version in conn.execute(sa.text(
            "SELECT DISTINCT layer_id, version FROM layer_feature_unpartitioned ORDER BY 1, 2")).all():
        name = f"{PARTS}.l{int(layer_id)}_v{int(version)}"
        op.execute(f"CREATE TABLE {name} PARTITION OF layer_feature FOR VALUES FROM ({int(layer_id)}, "
                   f"{int(version)}) TO ({int(layer_id)}, {int(version) + 1})")
    op.execute("INSERT INTO layer_feature (id, layer_id, version, properties, geom) "
               "SELECT id, layer_id, version, properties, geom FROM layer_feature_unpartitioned")
    op.execute("DROP TABLE layer_feature_unpartitioned")


def downgrade() -> None:
    op.execute("ALTER TABLE layer_feature RENAME TO layer_feature_partitioned")
    op.execute("ALTER TABLE layer_feature_partitioned RENAME CONSTRAINT pk_layer_feature TO pk_layer_feature_new")
    op.execute("ALTER TABLE layer_feature_partitioned RENAME CONSTRAINT fk_layer_feature_layer_id_layer "
               "TO fk_layer_feature_new_layer")
    op.execute("ALTER INDEX idx_layer_feature_geom RENAME TO idx_layer_feature_new_geom")
    op.execute("ALTER SEQUENCE layer_feature_id_seq OWNED BY NONE")
    op.execute(
        "CREATE TABLE layer_feature ("
        " id integer NOT NULL DEFAULT nextval('layer_feature_id_seq'),"
        " layer_id integer NOT NULL, version integer NOT NULL, properties jsonb NOT NULL,"
        " geom geometry(Geometry, 4326) NOT NULL,"
        " CONSTRAINT pk_layer_feature PRIMARY KEY (id),"
        " CONSTRAINT fk_layer_feature_layer_id_layer FOREIGN KEY (layer_id) REFERENCES layer (id) ON DELETE CASCADE)")
    op.execute("ALTER SEQUENCE layer_feature_id_seq OWNED BY layer_feature.id")
    op.execute("INSERT INTO layer_feature (id, layer_id, version, properties, geom) "
               "SELECT id, layer_id, version, properties, geom FROM layer_feature_partitioned")
    op.execute("DROP TABLE layer_feature_partitioned")  # and its partitions
    op.execute(f"DROP SCHEMA IF EXISTS {PARTS} CASCADE")
    op.execute("CREATE INDEX idx_layer_feature_geom ON layer_feature USING gist (geom)")
    op.execute("CREATE INDEX ix_layer_feature_layer_id_version ON layer_feature (layer_id, version)")
