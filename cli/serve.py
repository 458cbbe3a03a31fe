"""Serving the hub from `hub run`: gunicorn, as in production, with the app built once before the workers fork."""

from __future__ import annotations

import gc
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    # gunicorn's documented way to embed it ("Custom Application"); no library wraps this better.
    def __init__(self, wsgi: Flask, options: dict[str, Any]) -> None:
        self._wsgi = wsgi
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._wsgi


def _post_worker_init(worker: Any) -> None:
    """Each worker loads its own columnar copy of the map's facts in the background (a thread does not survive
    the fork), so the first map request finds it ready."""
    store = worker.wsgi.extensions["hub"].columnar
    if store is not None:
        store.refresh()


def set_up_before_fork(wsgi: Flask) -> None:
    """Dash finishes setting itself up (gathers the callbacks, validates the layout, builds its script tags) on
    the first request, behind a check-then-set flag that two threads can pass together: a fresh worker's first
    concurrent requests raced it and one answered 500 ("dictionary changed size during iteration", found by
    bench/load/outage.py). One request here, in the master before the fork, does it once for every worker;
    /healthz reads no database, so no connection is opened for the workers to inherit."""
    answer = wsgi.test_client().get("/healthz")
    if answer.status_code != 200:
        raise RuntimeError(f"the hub does not answer its liveness check: {answer.status_code}")


def serve(wsgi: Flask, host: str, port: int, workers: int = 2, threads: int = 4) -> None:
    set_up_before_fork(wsgi)
    # The objects built so far (the app, its modules) live for the process: a full collection that walks them
    # again cost up to 190 ms in a request's tail. Frozen before the fork, they are also shared by the workers.
    gc.collect()
    gc.freeze()
    # The engine has opened no connection yet, so each forked worker starts with an empty pool of its own.
    _Gunicorn(wsgi, {
        "post_worker_init": _post_worker_init,
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 120,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        # gunicorn trusts X-Forwarded-Proto from 127.0.0.1 by default; the app decides (HUB_TRUSTED_PROXIES).
        "forwarded_allow_ips": "",
    }).run()
