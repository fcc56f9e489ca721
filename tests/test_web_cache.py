"""The dashboards' result cache: one computation per data version, bounded staleness under
live data, no stampede."""

from __future__ import annotations

import threading
import time

from smartfactory.web.queries import ResultCache


def counter() -> tuple[list[int], object]:
    calls: list[int] = []

    def make() -> int:
        calls.append(1)
        return len(calls)

    return calls, make


def test_same_version_is_computed_once_and_a_new_version_again():
    cache = ResultCache()
    calls, make = counter()
    assert cache.get("k", make, version=1) == 1
    assert cache.get("k", make, version=1) == 1
    assert cache.get("k", make, version=2) == 2  # max_stale_s = 0: a new version recomputes
    assert len(calls) == 2


def test_an_older_version_is_served_only_while_younger_than_the_bound():
    cache = ResultCache()
    calls, make = counter()
    assert cache.get("k", make, version=1, max_stale_s=1.0) == 1
    # live data moved the version twice: the answer is still young enough (under half the bound)
    assert cache.get("k", make, version=2, max_stale_s=1.0) == 1
    assert cache.get("k", make, version=3, max_stale_s=1.0) == 1
    time.sleep(1.05)
    assert cache.get("k", make, version=3, max_stale_s=1.0) == 2  # too old: computed again
    assert cache.get("k", make, version=3, max_stale_s=0.0) == 2  # and now current
    assert len(calls) == 2


def test_concurrent_requests_for_one_key_compute_once():
    cache = ResultCache()
    calls: list[int] = []
    gate = threading.Event()

    def slow() -> str:
        calls.append(1)
        gate.wait(5)
        return "page"

    got: list[str] = []
    threads = [
        threading.Thread(target=lambda: got.append(cache.get("k", slow, version=7)))
        for _ in range(20)
    ]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join(5)
    assert got == ["page"] * 20 and len(calls) == 1


def test_least_recently_used_goes_first():
    cache = ResultCache(size=2)
    calls, make = counter()
    cache.get("a", make, version=1)
    cache.get("b", make, version=1)
    cache.get("a", make, version=1)  # a is used again: b is now the oldest
    cache.get("c", make, version=1)
    cache.get("a", make, version=1)
    assert len(calls) == 3
    cache.get("b", make, version=1)  # b was dropped
    assert len(calls) == 4


def test_past_the_bound_the_old_answer_is_served_while_a_worker_computes_the_new_one():
    cache = ResultCache()
    try:
        assert cache.get("k", lambda: "old", version=1, max_stale_s=0.2) == "old"
        time.sleep(0.25)  # past the bound, well inside STALE_LIMIT times it
        started, release = threading.Event(), threading.Event()

        def refresh() -> str:
            started.set()
            release.wait(5)
            return "new"

        def in_request() -> str:
            raise AssertionError("the request must not compute while a refresh can")

        # served at once, without waiting for the refresh; asked again, no second refresh
        assert cache.get("k", in_request, version=2, max_stale_s=0.2, refresh=refresh) == "old"
        assert started.wait(5)
        assert cache.get("k", in_request, version=3, max_stale_s=0.2, refresh=refresh) == "old"
        release.set()
        deadline = time.monotonic() + 5
        while cache.get("k", in_request, version=2, max_stale_s=0.2, refresh=refresh) != "new":
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        cache.close()


def test_a_failed_refresh_leaves_the_next_request_to_compute():
    cache = ResultCache()
    try:
        cache.get("k", lambda: "old", version=1, max_stale_s=0.1)
        time.sleep(0.12)

        def broken() -> str:
            raise RuntimeError("disk gone")

        assert cache.get("k", lambda: "x", version=2, max_stale_s=0.1, refresh=broken) == "old"
        deadline = time.monotonic() + 5
        while cache._refreshing:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        # the old answer is gone: the next request computes, and that answer stays
        assert cache.get("k", lambda: "computed", version=2, max_stale_s=0.1) == "computed"
        assert cache.get("k", lambda: "again", version=2) == "computed"
    finally:
        cache.close()
