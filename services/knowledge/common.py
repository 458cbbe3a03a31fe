"""What every knowledge record's service does the same way: load for a change with the version check, flush
with a concurrent change turned into a Conflict, and raise every problem at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from services.errors import Conflict, NotFound
from services.records.problems import Problem, Problems
from services.records.rulebook import RuleBook
from services.records.versioning import check_version

T = TypeVar("T")


def load(session: Session, model: type[T], record_id: int, what: str) -> T:
    found = session.get(model, record_id) if 0 < record_id <= 2_147_483_647 else None
    if found is None:
        raise NotFound(f"No {what} {record_id}.")
    return found


def load_for_change(session: Session, model: type[T], record_id: int, entity: str, expected: int | None) -> T:
    """The record, locked for this transaction, once the version the change was made against is its own."""
    record = load(session, model, record_id, entity.replace("_", " "))
    session.refresh(record, with_for_update=True)  # two writers queue here; the second sees the new version
    check_version(session, entity=entity, entity_id=record_id, current=record.version,  # type: ignore[attr-defined]
                  expected=expected)
    return record


def touch(record: Any) -> None:
    """Makes the parent's row change (its version with it) when only its children changed."""
    record.updated_at = func.now()


def flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as error:
        raise Conflict("Someone changed this record at the same moment: reload it and redo your change.") from error


def validate_change(book: RuleBook, data: Mapping[str, Any], current: Mapping[str, Any]
                    ) -> tuple[dict[str, Any], list[Problem]]:
    """A change of some fields (PATCH) checked as the whole record it makes, so that the checks across fields
    see the stored values of the fields not sent (an end date against the stored start). Returns the cleaned
    values of the fields sent only."""
    cleaned, problems = book.validate({**{k: current.get(k) for k in book.names}, **data})
    return {k: v for k, v in cleaned.items() if k in data}, problems


def refuse(problems: list[Problem]) -> None:
    if problems:
        raise Problems(problems)
