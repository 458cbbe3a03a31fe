"""Who may do and see what. One table of roles to permissions, checked by callbacks, the API and services.

The client can send any id, so services re-check with these rules; hiding a control is never the check.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from models.enums import Role
from services.errors import Forbidden


class Permission(enum.StrEnum):
    # Counts, shares, sums, and public reference data (missions, countries, sites); all the briefing role has.
    VIEW_AGGREGATES = "view_aggregates"
    VIEW_OPERATIONS = "view_operations"  # deployments and experts, without personal detail
    VIEW_PERSON_NAMES = "view_person_names"  # names of experts in lists, popups and exports
    VIEW_PERSONNEL_DETAIL = "view_personnel_detail"  # contract, grade, email, clearances, absences
    MANAGE_PERSONNEL = "manage_personnel"
    MANAGE_SURGE = "manage_surge"
    VIEW_FUNDING = "view_funding"
    MANAGE_FUNDING = "manage_funding"
    MANAGE_PROJECTS = "manage_projects"  # projects, their sites, milestones and results framework
    MANAGE_LAYERS = "manage_layers"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    # Assessments, their gap registers, reports and recommendations; lessons through their review workflow.
    MANAGE_ASSESSMENTS = "manage_assessments"
    # One's own expert record (Principal.expert_id): read it whole, keep its languages and absences.
    MANAGE_OWN_AVAILABILITY = "manage_own_availability"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Everything but the self-service of an expert record, which needs a linked expert an admin does not have.
    Role.ADMIN: frozenset(Permission) - {P.MANAGE_OWN_AVAILABILITY},
    Role.PLANNER: frozenset({P.VIEW_AGGREGATES, P.VIEW_OPERATIONS, P.VIEW_PERSON_NAMES, P.VIEW_PERSONNEL_DETAIL,
                             P.MANAGE_PERSONNEL, P.MANAGE_SURGE, P.VIEW_FUNDING, P.MANAGE_ASSESSMENTS}),
    Role.FINANCE: frozenset({P.VIEW_AGGREGATES, P.VIEW_OPERATIONS, P.VIEW_PERSON_NAMES, P.VIEW_FUNDING,
                             P.MANAGE_FUNDING}),
    Role.PROGRAMME: frozenset({P.VIEW_AGGREGATES, P.VIEW_OPERATIONS, P.VIEW_PERSON_NAMES, P.VIEW_FUNDING,
                               P.MANAGE_PROJECTS}),
    Role.GIS_EDITOR: frozenset({P.VIEW_AGGREGATES, P.VIEW_OPERATIONS, P.MANAGE_LAYERS}),
    Role.VIEWER: frozenset({P.VIEW_AGGREGATES, P.VIEW_OPERATIONS, P.VIEW_PERSON_NAMES, P.VIEW_FUNDING}),
    Role.BRIEFING: frozenset({P.VIEW_AGGREGATES}),
    Role.ASSESSMENT_OFFICER: frozenset({P.VIEW_AGGREGATES, P.VIEW_OPERATIONS, P.VIEW_PERSON_NAMES,
                                        P.MANAGE_ASSESSMENTS}),
    Role.EXPERT: frozenset({P.MANAGE_OWN_AVAILABILITY}),
}

ALL_ROLES: frozenset[Role] = frozenset(Role)

# An expert's fields and the permission each needs: the one rule read by the experts page, the API and any export
# of experts, so that no edge shows a role more than another. The briefing role (no VIEW_OPERATIONS) gets none.
EXPERT_FIELD_RULES: dict[str, Permission] = {
    "id": P.VIEW_PERSON_NAMES, "given_name": P.VIEW_PERSON_NAMES, "family_name": P.VIEW_PERSON_NAMES,
    "name": P.VIEW_PERSON_NAMES,
    "capacity": P.VIEW_OPERATIONS, "team": P.VIEW_OPERATIONS, "gender": P.VIEW_OPERATIONS,
    "nationality": P.VIEW_OPERATIONS, "duty_station": P.VIEW_OPERATIONS, "functional_title": P.VIEW_OPERATIONS,
    "status": P.VIEW_OPERATIONS, "mission": P.VIEW_OPERATIONS,  # employment status; where deployed today
    "staff_number": P.VIEW_PERSONNEL_DETAIL, "grade": P.VIEW_PERSONNEL_DETAIL,
    "contract_type": P.VIEW_PERSONNEL_DETAIL, "email": P.VIEW_PERSONNEL_DETAIL,
    "entry_on_duty": P.VIEW_PERSONNEL_DETAIL, "skills": P.VIEW_PERSONNEL_DETAIL,
    "languages": P.VIEW_PERSONNEL_DETAIL, "clearances": P.VIEW_PERSONNEL_DETAIL,
}


def roles_with(permission: Permission) -> frozenset[Role]:
    return frozenset(role for role, perms in ROLE_PERMISSIONS.items() if permission in perms)


@dataclass(frozen=True)
class Principal:
    """The user a request acts for, as the services see it (no Flask, no ORM object)."""

    user_id: int
    username: str
    role: Role
    expert_id: int | None = None  # the expert record an expert user keeps (role expert only)

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def expert_fields(self) -> frozenset[str]:
        """The expert fields (EXPERT_FIELD_RULES) this principal may see."""
        return frozenset(name for name, needed in EXPERT_FIELD_RULES.items() if self.can(needed))

    def sees_expert_field(self, name: str) -> bool:
        return name in self.expert_fields()

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"Your role ({self.role.value}) does not allow this ({permission.value}).")

    def own_expert(self) -> int:
        """The expert record this principal keeps; Forbidden for anyone without self-service or a link."""
        self.require(Permission.MANAGE_OWN_AVAILABILITY)
        if self.expert_id is None:
            raise Forbidden("Your user is linked to no expert record: ask an administrator.")
        return self.expert_id
