"""The logged-in user as Flask-Login sees it: a detached copy of the row, never an ORM object across requests."""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import UserMixin

from models.auth import User
from models.enums import Role
from services.access import Permission, Principal


@dataclass
class HubUser(UserMixin):
    user_id: int
    username: str
    display_name: str
    role: Role
    locale: str
    session_epoch: int
    via_token: bool = False
    expert_id: int | None = None

    @classmethod
    def from_row(cls, row: User, via_token: bool = False) -> HubUser:
        return cls(row.id, row.username, row.display_name, Role(row.role), row.locale, row.session_epoch, via_token,
                   row.expert_id)

    def get_id(self) -> str:
        # The epoch is part of the id: a password reset or deactivation bumps it and ends every open session.
        return f"{self.user_id}:{self.session_epoch}"

    @property
    def principal(self) -> Principal:
        return Principal(self.user_id, self.username, self.role, self.expert_id)

    def can(self, permission: Permission) -> bool:
        return self.principal.can(permission)
