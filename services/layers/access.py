"""Who sees which layer.

A published layer is seen by the roles in ``visible_to_roles`` (empty: every role but briefing); the
briefing role sees only layers marked ``in_briefings``; roles with MANAGE_LAYERS see every layer, drafts and
archived ones included, to manage them. An unknown or unpublished layer is NotFound to everyone else; a
published one outside the role is Forbidden.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, any_, func, literal, or_, select, true
from sqlalchemy.orm import Session

from models import Layer
from models.enums import LayerStatus, Role
from services.access import Permission, Principal
from services.errors import Forbidden, NotFound


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    if principal.can(Permission.MANAGE_LAYERS):
        return true()
    if principal.role == Role.BRIEFING:
        return Layer.in_briefings.is_(True)
    return or_(func.cardinality(Layer.visible_to_roles) == 0,
               literal(principal.role.value) == any_(Layer.visible_to_roles))


def layer_for(session: Session, principal: Principal, slug: str, *, manage: bool = False) -> Layer:
    """The layer this principal may see (or manage); NotFound or Forbidden as the rules above say."""
    if manage:
        principal.require(Permission.MANAGE_LAYERS)
    layer = session.scalar(select(Layer).where(Layer.slug == slug))
    managing = principal.can(Permission.MANAGE_LAYERS)
    if layer is None or (layer.status != LayerStatus.PUBLISHED and not managing):
        raise NotFound(f"No layer {slug!r}.")
    if not session.scalar(select(visible_clause(principal)).select_from(Layer).where(Layer.id == layer.id)):
        raise Forbidden(f"Your role ({principal.role.value}) may not see layer {slug!r}.")
    return layer


def published_layer_for(session: Session, principal: Principal, slug: str) -> Layer:
    """The layer as a collection of the OGC API: published only, even for those who manage layers."""
    layer = layer_for(session, principal, slug)
    if layer.status != LayerStatus.PUBLISHED:
        raise NotFound(f"No published layer {slug!r}.")
    return layer
