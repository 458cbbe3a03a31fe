"""country.iso_a3: the ISO 3166-1 alpha-3 code the hub speaks at its edges

The country key stays Natural Earth's ADM0_A3 (SDS for South Sudan, SAH for Western Sahara, PSX for
Palestine, KOS for Kosovo): every foreign key uses it. Clients speak ISO 3166-1 alpha-3 (SSD, ESH, PSE), so
each country also holds its ISO code, filled by `hub reference load` from Natural Earth's ISO_A3, ISO_A3_EH
and ADM0_A3_IS (see geo.reference_files.read_countries). Kosovo has no ISO 3166 code: XKX, as the UN and
the EU use. Northern Cyprus and Somaliland have none either (ISO counts them in Cyprus and Somalia): null,
and the edge falls back to Natural Earth's own code (CYN, SOL), which no ISO country uses.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows already loaded: Natural Earth 4.1's keys that are not ISO codes (the loader keeps them right after).
FILL = """
    UPDATE country SET iso_a3 = CASE iso3 WHEN 'SDS' THEN 'SSD' WHEN 'SAH' THEN 'ESH' WHEN 'PSX' THEN 'PSE'
                                          WHEN 'KOS' THEN 'XKX' WHEN 'CYN' THEN NULL WHEN 'SOL' THEN NULL
                                          ELSE iso3 END
"""


def upgrade() -> None:
    op.add_column('country', sa.Column('iso_a3', sa.String(length=3), nullable=True))
    op.execute(FILL)
    op.create_unique_constraint(op.f('uq_country_iso_a3'), 'country', ['iso_a3'])
    op.create_check_constraint(op.f('ck_country_iso_a3_format'), 'country', "iso_a3 ~ '^[A-Z]{3}$'")


def downgrade() -> None:
    op.drop_constraint(op.f('ck_country_iso_a3_format'), 'country', type_='check')
    op.drop_constraint(op.f('uq_country_iso_a3'), 'country', type_='unique')
    op.drop_column('country', 'iso_a3')
