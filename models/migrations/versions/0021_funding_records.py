"""funding records: source kinds, grant terms, open/closed and versions, ERP document numbers, monthly rates

Finance staff now keep the money in the hub. The rules between rows are the database's, as constraint
triggers (deferrable: a transaction may raise a grant and allocate the rise in either order; a service checks
them at once with SET CONSTRAINTS ... IMMEDIATE):
- allocation_within_grant: the allocations of a grant never exceed its amount net of programme support costs
  (amount / (1 + psc_rate)), and are in the grant's currency;
- expenditure_within_grant: no spending dated outside its grant's period, nor on a closed allocation or grant.
A refusal is a check_violation naming the constraint, with a JSON DETAIL (grant, amounts) the service turns into
a Problem. The grant's row is locked while its allocations are summed, so two concurrent allocations cannot
both pass. Exchange rates become data, one per currency per month (the HUB_USD_RATES setting is gone).

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALLOCATION_FUNCTION = """
CREATE FUNCTION allocation_within_grant() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    g record;
    gid integer;
    total numeric;
    net numeric;
BEGIN
    -- plpgsql resolves both branches of a CASE on NEW: an IF keeps to the table's own columns.
    IF TG_TABLE_NAME = 'grant_agreement' THEN
        gid := NEW.id;
    ELSE
        gid := NEW.grant_id;
    END IF;
    SELECT id, reference, amount, psc_rate, currency INTO g FROM grant_agreement WHERE id = gid
        FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM allocation WHERE grant_id = gid AND currency <> g.currency) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'allocation_within_grant',
            MESSAGE = format('An allocation of grant %s is not in the grant''s currency (%s)', g.reference,
                             g.currency),
            DETAIL = json_build_object('rule', 'allocation_currency', 'grant', g.reference, 'grant_id', g.id,
                                       'currency', g.currency)::text;
    END IF;
    SELECT coalesce(sum(amount), 0) INTO total FROM allocation WHERE grant_id = gid;
    net := round(g.amount / (1 + g.psc_rate), 2);
    IF total > net THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'allocation_within_grant',
            MESSAGE = format('The allocations of grant %s (%s %s) exceed its amount net of support costs (%s %s)',
                             g.reference, total, g.currency, net, g.currency),
            DETAIL = json_build_object('rule', 'over_allocated', 'grant', g.reference, 'grant_id', g.id,
                                       'currency', g.currency, 'allocated', total::text, 'net', net::text,
                                       'amount', g.amount::text, 'psc_rate', g.psc_rate::text)::text;
    END IF;
    RETURN NULL;
