"""The envelope fast paths (jsonrpc.plainly_valid, request_meta._plain, features._plain_call) against the
marshmallow schemas they stand in for: on generated input, what a fast path accepts the schema accepts, and what it
reads is what the schema reads. Anything the fast path declines goes through the schema, so errors are unchanged."""
from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from connector.mcp import features, jsonrpc, request_meta
from connector.mcp.sessions import LOG_LEVELS

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**20), st.floats(allow_nan=False),
                    st.text(max_size=6), st.sampled_from(["2.0", "tools/call", "x" * 256, "x" * 257, ""]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                      max_leaves=6)


def maybe(keys: dict[str, Any], valid: dict[str, Any] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Objects holding any subset of `keys` (each drawn from its strategy) plus odd extra members; with `valid`,
    half of them are that everyday object with one member changed or dropped (where mistakes hide)."""
    anything = st.fixed_dictionaries({}, optional=keys).flatmap(
        lambda d: st.dictionaries(st.text(max_size=3), VALUES, max_size=2).map(lambda extra: {**extra, **d}))
    if valid is None:
        return anything
    one_off = st.sampled_from(sorted(keys)).flatmap(
        lambda k: st.one_of(st.just({kk: v for kk, v in valid.items() if kk != k}),
                            keys[k].map(lambda v: {**valid, k: v})))
    return st.one_of(anything, one_off)


MESSAGES = maybe({"jsonrpc": st.one_of(st.just("2.0"), SCALARS), "method": SCALARS,
                  "id": SCALARS, "params": st.one_of(st.dictionaries(st.text(max_size=3), VALUES, max_size=2),
                                                     VALUES),
                  "result": VALUES, "error": VALUES},
                 {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "search"}})


@settings(max_examples=400, deadline=None)
@given(MESSAGES)
def test_a_message_the_fast_path_accepts_the_schema_accepts(raw):
    if jsonrpc.plainly_valid(raw):
        jsonrpc._SCHEMA.load({k: raw[k] for k in jsonrpc.MessageSchema._declared_fields if k in raw})


def test_the_fast_path_takes_the_everyday_request():
    assert jsonrpc.plainly_valid({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "search"}})
    assert not jsonrpc.plainly_valid({"jsonrpc": "2.0", "id": True, "method": "ping"})


IMPLEMENTATION = maybe({"name": st.one_of(st.text(max_size=4), st.just("n" * 257), SCALARS),
                        "version": st.one_of(st.text(max_size=4), st.just("v" * 257), SCALARS)},
                       {"name": "bench", "version": "1"})
METAS = maybe({request_meta.PROTOCOL_VERSION: st.one_of(st.sampled_from(["2026-07-28", "", "v" * 65]), SCALARS),
               request_meta.CLIENT_CAPABILITIES: st.one_of(st.dictionaries(st.text(max_size=3), VALUES, max_size=2),
                                                           SCALARS),
               request_meta.CLIENT_INFO: st.one_of(IMPLEMENTATION, SCALARS),
               request_meta.LOG_LEVEL: st.one_of(st.sampled_from(list(LOG_LEVELS) + ["loud"]), SCALARS),
               "traceparent": st.one_of(st.text(max_size=4), st.just("t" * 257), SCALARS),
               "tracestate": st.one_of(st.text(max_size=4), st.just("t" * 513), SCALARS)},
              {request_meta.PROTOCOL_VERSION: "2026-07-28", request_meta.CLIENT_CAPABILITIES: {},
               request_meta.CLIENT_INFO: {"name": "bench", "version": "1"}, request_meta.LOG_LEVEL: "info",
               "traceparent": "00-x", "tracestate": "a=b"})


@settings(max_examples=400, deadline=None)
@given(METAS)
def test_metadata_the_fast_path_reads_the_schema_reads_the_same(meta):
    plain = request_meta._plain(meta)
    if plain is None:
        return
    p = request_meta._SCHEMA.load(meta)  # raises if the fast path accepted something the schema refuses
    assert (plain.version, plain.capabilities, plain.client_info, plain.log_level) == (
        p["version"], p["capabilities"], p.get("client_info") or {}, p.get("log_level"))


def test_the_fast_path_reads_an_everyday_meta():
    meta = {request_meta.PROTOCOL_VERSION: "2026-07-28", request_meta.CLIENT_CAPABILITIES: {},
            request_meta.CLIENT_INFO: {"name": "bench", "version": "1", "title": "B"}}
    assert request_meta._plain(meta) is not None
    assert request_meta.load({"_meta": meta}).client_info == {"name": "bench", "version": "1", "title": "B"}


CALLS = maybe({"name": st.one_of(st.text(max_size=4), SCALARS),
               "arguments": st.one_of(st.dictionaries(st.text(max_size=3), VALUES, max_size=2), SCALARS)},
              {"name": "search", "arguments": {"query": "x"}})


@settings(max_examples=400, deadline=None)
@given(st.one_of(CALLS, VALUES))
def test_call_params_the_fast_path_reads_the_schema_reads_the_same(params):
    plain = features._plain_call(params)
    if plain is None:
        return
    try:
        p = features.CallParams().load(params)
    except ValidationError as exc:  # pragma: no cover - the failure this test exists to find
        raise AssertionError(f"fast path accepted what CallParams refuses: {exc.messages}") from None
    assert (plain["name"], plain["arguments"]) == (p["name"], p["arguments"])
