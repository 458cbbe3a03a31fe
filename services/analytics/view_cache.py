"""The operations map's answers kept per version of the data, so that a view seen before comes back at once.

A leader who removes a chip, resets the filters, or opens a link a colleague has just opened asks for a view the
hub has computed already; its charts scan up to every deployment (hundreds of milliseconds at 100,000), a kept
answer costs a lookup. The key holds the data versions the transaction sees (models.data_version: a counter per
table the map reads, bumped by triggers on every write to it), so an answer is never served once the data it
came from has changed, there is no invalidation to forget, and a login, a token use or an audit row (tables the
map does not read) keeps every answer. A transaction that has written is neither served nor stored: it sees its
own uncommitted rows, which nobody else may be shown.

Kept in process memory by cachelib's SimpleCache, which stores pickled copies (no caller can change a kept
answer) and drops entries past its threshold: with several workers, each keeps its own. With HUB_REDIS_URL, in
Redis by cachelib's RedisCache instead: one answer for every worker and host, under the same key, so an answer
one worker computed is a hit for the others. Redis bounds it by the timeout (and its own ``maxmemory``), not
by the entry count. If Redis does not answer, the map computes as if nothing were kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import pickle
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar, cast

import redis
from cachelib import BaseCache, RedisCache, SimpleCache
from cachelib.serializers import RedisSerializer
from sqlalchemy.orm import Session

from services.analytics.versions import data_versions

T = TypeVar("T")

log = logging.getLogger(__name__)

# An answer outlives its data only until the next write to a table the map reads; the timeout just bounds
# memory on a quiet hub.
TIMEOUT_SECONDS = 3600


class _SignedPickle(RedisSerializer):
    """Pickles as cachelib does, behind an HMAC of the hub's secret key: the answers are typed dataclasses (dates,
    Decimals) that JSON would flatten, and a value anyone else wrote into Redis is refused, never unpickled."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"hub-view-cache:" + secret.encode()).digest()

    def dumps(self, value: Any, protocol: int = pickle.HIGHEST_PROTOCOL) -> bytes:
        body = pickle.dumps(value, protocol)
        return hmac.digest(self._key, body, "sha256") + body

    def loads(self, value: bytes | None) -> Any:
        if value is None or len(value) < 32:
            return None
        mac, body = value[:32], value[32:]
        if not hmac.compare_digest(mac, hmac.digest(self._key, body, "sha256")):
            log.warning("a map answer in Redis has a wrong signature: ignored")
            return None
        return pickle.loads(body)  # noqa: S301 - signed with the hub's secret key just above


class ViewCache:
    def __init__(self, entries: int, redis_url: str | None = None, secret: str = "") -> None:
        """``entries`` <= 0 turns the cache off; ``redis_url`` keeps the answers in Redis, shared by every worker,
        signed with ``secret`` (the hub's secret key, the same on every worker)."""
        self._store: BaseCache | None = None
        self.shared = False
        if entries > 0 and redis_url:
            store = RedisCache(host=redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2),
                               key_prefix="hub:map-answer:", default_timeout=TIMEOUT_SECONDS)
            store.serializer = _SignedPickle(secret)
            self._store, self.shared = store, True
        elif entries > 0:
            self._store = SimpleCache(threshold=entries, default_timeout=TIMEOUT_SECONDS)
        # SimpleCache prunes by iterating its dict, which another thread's set could change mid-way (the
        # development server and threaded workers serve requests in threads). Redis needs no lock.
        self._lock: AbstractContextManager[Any] = nullcontext() if self.shared else threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, session: Session, key: Mapping[str, Any], compute: Callable[[], T]) -> T:
        """The answer for ``key`` (everything the answer depends on besides the data) in this session's
        data (its data versions): kept, or computed by ``compute`` with the same session and kept."""
        if self._store is None:
            return compute()
        digest = self.digest(session, key)
        if digest is None:
            return compute()
        try:
            with self._lock:
                kept = self._store.get(digest)
        except redis.RedisError as exc:  # the map answers without the cache rather than fail
            log.warning("the map's answer cache is unreachable: %s", exc)
            return compute()
        if kept is not None:
            self.hits += 1
            log.debug("map answer hit %s", digest[:12])
            # The store holds only what compute() returned for this digest (keyed by the answer's inputs and the
            # data versions, signed when shared), so a hit is a T; cachelib's get() is untyped.
            return cast(T, kept)
        self.misses += 1
        log.debug("map answer miss %s", digest[:12])
        value = compute()
        try:
            with self._lock:
                self._store.set(digest, value)
        except redis.RedisError as exc:
            log.warning("the map's answer cache is unreachable: %s", exc)
        return value

    @staticmethod
    def digest(session: Session, key: Mapping[str, Any]) -> str | None:
        """The cache key of ``key`` in this transaction's data; None when the transaction has written."""
        versions, clean = data_versions(session)
        if not clean:
            return None
        return hashlib.sha256(json.dumps({"key": key, "versions": versions}, sort_keys=True, default=str)
                              .encode()).hexdigest()

    def clear(self) -> None:
        if self._store is not None:
            with self._lock:
                self._store.clear()  # RedisCache deletes its own prefix's keys only
