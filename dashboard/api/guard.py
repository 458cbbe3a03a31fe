"""Role checks for API views (login itself is enforced for every /api route by the request guard)."""

from __future__ import annotations

from flask_login import current_user

from services.access import Permission, Principal
from services.errors import Forbidden


def require(permission: Permission) -> Principal:
    principal: Principal = current_user.principal
    if not principal.can(permission):
        raise Forbidden(f"Your role ({principal.role.value}) does not allow this.")
    return principal
