"""The quota's shared state on Redis: one provider quota for CI runners on many machines.

The file store (`store`) shares a quota among the xdist workers of one machine. Shards of a
suite on several CI runners against one deployment each learn the quota alone, and N
runners send N times it. Here the same JSON object lives in one Redis key per quota (its
provider, endpoint, key and model), so every runner's reservations go through one state:

- each change is made under a lock (redis-py's `Lock`: SET NX PX with a random token, let
  go by a server-side script, expiring on its own if its holder dies), so the quota's
  read-modify-write is atomic across machines, as `fcntl` makes it across processes;
- the time is the Redis server's (`TIME`, read under the lock): runners' clocks differ by
  more than a quota's spacing, one server's clock does not;
- the key expires after IDLE seconds without a change: a quota learned by one pipeline
  helps the next that runs soon after, and stale state does not linger.

A Redis that goes away mid-run is reported once (a file in the run's folder, printed in
the terminal summary) and the quota carries on in the local file store: no test fails
because of it. One that cannot be reached at start is a usage error (`check`).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import store

PREFIX = "pytest-cua:quota:"
IDLE = 600  # seconds a quota's state outlives its last change
LOCK_TTL = 5.0  # a lock whose holder died is free again after this
LOCK_WAIT = 10.0  # longer than this for the lock: Redis is as good as gone
TIMEOUT = 2.0  # seconds for a Redis command before the store is called lost
LOST = "quota-store-lost.txt"  # in the run's folder: the notice, written once


def _redis() -> Any:
    try:
        import redis
    except ImportError:
        raise ImportError("--cua-quota-store=redis://... needs redis-py: pip install "
                          "'pytest-cua[redis]'") from None
    return redis


def connect(url: str) -> Any:
    """A client for `url` with short timeouts (a lost server is noticed, not waited on)."""
    return _redis().Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)


def check(url: str) -> None:
    """Raise a ValueError naming the URL when Redis cannot be reached there."""
    redis = _redis()
    try:
        connect(url).ping()
    except redis.exceptions.RedisError as exc:
        raise ValueError(f"--cua-quota-store: cannot reach Redis at {url} ({exc}); start it, "
                         "or leave the option out to share the quota through a file on this "
                         "machine only") from None


class RedisStore:
    """The `store.Store` interface (`open`, `now`) on one Redis key, with the local store
    to fall back on."""

    def __init__(self, url: str, name: str, fallback: store.Store,
                 folder: Path | None = None) -> None:
        self.url, self.key = url, PREFIX + name
        self.fallback = fallback
        self.folder = folder  # where the notice of a lost Redis is left for the summary
        self.client = connect(url)
        self.lost = False
        self._now = 0.0

    def now(self) -> float:
        """The time of the change in progress: the Redis server's (or this machine's, once
        Redis is lost)."""
        return self._now or time.time()

    @contextlib.contextmanager
    def open(self) -> Iterator[dict[str, Any]]:
        """The quota's state, to read and change, under the lock; written back after."""
        redis = _redis()
        lock = None
        if not self.lost:
            try:
                lock = self.client.lock(self.key + ":lock", timeout=LOCK_TTL, sleep=0.001,
                                        blocking_timeout=LOCK_WAIT)
                if not lock.acquire():
                    raise redis.exceptions.LockError(
                        f"the lock was not free within {LOCK_WAIT:g} s")
                with self.client.pipeline(transaction=False) as pipe:
                    raw, (seconds, micros) = pipe.get(self.key).time().execute()
            except redis.exceptions.RedisError as exc:
                self._lose(exc, lock)
                lock = None
        if lock is None:
            with self.fallback.open() as state:
                self._now = time.time()
                yield state
            return
        self._now = seconds + micros / 1e6
        state = json.loads(raw) if raw else {}
        before = dict(state)
        try:
            yield state
            if state != before:
                self.client.set(self.key, json.dumps(state), ex=IDLE)
        except redis.exceptions.RedisError as exc:
            self._lose(exc, None)
        finally:
            self._now = 0.0
            with contextlib.suppress(redis.exceptions.RedisError):
                lock.release()

    def _lose(self, exc: BaseException, lock: Any) -> None:
        """Carry on in the local store; leave the notice once for the run's summary."""
        self.lost = True
        if lock is not None:
            with contextlib.suppress(Exception):
                lock.release()
        if self.folder is None:
            return
        notice = (f"the quota store Redis at {self.url} was lost mid-run ({exc}); the rest "
                  "of the run paced itself on each machine alone")
        with contextlib.suppress(FileExistsError, OSError):
            fd = os.open(self.folder / LOST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(notice)

    def state(self) -> dict[str, Any]:
        """The shared state as Redis holds it now (for the summary), {} when unreadable."""
        with contextlib.suppress(Exception):
            raw = self.client.get(self.key)
            return json.loads(raw) if raw else {}
        return {}
