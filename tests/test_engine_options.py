"""The hub's engine (models.db.make_engine): no server-side prepared statements, so PostgreSQL plans each map
statement for its values instead of switching to a generic plan after a few runs."""

from __future__ import annotations

from sqlalchemy import text


def test_statements_run_many_times_are_never_prepared(server) -> None:  # type: ignore[no-untyped-def]
    with server.extensions["hub"].engine.connect() as conn:
        assert conn.connection.driver_connection.prepare_threshold is None
        for day in range(8):  # psycopg's default prepares from the fifth run of a statement
            conn.execute(text("SELECT CAST(:d AS date) + 1"), {"d": f"2026-01-0{day + 1}"})
        assert conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar() == 0
