"""The roles' names as people read them, translated: the one place that names a role (the navbar's user,
a layer's "Who sees it"). Role values (gis_editor) are identifiers and never shown."""

from __future__ import annotations

from dashboard.i18n import _l
from models.enums import Role

# Lazy strings (literals, so pybabel extracts them), rendered in the request's language when shown.
ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.GIS_EDITOR: _l("GIS editor"),
    Role.PLANNER: _l("Planner"),
    Role.FINANCE: _l("Finance"),
    Role.PROGRAMME: _l("Programme"),
    Role.VIEWER: _l("Viewer"),
    Role.BRIEFING: _l("Briefing"),
    Role.ASSESSMENT_OFFICER: _l("Assessment officer"),
    Role.EXPERT: _l("Expert (own record)"),
}


def role_label(role: Role | str) -> str:
    """The translated name of a role; an unknown value is shown as it is."""
    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return str(role)


def role_options(roles: list[Role] | None = None) -> list[dict[str, str]]:
    """Options for a checklist or dropdown of roles: the name shown, the value sent."""
    return [{"label": role_label(r), "value": r.value} for r in (roles if roles is not None else list(Role))]
