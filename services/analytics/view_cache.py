"""The operations map's answers kept per database snapshot, so that a view seen before comes back at once.

A leader who removes a chip, resets the filters, or opens a link a colleague has just opened asks for a view the
hub has computed already; its charts scan up to every deployment (hundreds of milliseconds at 100,000), a kept
answer costs a lookup. The key holds the database's snapshot (``pg_current_snapshot()``): any commit anywhere in
the database changes it, so an answer is never served once the data it came from has changed, and there is no
invalidation to forget. A transaction that has written is neither served nor stored: it sees its own
uncommitted rows, which nobody else may be shown.

Kept in process memory by cachelib's SimpleCache, which stores pickled copies (no caller can change a kept
answer) and drops entries past its threshold. With several workers each keeps its own; sharing them through
Redis (HUB_REDIS_URL) is not done yet.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from cachelib import SimpleCache
from sqlalchemy import text
from sqlalchemy.orm import Session

T = TypeVar("T")

# An answer outlives its snapshot only until the next commit; the timeout just bounds memory on a quiet hub.
TIMEOUT_SECONDS = 3600


class ViewCache:
    def __init__(self, entries: int) -> None:
        """``entries`` <= 0 turns the cache off."""
        self._store = SimpleCache(threshold=entries, default_timeout=TIMEOUT_SECONDS) if entries > 0 else None
        # SimpleCache prunes by iterating its dict, which another thread's set could change mid-way (the
        # development server and threaded workers serve requests in threads).
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, session: Session, key: Mapping[str, Any], compute: Callable[[], T]) -> T:
        """The answer for ``key`` (everything the answer depends on besides the data) in this session's
        snapshot: kept, or computed by ``compute`` with the same session and kept."""
        if self._store is None:
            return compute()
        snapshot, clean = session.execute(
            text("SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned() IS NULL")).one()
        if not clean:
            return compute()
        digest = hashlib.sha256(json.dumps({"key": key, "snapshot": snapshot}, sort_keys=True, default=str)
                                .encode()).hexdigest()
        with self._lock:
            kept = self._store.get(digest)
        if kept is not None:
            self.hits += 1
            return kept
        self.misses += 1
        value = compute()
        with self._lock:
            self._store.set(digest, value)
        return value

    def clear(self) -> None:
        if self._store is not None:
            with self._lock:
                self._store.clear()
