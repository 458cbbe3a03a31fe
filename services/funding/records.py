"""Writing the funding records: create, edit and close donors, grants, allocations, expenditures and rates of
exchange. Each write checks the record's rule book and what needs the database (the grant, donor, allocation
exist), refuses a stale version with who changed what, is audited with its before and after values, and has
the database's rules checked at once (``rules.enforce_now``). The caller commits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Allocation, Capacity, Deployment, Donor, ExchangeRate, Expenditure, Fund, Grant, Mission, Project
from models.enums import RecordStatus
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.errors import NotFound
from services.funding import rules
from services.records import Problem, Problems, RuleBook, audit_change, check_version, snapshot

Resolver = Callable[[Session, dict[str, Any], Any], list[Problem]]


def _exists(session: Session, model: type, name: str, values: Mapping[str, Any]) -> list[Problem]:
    value = values.get(name)
    if value is None or session.get(model, value) is not None:
        return []
    return [Problem(name, "unknown", {"value": value})]


def _grant_refs(session: Session, values: dict[str, Any], _current: Any) -> list[Problem]:
    return [p for model, name in ((Fund, "fund_id"), (Donor, "donor_id"), (Capacity, "earmark_capacity_id"),
                                  (Mission, "earmark_mission_id"))
            for p in _exists(session, model, name, values)]


def _allocation_refs(session: Session, values: dict[str, Any], _current: Any) -> list[Problem]:
    problems = _exists(session, Grant, "grant_id", values) + _exists(session, Project, "project_id", values)
    grant = session.get(Grant, values["grant_id"]) if not problems else None
    if grant is not None:
        values["currency"] = grant.currency  # an allocation is in its grant's currency
    return problems


def _expenditure_refs(session: Session, values: dict[str, Any], _current: Any) -> list[Problem]:
    problems = _exists(session, Allocation, "allocation_id", values) + _exists(session, Deployment, "deployment_id",
                                                                              values)
    allocation = session.get(Allocation, values["allocation_id"]) if not problems else None
    if allocation is not None and values.get("currency") != allocation.currency:
        problems.append(Problem("currency", "currency_mismatch", {"currency": allocation.currency}))
    return problems


def _nothing(_session: Session, _values: dict[str, Any], _current: Any) -> list[Problem]:
    return []


@dataclass(frozen=True)
class Kind:
    entity: str  # the audit's entity
    model: type
    book: RuleBook
    resolve: Resolver
    closable: bool = False

    @property
    def names(self) -> list[str]:
        extra = ["status"] if self.closable else []
        return [*self.book.names, *extra, *(["currency"] if self.entity == "allocation" else [])]


DONORS = Kind("donor", Donor, rules.DONOR, _nothing)
GRANTS = Kind("grant", Grant, rules.GRANT, _grant_refs, closable=True)
ALLOCATIONS = Kind("allocation", Allocation, rules.ALLOCATION, _allocation_refs, closable=True)
EXPENDITURES = Kind("expenditure", Expenditure, rules.EXPENDITURE, _expenditure_refs)
RATES = Kind("exchange_rate", ExchangeRate, rules.RATE, _nothing)


def _key_of(obj: Any) -> Any:
    if isinstance(obj, ExchangeRate):
        return f"{obj.currency}:{obj.month:%Y-%m}"
    return obj.id


def get_record(session: Session, kind: Kind, key: Any) -> Any:
    obj = session.get(kind.model, key)
    if obj is None:
        raise NotFound(f"No {kind.entity.replace('_', ' ')} {key}.")
    return obj


def create(session: Session, principal: Principal, kind: Kind, data: Mapping[str, Any],
           origin: RequestOrigin | None = None) -> Any:
    principal.require(Permission.MANAGE_FUNDING)
    values = kind.book.clean(data)
    if problems := kind.resolve(session, values, None):
        raise Problems(problems)
    obj = kind.model(**values)
    rules.enforce_now(session, lambda: session.add(obj), values)
    audit_change(session, principal, f"{kind.entity}.create", entity=kind.entity, entity_id=_key_of(obj),
                 before=None, after=snapshot(obj, kind.names), origin=origin)
    return obj


def update(session: Session, principal: Principal, kind: Kind, key: Any, data: Mapping[str, Any],
           expected_version: int | None, origin: RequestOrigin | None = None) -> Any:
    """Changes the fields given (the others keep their values); the whole record is checked again."""
    principal.require(Permission.MANAGE_FUNDING)
    obj = get_record(session, kind, key)
    check_version(session, entity=kind.entity, entity_id=_key_of(obj), current=obj.version, expected=expected_version)
    if kind.closable and obj.status == RecordStatus.CLOSED and data.get("status") != RecordStatus.OPEN.value:
        raise Problems([Problem("status", "closed_record")])
    current = {name: getattr(obj, name) for name in kind.book.names}
    values = kind.book.clean({**current, **{k: v for k, v in data.items() if k in kind.book.fields_by_name}})
    if problems := kind.resolve(session, values, obj):
        raise Problems(problems)
    before = snapshot(obj, kind.names)

    def write() -> None:
        for name, value in values.items():
            setattr(obj, name, value)

    rules.enforce_now(session, write, dict(data))
    audit_change(session, principal, f"{kind.entity}.update", entity=kind.entity, entity_id=_key_of(obj),
                 before=before, after=snapshot(obj, kind.names), origin=origin)
    return obj


def set_status(session: Session, principal: Principal, kind: Kind, key: Any, status: RecordStatus,
               expected_version: int | None, origin: RequestOrigin | None = None) -> Any:
    """Closes (or reopens) a grant or an allocation: a closed one takes no more spending."""
    principal.require(Permission.MANAGE_FUNDING)
    if not kind.closable:
        raise NotFound(f"A {kind.entity} is not closed.")
    obj = get_record(session, kind, key)
    check_version(session, entity=kind.entity, entity_id=obj.id, current=obj.version, expected=expected_version)
    before = snapshot(obj, kind.names)
    rules.enforce_now(session, lambda: setattr(obj, "status", RecordStatus(status)))
    action = "close" if obj.status == RecordStatus.CLOSED else "reopen"
    audit_change(session, principal, f"{kind.entity}.{action}", entity=kind.entity, entity_id=obj.id,
                 before=before, after=snapshot(obj, kind.names), origin=origin)
    return obj


def delete(session: Session, principal: Principal, kind: Kind, key: Any, expected_version: int | None,
           origin: RequestOrigin | None = None) -> None:
    """Only a rate of exchange is deleted (a figure of its month then says it has no rate); money records
    are closed or reversed, never deleted."""
    principal.require(Permission.MANAGE_FUNDING)
    if kind is not RATES:
        raise NotFound(f"A {kind.entity} is not deleted: close or reverse it.")
    obj = get_record(session, kind, key)
    check_version(session, entity=kind.entity, entity_id=_key_of(obj), current=obj.version, expected=expected_version)
    before = snapshot(obj, kind.names)
    session.delete(obj)
    session.flush()
    audit_change(session, principal, f"{kind.entity}.delete", entity=kind.entity, entity_id=_key_of(obj),
                 before=before, after=None, origin=origin)


def rate_key(currency: str, month: str | date) -> tuple[str, date]:
    """The key of a rate from the API's path ("EUR", "2026-11")."""
    values, problems = rules.RATE.validate({"currency": currency, "month": month, "usd_per_unit": 1})
    if problems:
        raise Problems(problems)
    return values["currency"], values["month"]


def funds(session: Session) -> list[Fund]:
    return list(session.scalars(select(Fund).order_by(Fund.fund_type, Fund.code)))


def list_donors(session: Session) -> list[Donor]:
    return list(session.scalars(select(Donor).order_by(Donor.name)))


def list_rates(session: Session) -> list[ExchangeRate]:
    return list(session.scalars(select(ExchangeRate).order_by(ExchangeRate.month.desc(), ExchangeRate.currency)))


__all__ = ["ALLOCATIONS", "DONORS", "EXPENDITURES", "GRANTS", "RATES", "Kind", "create", "delete", "funds",
           "get_record", "list_donors", "list_rates", "rate_key", "set_status", "update"]
