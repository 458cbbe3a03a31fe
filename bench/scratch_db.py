"""The database a bench runs in: its own, in the embedded cluster, so a bench never touches the hub's data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from models import migrate
from models.embedded_pg import EmbeddedPostgres
from models.settings import Settings


@contextmanager
def scratch_database(name: str, settings: Settings | None = None, *, keep: bool = False) -> Iterator[str]:
    """The URL of database ``name``, empty and at the latest migration, dropped when the block ends. With
    ``keep`` a database kept by an earlier run is reused and this one is kept. Engines on it must be disposed of
    inside the block, before the drop."""
    cluster = EmbeddedPostgres((settings or Settings()).data_dir)
    cluster.start()
    if not keep:
        cluster.drop_database(name)
    cluster.ensure_database(name)
    url = cluster.url(name)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        if not keep:
            cluster.drop_database(name)
