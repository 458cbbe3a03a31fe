"""Dash serves every page from one index route; its status now says what the page says: 404 for an address no
page serves, 403 for a page the user's role may not open, 200 otherwise. And <html lang> is the user's language."""

from __future__ import annotations

import pytest

from dashboard.security.pages import page_status
from models.enums import Role


@pytest.mark.parametrize(("path", "role", "status"), [
    ("/no-such-page", Role.ADMIN, 404),
    ("/experts/extra", Role.ADMIN, 404),
    ("/experts/99999999999", Role.ADMIN, 404),
    ("/experts/12", Role.VIEWER, 200),
    ("/experts/new", Role.PLANNER, 200),
    ("/experts/12", Role.BRIEFING, 403),
    ("/404", Role.ADMIN, 404),
    ("/layers", Role.VIEWER, 403),
    ("/surge", Role.VIEWER, 403),
    ("/experts", Role.BRIEFING, 403),
    ("/layers", Role.GIS_EDITOR, 200),
    ("/surge/requests/SR-2026-0001", Role.PLANNER, 200),
    ("/", Role.BRIEFING, 200),
])
def test_page_status_follows_dash_routing_and_roles(app, path: str, role: Role, status: int) -> None:
    assert page_status(path, role) == status


def test_unknown_address_answers_404_with_the_hub_page(logged_in) -> None:
    client = logged_in("viewer")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert 'id="react-entry-point"' in response.get_data(as_text=True)  # Dash renders the friendly page


def test_refused_page_answers_403_and_allowed_one_200(logged_in) -> None:
    client = logged_in("viewer")
    assert client.get("/layers").status_code == 403
    assert client.get("/map").status_code == 200
    assert client.get("/").status_code == 200


def test_anonymous_visitor_is_still_sent_to_login(client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_html_lang_is_the_users_language(logged_in) -> None:
    client = logged_in("viewer")
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    client.get("/lang/fr?next=/")
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)
