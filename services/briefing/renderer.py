"""Briefing packs rendered in a process of their own, at a lower CPU priority than the web workers.

A pack costs about a second and a half of CPU (the suppression's linear programs, then matplotlib and
python-pptx or reportlab), all of it under the GIL. Rendered in a web worker it stalls that worker's other
threads, each of them waiting for the GIL again after every database round trip, and a few briefers at once take
the cores that the leaders' filters and the planners' rankings need (bench/load: a map filter's p95 was 1.8 s at
50 users, with packs rendered in the workers). So each web worker hands its packs to one child process:

- **spawned**, not forked: a gunicorn worker runs threads, and a fork copies locks that another thread holds;
- **niced** (``PACK_NICE``): when the cores are busy, the scheduler serves the interactive requests first and the
  pack takes longer; when they are idle, the pack takes what it took before;
- **one at a time per worker**: a worker's packs queue for its child, so packs never take more than a core each
  for two workers, however many briefers ask;
- the worker's thread waits for the bytes without holding the GIL.

The child opens its own connection and reads the view in a transaction of its own; the audit event of the
download stays with the request. A database outage in the child comes back as the same psycopg error the request
would have raised (the outage page, 503); a child that dies (killed, out of memory) is replaced once.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

import psycopg
from sqlalchemy import Engine

from models.db import first_line, is_outage, make_engine, make_session_factory, session_scope
from services.access import Principal
from services.briefing.aggregates import briefing_filter, briefing_view
from services.briefing.pack import build_pack, translator
from services.errors import HubError, Unavailable

log = logging.getLogger(__name__)

PACK_NICE = 10  # CFS weight 110 against a web worker's 1024: about a tenth of a contended core
PACK_TIMEOUT_S = 300  # queue and rendering together; the default view renders in about 1.5 s on an idle core

_engine: Engine | None = None  # the child's own


def _start(url: str, nice: int) -> None:
    """The child's start: lower priority, its own engine (one connection), the renderers' imports paid now."""
    global _engine
    os.nice(nice)
    _engine = make_engine(url, pool_size=1, max_overflow=1)
    import matplotlib  # noqa: F401 - the first pack would pay for these imports otherwise (about a second)
    import pptx  # noqa: F401
    import reportlab  # noqa: F401


def _render(principal: Principal, query: dict[str, str], lang: str, fmt: str, threshold: int
            ) -> tuple[str, Any]:
    """In the child: ("ok", bytes), ("hub", HubError), or ("outage", message). Errors are sent back as values: a
    SQLAlchemy error holding a live psycopg one does not survive pickling."""
    assert _engine is not None, "the pack process was not started with _start"
    try:
        with session_scope(make_session_factory(_engine)) as session:
            view = briefing_view(session, principal, briefing_filter(query), threshold=threshold, locale=lang)
            return "ok", build_pack(session, view, fmt, translator(lang))
    except HubError as error:
        return "hub", error
    except Exception as error:
        if is_outage(error):
            return "outage", first_line(error)
        raise RuntimeError(f"the briefing pack failed: {error!r}") from error  # its traceback comes back as text


class PackRenderer:
    """This process's child that renders packs (started on first use, again after a fork or a crash)."""

    def __init__(self, url: str, nice: int = PACK_NICE, timeout: float = PACK_TIMEOUT_S) -> None:
        self._url = url
        self._nice = nice
        self._timeout = timeout
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._pid = os.getpid()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            # A pool made before a fork (gunicorn forks its workers) belongs to the parent: each process has its own.
            if self._pool is None or self._pid != os.getpid():
                self._pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_start,
                                                 initargs=(self._url, self._nice))
                self._pid = os.getpid()
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def render(self, principal: Principal, query: dict[str, str], lang: str, fmt: str, threshold: int) -> bytes:
        """The pack's bytes; raises what the request would have (HubError, psycopg.OperationalError on an
        outage), or Unavailable when the queue and the rendering take longer than the timeout."""
        for attempt in (1, 2):
            pool = self._executor()
            try:
                kind, value = pool.submit(_render, principal, query, lang, fmt, threshold).result(self._timeout)
            except BrokenProcessPool:
                self._discard(pool)
                log.warning("the briefing pack process died; %s", "starting another" if attempt == 1 else "giving up")
                if attempt == 2:
                    raise
                continue
            except FutureTimeout:
                raise Unavailable("The briefing pack is taking longer than usual to prepare, as many are asked "
                                  "for at once. Try again in a few minutes.") from None
            if kind == "ok":
                return bytes(value)
            if kind == "hub":
                raise value
            # The request's own outage handling (dashboard/errors.py) answers 503, as for its own statements.
            raise psycopg.OperationalError(value)
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


_RENDERERS: dict[str, PackRenderer] = {}
_RENDERERS_LOCK = threading.Lock()


def renderer_for(engine: Engine) -> PackRenderer:
    """One renderer per database in this process (the test suite builds many apps on one database: one child)."""
    url = engine.url.render_as_string(hide_password=False)
    with _RENDERERS_LOCK:
        if url not in _RENDERERS:
            _RENDERERS[url] = PackRenderer(url)
        return _RENDERERS[url]


__all__ = ["PACK_NICE", "PACK_TIMEOUT_S", "PackRenderer", "renderer_for"]