END $$
"""

EXPENDITURE_FUNCTION = """
CREATE FUNCTION expenditure_within_grant() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF TG_TABLE_NAME = 'grant_agreement' THEN
        SELECT e.document_number, e.spent_on, e.amount, e.currency INTO r
            FROM expenditure e JOIN allocation a ON a.id = e.allocation_id
            WHERE a.grant_id = NEW.id AND NOT (e.spent_on BETWEEN NEW.start_date AND NEW.end_date)
            ORDER BY e.spent_on LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'expenditure_within_grant',
                MESSAGE = format('Grant %s would run %s to %s, but expenditure %s is dated %s', NEW.reference,
                                 NEW.start_date, NEW.end_date, r.document_number, r.spent_on),
                DETAIL = json_build_object('rule', 'outside_period', 'grant', NEW.reference, 'grant_id', NEW.id,
                                           'start', NEW.start_date, 'end', NEW.end_date,
                                           'document_number', r.document_number, 'spent_on', r.spent_on,
                                           'amount', r.amount::text, 'currency', r.currency)::text;
        END IF;
        RETURN NULL;
    END IF;
    SELECT g.id, g.reference, g.start_date, g.end_date, g.status AS grant_status, a.status, a.purpose INTO r
        FROM allocation a JOIN grant_agreement g ON g.id = a.grant_id WHERE a.id = NEW.allocation_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF NOT (NEW.spent_on BETWEEN r.start_date AND r.end_date) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'expenditure_within_grant',
            MESSAGE = format('Expenditure %s (%s %s) is dated %s, outside grant %s (%s to %s)',
                             NEW.document_number, NEW.amount, NEW.currency, NEW.spent_on, r.reference,
                             r.start_date, r.end_date),
            DETAIL = json_build_object('rule', 'outside_period', 'grant', r.reference, 'grant_id', r.id,
                                       'start', r.start_date, 'end', r.end_date,
                                       'document_number', NEW.document_number, 'spent_on', NEW.spent_on,
                                       'amount', NEW.amount::text, 'currency', NEW.currency)::text;
    END IF;
    IF r.status <> 'open' OR r.grant_status <> 'open' THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'expenditure_within_grant',
            MESSAGE = format('Expenditure %s (%s %s) is on a closed %s of grant %s', NEW.document_number,
                             NEW.amount, NEW.currency,
                             CASE WHEN r.grant_status <> 'open' THEN 'grant' ELSE 'allocation' END, r.reference),
            DETAIL = json_build_object('rule', CASE WHEN r.grant_status <> 'open' THEN 'closed_grant'
                                                    ELSE 'closed_allocation' END,
                                       'grant', r.reference, 'grant_id', r.id, 'allocation', r.purpose,
                                       'document_number', NEW.document_number, 'amount', NEW.amount::text,
                                       'currency', NEW.currency)::text;
    END IF;
    RETURN NULL;
