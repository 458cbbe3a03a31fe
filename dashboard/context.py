"""Per-application state (settings, engine, session factory, the map's answers) and the one session a request
uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, request
from flask_login import current_user
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models.db import session_scope
from models.settings import Settings
from services.access import Principal
from services.analytics.columnar import ColumnarStore
from services.analytics.view_cache import ViewCache
from services.audit import RequestOrigin


@dataclass
class HubContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    view_cache: ViewCache
    columnar: ColumnarStore | None = None  # None: HUB_ANALYTICS_ENGINE=postgres


def hub() -> HubContext:
    return current_app.extensions["hub"]


@contextmanager
def db_session() -> Iterator[Session]:
    """One transaction for this request: committed when the block ends, rolled back if it raises."""
    with session_scope(hub().session_factory) as session:
        yield session


def current_principal() -> Principal | None:
    if not current_user or not current_user.is_authenticated:
        return None
    return current_user.principal


def request_origin() -> RequestOrigin:
    return RequestOrigin(remote_addr=request.remote_addr, user_agent=request.headers.get("User-Agent"))
