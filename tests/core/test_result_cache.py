"""The in-memory result cache is bounded by bytes, evicts the least recently used, and a miss
or a drop leaves every other entry alone."""

import pandas as pd

from core.result_cache import ResultCache, size_of
from core.spec import Result


def result(n: int) -> Result:
    return Result({"curve": pd.DataFrame({"step": range(n), "value": [0.5] * n})}, {"note": "x" * n})


def test_entries_are_evicted_by_size_oldest_first():
    one = size_of(result(1000))
    cache = ResultCache(max_bytes=int(2.5 * one))
    for k in "abc":
        cache.put((k, "complete"), result(1000))
    assert cache.get(("a", "complete")) is None and len(cache) == 2 and cache.bytes <= cache.max_bytes
    cache.get(("b", "complete"))  # b is now the most recent: c goes first
    cache.put(("d", "complete"), result(1000))
    assert cache.get(("b", "complete")) is not None and cache.get(("c", "complete")) is None


def test_a_result_larger_than_the_budget_is_not_kept_and_evicts_nothing():
    cache = ResultCache(max_bytes=size_of(result(100)) * 2)
    cache.put(("small", 1.0), result(100))
    cache.put(("huge", 1.0), result(100_000))
    assert cache.get(("huge", 1.0)) is None and cache.get(("small", 1.0)) is not None


def test_a_miss_and_a_drop_leave_the_others_alone():
    cache = ResultCache(max_bytes=10**7)
    for k in "abc":
        cache.put((k, "complete"), result(10))
        cache.put((k, 123.0), result(10))
    assert cache.get(("zzz", "complete")) is None and len(cache) == 6
    cache.drop({"b"})
    assert len(cache) == 4 and cache.get(("b", 123.0)) is None and cache.get(("a", 123.0)) is not None
    assert cache.bytes == 4 * size_of(result(10))
