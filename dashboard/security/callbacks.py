"""Every Dash callback declares the roles it allows, and the server enforces it.

``secured_callback`` wraps ``dash.callback`` and records the roles under the callback's key (the same
key Dash uses in ``app.callback_map`` and sends as ``output`` to ``/_dash-update-component``). The
request guard refuses a callback without a rule: deny by default.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import dash
from dash import _callback as dash_callback_registry
from dash.exceptions import PreventUpdate
from flask_login import current_user

from models.enums import Role
from services.access import ALL_ROLES, Permission, roles_with

# The Dash minor version whose private callback registry (dash._callback.GLOBAL_CALLBACK_MAP) _register was checked
# against; pyproject pins it, and tests/test_callback_guard.py checks both the pin and the registry.
CHECKED_DASH = "4.4"
CALLBACK_ROLES: dict[str, frozenset[Role]] = {}
# Dash's own page-routing callbacks: they only render layouts, and each layout checks its roles.
INTERNAL_OUTPUT_PREFIXES = ("_pages",)
# Client-side callbacks: listed by Dash, run only in the browser.
CLIENTSIDE_KEYS: set[str] = set()


def _allowed(roles: Permission | Iterable[Role]) -> frozenset[Role]:
    if isinstance(roles, Permission):
        return roles_with(roles)
    return frozenset(Role(r) for r in roles)


def _register(register: Callable[[], Any], allowed: frozenset[Role], what: str) -> tuple[Any, set[str]]:
    """Runs Dash's registration and records the roles under the key(s) it added to Dash's callback map."""
    if not allowed:
        raise ValueError("a callback must allow at least one role")
    before = set(dash_callback_registry.GLOBAL_CALLBACK_MAP)
    registered = register()
    added = set(dash_callback_registry.GLOBAL_CALLBACK_MAP) - before
    if not added:
        raise RuntimeError(f"could not find the callback key of {what}")
    for key in added:
        CALLBACK_ROLES[key] = allowed
    return registered, added


def secured_callback(*args: Any, roles: Permission | Iterable[Role], **kwargs: Any) -> Callable:
    """``dash.callback`` with a role rule; positional or flexible signatures (``output=dict(...)``,
    ``inputs=dict(...)``, ``state=dict(...)``): Dash calls the function with keywords for the latter."""
    allowed = _allowed(roles)

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def checked(*f_args: Any, **f_kwargs: Any) -> Any:
            # The request guard has refused foreign roles already; this keeps the rule if the guard is bypassed.
            if not current_user.is_authenticated or current_user.role not in allowed:
                raise PreventUpdate
            return func(*f_args, **f_kwargs)

        registered, _keys = _register(lambda: dash.callback(*args, **kwargs)(checked), allowed, func.__qualname__)
        return registered

    return decorate


def secured_clientside_callback(*args: Any, roles: Permission | Iterable[Role], **kwargs: Any) -> None:
    """A client-side callback with the roles of the page it serves. It runs in the browser and has no server
    endpoint, so the guard refuses any request for it; the rule is recorded so that every callback Dash
    serves carries one (the security test checks that)."""
    _none, keys = _register(lambda: dash.clientside_callback(*args, **kwargs), _allowed(roles),
                            "a client-side callback")
    CLIENTSIDE_KEYS.update(keys)


def is_internal(key: str) -> bool:
    outputs = [part for part in key.strip(".").split("...") if part]
    return bool(outputs) and all(out.lstrip(".").startswith(INTERNAL_OUTPUT_PREFIXES) for out in outputs)


def roles_for(key: str) -> frozenset[Role] | None:
    """The roles a callback allows, or None when it has no rule (and must be refused)."""
    if key in CALLBACK_ROLES:
        return CALLBACK_ROLES[key]
    if is_internal(key):
        return ALL_ROLES
    return None
