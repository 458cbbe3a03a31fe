"""The embedded cluster: created, reused, repaired when half-made, and stopped."""

from __future__ import annotations

from pathlib import Path

import psycopg

from models.embedded_pg import EmbeddedPostgres


def test_half_initialised_cluster_is_rebuilt_then_reused(tmp_path: Path) -> None:
    cluster = EmbeddedPostgres(tmp_path / "data")
    # What an interrupted initdb leaves: a pg folder with some files and no completion marker.
    cluster.pgdata.mkdir(parents=True)
    (cluster.pgdata / "PG_VERSION").write_text("15\n")
    (cluster.pgdata / "garbage").write_text("half made")
    try:
        cluster.start()
        assert cluster.is_running()
        assert not (cluster.pgdata / "garbage").exists()
        cluster.ensure_database("probe")
        with psycopg.connect(f"host={cluster.socket_dir} user=hub dbname=probe") as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        # A second start reuses the running cluster and its data.
        assert cluster.ensure_initialised() is False
        cluster.start()
        cluster.ensure_database("probe")
    finally:
        assert cluster.stop() is True
    assert not cluster.is_running()
    assert cluster.stop() is False


def test_socket_folder_is_private(settings) -> None:
    cluster = EmbeddedPostgres(settings.data_dir)
    cluster.start()
    assert cluster.socket_dir.stat().st_mode & 0o777 == 0o700
