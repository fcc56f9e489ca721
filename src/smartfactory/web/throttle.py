"""Slow down password guessing: failed password checks are counted, and too many lock the door
for a while.

Two counters, both over a sliding window (:attr:`SignInThrottle.window_s`):

- per user name *and* client address: after ``max_failures`` wrong passwords the pair is
  locked for ``lock_s``. Someone guessing one person's password from one place is stopped; the
  person themself, signing in from elsewhere, is not locked out by it.
- per client address, whatever the user name: after ``max_address_failures`` the address is
  locked (password spraying: a few guesses at many names).

While locked, the password is not even checked, so the attempts give no answer. A correct
password clears the pair's count. Both the sign-in form and the "current password" of a password
change count. The counts live in the server process's memory (one process serves a factory);
a restart forgets them, which only ever unlocks.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

#: wrong passwords for one user name from one address before it is locked
MAX_FAILURES = 5
#: wrong passwords from one address (any user names) before the address is locked
MAX_ADDRESS_FAILURES = 30
#: the window the failures are counted over, and how long a lock lasts (seconds)
WINDOW_S = 15 * 60
LOCK_S = 15 * 60
#: most keys remembered; past it, keys whose failures are all old are forgotten first
MAX_KEYS = 50_000


@dataclass
class SignInThrottle:
    """Counts failed password checks and says how long a user name and address must wait."""

    max_failures: int = MAX_FAILURES
    max_address_failures: int = MAX_ADDRESS_FAILURES
    window_s: float = WINDOW_S
    lock_s: float = LOCK_S
    clock: Callable[[], float] = time.monotonic
    _failures: dict[tuple[str, ...], deque[float]] = field(default_factory=dict, repr=False)
    _locked_until: dict[tuple[str, ...], float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @staticmethod
    def _keys(username: str, address: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ("user", username.strip().casefold(), address), ("address", address)

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until this user name may try a password from this address (0: now)."""
        now = self.clock()
        with self._lock:
            until = max(self._locked_until.get(k, 0.0) for k in self._keys(username, address))
        return max(0, int(until - now + 0.999))

    def failed(self, username: str, address: str) -> int:
        """Count a wrong password; the seconds to wait when this one locked (else 0)."""
        now = self.clock()
        user_key, address_key = self._keys(username, address)
        limits = {user_key: self.max_failures, address_key: self.max_address_failures}
        locked = 0.0
        with self._lock:
            if len(self._failures) >= MAX_KEYS:
                self._forget(now)
            for key, limit in limits.items():
                times = self._failures.setdefault(key, deque())
                times.append(now)
                while times and times[0] <= now - self.window_s:
                    times.popleft()
                if len(times) >= limit:
                    self._locked_until[key] = now + self.lock_s
                    times.clear()
                    locked = self.lock_s
        return int(locked)

    def succeeded(self, username: str, address: str) -> None:
        """A right password: the user name's count from this address starts again."""
        user_key, _ = self._keys(username, address)
        with self._lock:
            self._failures.pop(user_key, None)

    def _forget(self, now: float) -> None:
        """Drop keys with no failure in the window and locks that have ended."""
        for key in [k for k, t in self._failures.items() if not t or t[-1] <= now - self.window_s]:
            del self._failures[key]
        for key in [k for k, until in self._locked_until.items() if until <= now]:
            del self._locked_until[key]


def client_address(request: object) -> str:
    """The request's peer address (a reverse proxy's own address when behind one)."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", None) or "unknown")
