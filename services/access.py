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
    MANAGE_LAYERS = "manage_layers"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.PLANNER: frozenset({P.VIEW_AGGREGATES, P.VIEW_OPERATIONS, P.VIEW_PERSON_NAMES, P.VIEW_PERSONNEL_DETAIL,
                             P.MANAGE_PERSONNEL, P.MANAGE_SURGE, P.VIEW_FUNDING}),
    Role.FINANCE: frozenset({P.VIEW_AGGREGATES, P.VIEW_OPERATIONS, P.VIEW_PERSON_NAMES, P.VIEW_FUNDING,
                             P.MANAGE_FUNDING}),
    Role.GIS_EDITOR: frozenset({P.VIEW_AGGREGATES, P.VIEW_OPERATIONS, P.MANAGE_LAYERS}),
    Role.VIEWER: frozenset({P.VIEW_AGGREGATES, P.VIEW_OPERATIONS, P.VIEW_PERSON_NAMES, P.VIEW_FUNDING}),
    Role.BRIEFING: frozenset({P.VIEW_AGGREGATES}),
}

ALL_ROLES: frozenset[Role] = frozenset(Role)


def roles_with(permission: Permission) -> frozenset[Role]:
    return frozenset(role for role, perms in ROLE_PERMISSIONS.items() if permission in perms)


@dataclass(frozen=True)
class Principal:
    """The user a request acts for, as the services see it (no Flask, no ORM object)."""

    user_id: int
    username: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"Your role ({self.role.value}) does not allow this ({permission.value}).")
