"""the app's database role: layer partitions through owner functions, no TRUNCATE of the audit log

The running app connects as a role that owns nothing (``hub_app`` in the embedded cluster, the user of
HUB_DATABASE_URL in production) and migrations run as the owner, so the app cannot TRUNCATE or alter
``audit_event`` (whose UPDATE and DELETE a trigger already refuses), nor any other table. The privileges
themselves are granted after every upgrade by ``models.migrate.grant_app_role`` (it knows the app's role;
a migration does not), with default privileges so that tables made later are covered.

One thing the app did as owner: a layer import creates, attaches and drops the partition of a layer version
(schema ``layer_feature_parts``, migration 0004), DDL that only the owner of ``layer_feature`` may run. These
three functions do it for the app, running as their owner (SECURITY DEFINER) with two integers as their only
input, the name built from them, and the search path pinned, so they can do nothing but that.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HEAD = ("(p_layer integer, p_version integer) RETURNS void LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path = pg_catalog, pg_temp AS $$\n")
CHECK = """
BEGIN
    IF p_layer IS NULL OR p_version IS NULL OR p_layer < 1 OR p_version < 1 THEN
        RAISE EXCEPTION 'layer % version %: not a layer version', p_layer, p_version USING ERRCODE = '22023';
    END IF;
"""
FUNCTIONS = {
    "hub_layer_part_create": CHECK + """
    IF NOT EXISTS (SELECT 1 FROM public.layer WHERE id = p_layer) THEN
        RAISE EXCEPTION 'no layer %', p_layer USING ERRCODE = '22023';
    END IF;
    -- The CHECK matches the partition bounds, so ATTACH need not scan the rows to prove them.
    EXECUTE format('CREATE TABLE layer_feature_parts.%I (LIKE public.layer_feature INCLUDING DEFAULTS, '
                   'CHECK (layer_id = %s AND version = %s))', 'l' || p_layer || '_v' || p_version, p_layer, p_version);
END
""",  # noqa: S608 - plpgsql text, no input: the function formats its two integers itself
    "hub_layer_part_attach": CHECK + """
    EXECUTE format('ALTER TABLE public.layer_feature ATTACH PARTITION layer_feature_parts.%I '
                   'FOR VALUES FROM (%s, %s) TO (%s, %s)', 'l' || p_layer || '_v' || p_version,
                   p_layer, p_version, p_layer, p_version + 1);
END
""",
    "hub_layer_part_drop": CHECK + """
    EXECUTE format('DROP TABLE IF EXISTS layer_feature_parts.%I', 'l' || p_layer || '_v' || p_version);
END
""",
}


def upgrade() -> None:
    for name, body in FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}{HEAD}{body}$$")
        # Only the roles granted it by models.migrate.grant_app_role may call it, not every role (PUBLIC).
        op.execute(f"REVOKE ALL ON FUNCTION {name}(integer, integer) FROM PUBLIC")


def downgrade() -> None:
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}(integer, integer)")
