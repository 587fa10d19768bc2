"""`merge_records` through the official MCP SDK client against the demo Attio: confirmed first, a new record from
two, the originals gone, a repeat explained, and the errors before anything is asked."""
from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest

from attio_demo import DEMO_TOKEN
from tests.conftest import _admin
from tests.tools.test_meetings import MISSING, error
from tests.tools.test_records import call, ok

pytestmark = pytest.mark.integration


def company(server: Any, name: str, **values: Any) -> str:
    made = ok(server, "create_record", {"object": "companies", "values": {
        "name": name, "domains": f"{name.split()[0].lower()}-{uuid.uuid4().hex[:8]}.com", **values}})
    return made["id"]


def confirmed(server: Any, args: dict[str, Any]) -> Any:
    first = ok(server, "merge_records", args)
    assert first["status"] == "confirmation_required"
    assert first["action"].startswith("Merge the company ")
    return call(server, "merge_records", {**args, "confirmation_token": first["confirmation_token"]})


def test_merge_two_companies_into_a_new_one(server, reset_demo):
    keep = company(server, "Acme Widgets", description="The one we keep")
    dupe = company(server, "Acme Widgets Ltd", description="A duplicate", categories=["SaaS"])
    args = {"primary_id": keep, "secondary_id": dupe}
    res = confirmed(server, args)
    assert not res.is_error, res.content[0].text
    out = res.structured_content
    assert out["merged"] is True and out["confirmation"] == "token"
    assert out["id"] not in (keep, dupe) and out["id"].startswith("companies:")
    if not out["in_progress"]:
        assert out["record"]["values"]["description"] == ["The one we keep"]
        assert out["record"]["values"]["categories"] == ["SaaS"]
    merged = ok(server, "get_record", {"id": out["id"]})
    assert merged["title"] == "Acme Widgets"
    for gone in (keep, dupe):
        assert error(server, "get_record", {"id": gone}).startswith(f"No companies record with id {gone[10:]}")
    assert error(server, "merge_records", args) == (  # both originals are gone: asking again says so at once
        f"No companies record with id {keep[10:]} exists in this workspace (it may have been deleted). Search again "
        "(search_records or search) to get a current id.")


def test_a_repeated_merge_is_explained(server, demo_attio, reset_demo):
    keep, dupe = company(server, "Twice Merged"), company(server, "Twice Merged Inc")
    for rid in (keep, dupe):  # the connector has both in its cache ...
        ok(server, "get_record", {"id": rid})
    body = json.dumps({"data": {"primary_record_id": keep[10:], "secondary_record_id": dupe[10:]}}).encode()
    req = urllib.request.Request(f"{demo_attio.url}/v2/objects/companies/records/merge", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {DEMO_TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:  # ... when someone else merges them in Attio
        assert r.status in (200, 202)
    res = confirmed(server, {"primary_id": keep, "secondary_id": dupe})
    assert res.is_error
    assert res.content[0].text == (
        f"Attio answered 404: {keep} or {dupe} no longer exists. A merge cannot be repeated: once two records are "
        "merged both originals are gone and a new record holds them. Search again (search_records or search) to "
        "get a current id.")


def test_merge_errors(server, reset_demo):
    one = company(server, "Solo Systems")
    person = ok(server, "search_records", {"query": "Siobhan", "objects": ["people"]})["results"][0]["id"]
    assert error(server, "merge_records", {"primary_id": one, "secondary_id": person}) == (
        f"Only records of one object merge: {one!r} is a companies record, {person!r} a people record.")
    assert error(server, "merge_records", {"primary_id": one, "secondary_id": one}) == (
        "primary_id and secondary_id name the same record: pass two different records.")
    assert error(server, "merge_records", {"primary_id": one, "secondary_id": f"companies:{MISSING}"}) == (
        f"No companies record with id {MISSING} exists in this workspace (it may have been deleted). Search again "
        "(search_records or search) to get a current id.")


def test_a_merge_attio_applies_later(server, demo_attio, reset_demo):
    _admin(demo_attio, "/_admin/settings", {"merge_delay_seconds": 0.5})  # Attio answers 202 for a while
    soon = confirmed(server, {"primary_id": company(server, "Later Ltd"), "secondary_id": company(server, "Later")})
    assert soon.structured_content["in_progress"] is False  # read once Attio was done (within the tool's waits)
    assert soon.structured_content["record"]["title"] == "Later Ltd"
    _admin(demo_attio, "/_admin/settings", {"merge_delay_seconds": 30})
    slow = confirmed(server, {"primary_id": company(server, "Slow Ltd"), "secondary_id": company(server, "Slow")})
    out = slow.structured_content
    assert out["in_progress"] is True and out["record"] is None
    assert slow.content[0].text == (f"Merged Slow into Slow Ltd: Attio is still applying it. The new record is "
                                    f"{out['id']}; read it with get_record in a moment.")
    pending = error(server, "get_record", {"id": out["id"]})
    assert pending.startswith("Attio is still applying the merge that produces this record (HTTP 404, "
                              "merge_in_progress)"), pending
