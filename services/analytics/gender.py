"""Gender-responsiveness of the support: gender markers, women among deployed experts, gender outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from models import Deployment, Expert
from models.enums import Gender, GenderMarker
from services.analytics.filters import MapFilter
from services.analytics.scope import deployments_in_scope


@dataclass(frozen=True)
class GenderSummary:
    by_marker: dict[str, int]  # deployments in scope by gender marker "0".."3"
    experts_by_gender: dict[str, int]  # distinct deployed experts in scope by gender
    women_share: float | None  # women among deployed experts whose gender is recorded as female or male
    outputs_planned: int
    outputs_delivered: int


def gender_summary(session: Session, filt: MapFilter) -> GenderSummary:
    """One pass over the deployments in scope (FILTERed aggregates), not one query a figure."""
    columns: list[Any] = [func.count().filter(Deployment.gender_marker == m) for m in GenderMarker]
    columns += [func.count(func.distinct(Expert.id)).filter(Expert.gender == g) for g in Gender]
    columns += [func.coalesce(func.sum(Deployment.gender_outputs_planned), 0),
                func.coalesce(func.sum(Deployment.gender_outputs_delivered), 0)]
    row = session.execute(deployments_in_scope(filt, *columns, lean=True)).one()
    markers = {str(m): int(n) for m, n in zip(GenderMarker, row[:len(GenderMarker)], strict=True)}
    genders = {str(g): int(n) for g, n in zip(Gender, row[len(GenderMarker):len(GenderMarker) + len(Gender)],
                                              strict=True)}
    planned, delivered = row[-2:]
    return summary_of(markers, genders, int(planned), int(delivered))


def summary_of(markers: dict[str, int], genders: dict[str, int], planned: int, delivered: int) -> GenderSummary:
    markers = {str(m): markers.get(str(m), 0) for m in GenderMarker}
    genders = {str(g): genders.get(str(g), 0) for g in Gender}
    binary = genders[Gender.FEMALE] + genders[Gender.MALE]
    return GenderSummary(
        by_marker=markers, experts_by_gender=genders,
        women_share=round(genders[Gender.FEMALE] / binary, 4) if binary else None,
        outputs_planned=planned, outputs_delivered=delivered,
    )