END $$
"""

TRIGGERS = {
    ("allocation_within_grant", "allocation"): "AFTER INSERT OR UPDATE OF grant_id, amount, currency",
    ("allocation_within_grant", "grant_agreement"): "AFTER UPDATE OF amount, psc_rate, currency",
    ("expenditure_within_grant", "expenditure"):
        "AFTER INSERT OR UPDATE OF allocation_id, spent_on, amount, currency",
    ("expenditure_within_grant", "grant_agreement"): "AFTER UPDATE OF start_date, end_date",
}


def upgrade() -> None:
    op.create_table(
        'exchange_rate',
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('usd_per_unit', sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f('ck_exchange_rate_currency_format')),
        sa.CheckConstraint('extract(day FROM month) = 1', name=op.f('ck_exchange_rate_first_of_month')),
        sa.CheckConstraint('usd_per_unit > 0', name=op.f('ck_exchange_rate_rate_positive')),
        sa.PrimaryKeyConstraint('currency', 'month', name=op.f('pk_exchange_rate')),
    )
    # Funding source kinds: programme support joins the regular budget and the trust funds.
    op.drop_constraint(op.f('ck_fund_fund_type'), 'fund', type_='check')
    op.create_check_constraint(
        op.f('ck_fund_fund_type'), 'fund', "fund_type IN ('regular_budget', 'extrabudgetary', 'programme_support')")

    op.add_column('donor', sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    op.add_column('grant_agreement', sa.Column('earmark_capacity_id', sa.Integer(), nullable=True))
    op.add_column('grant_agreement', sa.Column('earmark_mission_id', sa.Integer(), nullable=True))
    op.add_column('grant_agreement', sa.Column('earmark_theme', sa.String(length=120), nullable=True))
    op.add_column('grant_agreement', sa.Column('conditions', sa.Text(), nullable=True))
    op.add_column('grant_agreement', sa.Column('reporting_dates', postgresql.ARRAY(sa.Date()), server_default='{}',
                                               nullable=False))
    op.add_column('grant_agreement', sa.Column('status', sa.String(length=40), server_default='open', nullable=False))
    op.create_check_constraint(op.f('ck_grant_agreement_grant_status'), 'grant_agreement', "status IN ('open', 'closed')")
    op.add_column('grant_agreement', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.create_foreign_key(op.f('fk_grant_agreement_earmark_capacity_id_capacity'), 'grant_agreement', 'capacity',
                          ['earmark_capacity_id'], ['id'], ondelete='RESTRICT')
    op.create_foreign_key(op.f('fk_grant_agreement_earmark_mission_id_mission'), 'grant_agreement', 'mission',
                          ['earmark_mission_id'], ['id'], ondelete='RESTRICT')
    op.create_check_constraint(
        op.f('ck_grant_agreement_one_earmark'), 'grant_agreement', 'num_nonnulls(earmark_capacity_id, earmark_mission_id, earmark_theme) <= 1')

    op.add_column('allocation', sa.Column('cost_centre', sa.String(length=40), nullable=True))
    op.add_column('allocation', sa.Column('status', sa.String(length=40), server_default='open', nullable=False))
    op.create_check_constraint(op.f('ck_allocation_allocation_status'), 'allocation', "status IN ('open', 'closed')")
    op.add_column('allocation', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.create_unique_constraint(op.f('uq_allocation_grant_cost_centre'), 'allocation', ['grant_id', 'cost_centre'])

    # Lines written before the ERP's numbers were kept get one made from their id.
    op.add_column('expenditure', sa.Column('document_number', sa.String(length=40), nullable=True))
    op.execute("UPDATE expenditure SET document_number = 'HUB-' || id")
    op.alter_column('expenditure', 'document_number', nullable=False)
    op.create_unique_constraint(op.f('uq_expenditure_document_number'), 'expenditure', ['document_number'])
    op.add_column('expenditure', sa.Column('fund_centre', sa.String(length=40), nullable=True))
    op.add_column('expenditure', sa.Column('is_reversal', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('expenditure', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.execute("UPDATE expenditure SET is_reversal = true WHERE amount < 0")
    op.create_check_constraint(op.f('ck_expenditure_negative_only_reversal'), 'expenditure', 'amount >= 0 OR is_reversal')

    op.execute(ALLOCATION_FUNCTION)
    op.execute(EXPENDITURE_FUNCTION)
    for (name, table), when in TRIGGERS.items():
        op.execute(f"CREATE CONSTRAINT TRIGGER {name} {when} ON {table} DEFERRABLE INITIALLY DEFERRED "
                   f"FOR EACH ROW EXECUTE FUNCTION {name}()")


def downgrade() -> None:
    for (name, table) in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute("DROP FUNCTION expenditure_within_grant()")
    op.execute("DROP FUNCTION allocation_within_grant()")
    op.drop_constraint(op.f('ck_expenditure_negative_only_reversal'), 'expenditure', type_='check')
    op.drop_column('expenditure', 'version')
    op.drop_column('expenditure', 'is_reversal')
    op.drop_column('expenditure', 'fund_centre')
    op.drop_constraint(op.f('uq_expenditure_document_number'), 'expenditure', type_='unique')
    op.drop_column('expenditure', 'document_number')
    op.drop_constraint(op.f('uq_allocation_grant_cost_centre'), 'allocation', type_='unique')
    op.drop_column('allocation', 'version')
    op.drop_column('allocation', 'status')
    op.drop_column('allocation', 'cost_centre')
    op.drop_constraint(op.f('ck_grant_agreement_one_earmark'), 'grant_agreement', type_='check')
    op.drop_constraint(op.f('fk_grant_agreement_earmark_mission_id_mission'), 'grant_agreement', type_='foreignkey')
    op.drop_constraint(op.f('fk_grant_agreement_earmark_capacity_id_capacity'), 'grant_agreement',
                       type_='foreignkey')
    for column in ('version', 'status', 'reporting_dates', 'conditions', 'earmark_theme', 'earmark_mission_id',
                   'earmark_capacity_id'):
        op.drop_column('grant_agreement', column)
    op.drop_column('donor', 'version')
    op.execute("DELETE FROM fund WHERE fund_type = 'programme_support'")
    op.drop_constraint(op.f('ck_fund_fund_type'), 'fund', type_='check')
    op.create_check_constraint(op.f('ck_fund_fund_type'), 'fund', "fund_type IN ('regular_budget', 'extrabudgetary')")
    op.drop_table('exchange_rate')
