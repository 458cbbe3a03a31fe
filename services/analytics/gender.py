"""Gender-responsiveness of the support: gender markers, women among deployed experts, gender outputs."""

from __future__ import annotations

from dataclasses import dataclass

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
    markers = {str(m): 0 for m in GenderMarker}
    for marker, n in session.execute(
        deployments_in_scope(filt, Deployment.gender_marker, func.count()).group_by(Deployment.gender_marker)
    ):
        markers[str(marker)] = int(n)
    genders = {str(g): 0 for g in Gender}
    for gender, n in session.execute(
        deployments_in_scope(filt, Expert.gender, func.count(func.distinct(Expert.id))).group_by(Expert.gender)
    ):
        genders[str(gender)] = int(n)
    planned, delivered = session.execute(deployments_in_scope(
        filt, func.coalesce(func.sum(Deployment.gender_outputs_planned), 0),
        func.coalesce(func.sum(Deployment.gender_outputs_delivered), 0),
    )).one()
    binary = genders[Gender.FEMALE] + genders[Gender.MALE]
    return GenderSummary(
        by_marker=markers, experts_by_gender=genders,
        women_share=round(genders[Gender.FEMALE] / binary, 4) if binary else None,
        outputs_planned=int(planned), outputs_delivered=int(delivered),
    )
