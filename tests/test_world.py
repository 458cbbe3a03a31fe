"""The pinned test world: the baseline is generated on WORLD_TODAY with WORLD_SEED, the same every day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models import DataLoad
from tests.factories import BASELINE_EXPERTS, WORLD_HORIZON_DAYS, WORLD_SEED, WORLD_TODAY


def test_the_baseline_is_the_pinned_world(session) -> None:
    detail = session.scalar(select(DataLoad.detail).where(DataLoad.kind == "demo"))
    assert (detail["today"], detail["seed"], detail["experts"]) == (WORLD_TODAY.isoformat(), WORLD_SEED,
                                                                    BASELINE_EXPERTS)


def test_the_machine_date_is_within_the_worlds_horizon() -> None:
    """The pages and the API read the machine's clock (the map's default period, today's figures); the tests that
    go through them hold while the world's plans still reach the machine's date."""
    behind = (date.today() - WORLD_TODAY).days
    assert behind <= WORLD_HORIZON_DAYS, (
        f"WORLD_TODAY ({WORLD_TODAY}) is {behind} days behind the machine's date: move it (tests/factories.py) to a "
        "recent day; the whole world moves with it.")


def test_no_test_module_imports_another() -> None:
    """Shared builders live in tests/factories.py and tests/browser/actions.py; a test importing another test
    module (or a conftest) runs that module's fixtures and tests twice and ties them together."""
    import re
    from pathlib import Path

    here = Path(__file__).resolve().parent
    pattern = re.compile(r"^\s*(from|import)\s+tests\.(browser\.)?(conftest|test_\w+|surge_fixtures)\b", re.M)
    found = [f"{path.relative_to(here)}: {m.group(0).strip()}" for path in here.rglob("*.py")
             for m in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert not found, found
