"""The tenant cache of connector/attio/provider.py: cached reads and the values derived from them, per credential.

No Attio here: `produce` is the read, counted. The cache is the app's own (SimpleCache in worker memory)."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable

from connector import create_app

A, B = SimpleNamespace(credential="attio-token-of-tenant-a"), SimpleNamespace(credential="attio-token-of-tenant-b")


def services(**config: Any) -> Any:
    app = create_app({"SECRET_KEY": "s" * 40, "DATABASE_URL": "sqlite://", "LOG_LEVEL": "WARNING", **config},
                     environ={})
    return app.extensions["attio"]


class Reads:
    """A `produce` that counts its calls and hands out a new object each time."""

    def __init__(self, label: str) -> None:
        self.label, self.calls = label, 0

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        return {"label": self.label, "read": self.calls}


def derive(svc: Any, caller: Any, key: str, counter: list[int]) -> Callable[[], Any]:
    """derived() over the caller's cached record, counting the renderings."""
    def render() -> str:
        counter[0] += 1
        return f"rendered #{counter[0]}"
    record = svc.cached(caller, "rec:x", Reads("unused"))
    return svc.derived(caller, key, (record,), render)


def test_two_tenants_never_share_a_cached_read():
    svc = services()
    a, b = Reads("a"), Reads("b")
    assert svc.cached(A, "rec:companies:1", a) == {"label": "a", "read": 1}
    assert svc.cached(B, "rec:companies:1", b) == {"label": "b", "read": 1}  # same key, other credential
    assert svc.cached(A, "rec:companies:1", a)["label"] == "a" and svc.cached(B, "rec:companies:1", b)["label"] == "b"
    assert (a.calls, b.calls) == (1, 1)


def test_two_tenants_never_share_a_derived_value():
    svc = services()
    shared_input = ("the same object for both",)
    made = []
    assert svc.derived(A, "doc:1", shared_input, lambda: made.append("a") or "for a") == "for a"
    assert svc.derived(B, "doc:1", shared_input, lambda: made.append("b") or "for b") == "for b"
    assert svc.derived(A, "doc:1", shared_input, lambda: made.append("a") or "again") == "for a"
    assert made == ["a", "b"]


def test_a_write_drops_the_tenants_entry_and_what_was_derived_but_not_the_other_tenants():
    svc = services()
    a, b, renders_a, renders_b = Reads("a"), Reads("b"), [0], [0]
    svc.cached(A, "rec:x", a), svc.cached(B, "rec:x", b)
    assert derive(svc, A, "doc:x", renders_a) == derive(svc, A, "doc:x", renders_a) == "rendered #1"
    derive(svc, B, "doc:x", renders_b)
    svc.forget(A, "rec:some-other-record")  # a write of tenant A elsewhere (a referenced record's new name)
    assert derive(svc, A, "doc:x", renders_a) == "rendered #2"
    assert derive(svc, B, "doc:x", renders_b) == "rendered #1"  # B's untouched
    svc.forget(A, "rec:x")
    assert svc.cached(A, "rec:x", a)["read"] == 2 and svc.cached(B, "rec:x", b)["read"] == 1


def test_a_derived_value_is_made_again_when_an_input_is_read_anew():
    svc = services()
    first, second = {"v": 1}, {"v": 1}  # equal, but not the object the first value came from
    assert svc.derived(A, "doc:1", (first,), lambda: "from first") == "from first"
    assert svc.derived(A, "doc:1", (first,), lambda: "not made") == "from first"
    assert svc.derived(A, "doc:1", (second,), lambda: "from second") == "from second"


def test_a_read_that_a_write_overtook_is_not_kept():
    svc = services()
    calls = []

    def read_while_writing() -> str:
        calls.append(1)
        if len(calls) == 1:
            svc.forget(A, "rec:x")  # the write finishes while the read is on its way back
        return f"read {len(calls)}"
    assert svc.cached(A, "rec:x", read_while_writing) == "read 1"
    assert svc.cached(A, "rec:x", read_while_writing) == "read 2"  # not served from the cache
    assert svc.cached(A, "rec:x", read_while_writing) == "read 2"


def test_cache_ttl_zero_keeps_nothing():
    svc = services(CACHE_TTL_SECONDS=0)
    reads, made = Reads("a"), []
    for _ in range(3):
        svc.cached(A, "rec:x", reads)
        svc.derived(A, "doc:x", ("same",), lambda: made.append(1))
    assert reads.calls == 3 and len(made) == 3
