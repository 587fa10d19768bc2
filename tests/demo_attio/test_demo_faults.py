"""Fault injection, the request log and the admin endpoints."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from .conftest import Api, rid

SEARCH = {"query": "x", "objects": ["people"], "request_as": {"type": "workspace"}}
RATE_LIMITED = {"status_code": 429, "type": "rate_limit_error", "code": "rate_limit_exceeded",
                "message": "Rate limit exceeded, please try again later"}


def admin(api: Api, method: str, path: str, body: object = None) -> dict:
    """Call an /_admin endpoint (no token needed)."""
    r = api.call(method, f"/_admin/{path}", body, token=None)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_health(api: Api) -> None:
    assert admin(api, "GET", "health") == {"ok": True}


def test_429_with_http_date_retry_after_then_recovers(api: Api) -> None:
    admin(api, "POST", "faults", {"status": 429, "count": 2})
    for _ in range(2):
        r = api.call("GET", "/v2/objects")
        assert r.status_code == 429 and r.get_json() == RATE_LIMITED
        assert r.headers["Retry-After"].endswith("GMT")
        ahead = (parsedate_to_datetime(r.headers["Retry-After"]) - datetime.now(timezone.utc)).total_seconds()
        assert -0.1 <= ahead <= 1.1
    assert api.call("GET", "/v2/objects").status_code == 200


def test_5xx_faults_in_order_and_path_scoped(api: Api) -> None:
    admin(api, "POST", "faults", {"status": 503, "count": 1})
    admin(api, "POST", "faults", {"status": 500, "count": 1})
    r1, r2, r3 = (api.call("GET", "/v2/workspace_members") for _ in range(3))
    assert (r1.status_code, r2.status_code, r3.status_code) == (503, 500, 200)
    assert r1.get_json()["code"] == "service_unavailable"
    assert set(r1.get_json()) == {"status_code", "type", "code", "message"}
    admin(api, "POST", "faults", {"status": 502, "count": 1, "path": "/v2/objects/records/search"})
    assert api.call("GET", "/v2/objects").status_code == 200
    assert api.call("POST", "/v2/objects/records/search", SEARCH).status_code == 502
    assert api.call("POST", "/v2/objects/records/search", SEARCH).status_code == 200


def test_delay_fault(api: Api) -> None:
    admin(api, "POST", "faults", {"delay_ms": 150, "count": 1})
    t = time.monotonic()
    assert api.call("GET", "/v2/self").status_code == 200
    assert time.monotonic() - t >= 0.14
    t = time.monotonic()
    api.call("GET", "/v2/self")
    assert time.monotonic() - t < 0.14


def test_bad_fault_requests(api: Api) -> None:
    for body in ({"status": 418}, {}, {"status": 429, "count": -1}, {"delay_ms": "slow"}, [1]):
        assert api.call("POST", "/_admin/faults", body, token=None).status_code == 400


def test_request_log_counts_calls(api: Api) -> None:
    admin(api, "POST", "requests/reset")
    api.call("POST", "/v2/objects/records/search", SEARCH)
    api.call("GET", "/v2/objects", token="demo-attio-key-2")
    api.call("GET", "/v2/objects", token=None)
    log = admin(api, "GET", "requests")["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("POST", "/v2/objects/records/search", 200), ("GET", "/v2/objects", 200), ("GET", "/v2/objects", 401)]
    assert [e["token_suffix"] for e in log] == ["-key", "ey-2", None]
    assert '"query"' in log[0]["body"]
    admin(api, "GET", "health")  # admin calls are not logged
    assert len(admin(api, "GET", "requests")["requests"]) == 3
    admin(api, "POST", "requests/reset")
    assert admin(api, "GET", "requests") == {"requests": []}


def test_reset_restores_the_seed_and_clears_faults(api: Api) -> None:
    siobhan = f"/v2/objects/people/records/{rid('people', 'siobhan')}"
    assert api.call("DELETE", siobhan).get_json() == {}
    note = {"parent_object": "people", "parent_record_id": rid("people", "sam"), "title": "t",
            "format": "plaintext", "content": "c"}
    api.data("POST", "/v2/notes", {"data": note})
    admin(api, "POST", "faults", {"status": 500, "count": 5})
    admin(api, "POST", "reset")
    assert api.data("GET", siobhan)["id"]["record_id"] == rid("people", "siobhan")
    assert len(api.data("GET", "/v2/notes")) == 8
