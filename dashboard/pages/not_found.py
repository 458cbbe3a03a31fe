"""The 404 page, in the hub's shell: Dash shows it for any path no page serves, and the index answers 404."""

from __future__ import annotations

import dash

from dashboard.i18n import _
from dashboard.security.pages import NOT_FOUND_MODULE, not_found_notice


def layout(**_kwargs: object) -> object:
    return not_found_notice()


def title(**_kwargs: object) -> str:
    return _("Page not found") + " · " + _("Standing Capacities Hub")


dash.register_page(NOT_FOUND_MODULE, layout=layout, path="/404", name="Not found", title=title)
