"""The partitions of layer_feature, one a layer version (migration 0004).

The app's database role owns no table, so the DDL runs in the owner's SECURITY DEFINER functions
(migration 0013); a partition's name is built from two integers, never from text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import column, func, select, table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from models import LayerFeature

PARTS = "layer_feature_parts"  # the schema of layer_feature's partitions
# Two imports at once deadlocked: attaching a partition waits for a ShareRowExclusiveLock that the other import's
# earlier writes block, while that import waits on this one's DDL (found by the load test). A transaction that changes
# partitions takes this lock before its first write, so they run one at a time; it is released at commit or
# rollback, and taking it again in the same transaction is free. The number only names the lock.
PARTITION_DDL_LOCK = 0x4855_424C  # "HUBL"


def serialise_partition_ddl(session: Session) -> None:
    session.execute(select(func.pg_advisory_xact_lock(PARTITION_DDL_LOCK)))


def part_name(layer_id: int, version: int) -> str:
    return f"{PARTS}.l{int(layer_id)}_v{int(version)}"


def part(layer_id: int, version: int) -> Any:
    """The partition table of one layer version."""
    return table(f"l{int(layer_id)}_v{int(version)}", column("id"), column("layer_id"), column("version"),
                 column("properties", JSONB), column("geom"), schema=PARTS)


def new_partition(session: Session, layer_id: int, version: int) -> Any:
    """A fresh, unattached table for one layer version's features: loaded without indexes, then attached
    by ``attach``, which builds its indexes in one pass (as ogr2ogr builds its index after its COPY)."""
    serialise_partition_ddl(session)
    session.execute(select(func.hub_layer_part_create(int(layer_id), int(version))))
    return part(layer_id, version)


def attach(session: Session, layer_id: int, version: int) -> None:
    serialise_partition_ddl(session)
    session.execute(select(func.hub_layer_part_attach(int(layer_id), int(version))))


def drop_partition(session: Session, layer_id: int, version: int) -> None:
    serialise_partition_ddl(session)
    session.execute(select(func.hub_layer_part_drop(int(layer_id), int(version))))


def count_features(session: Session, layer_id: int, version: int) -> int:
    return session.scalar(select(func.count()).select_from(LayerFeature)
                          .where(LayerFeature.layer_id == layer_id, LayerFeature.version == version)) or 0
