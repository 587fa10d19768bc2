"""Auth, /v2/self, scopes and tenant isolation."""
from __future__ import annotations

import base64

from attio_demo import DEMO_TOKEN, DEMO_TOKEN_2, DEMO_TOKEN_READONLY, create_demo_app
from attio_demo.seed import seed_northwind

from .conftest import WS1, WS2, Api, rid

SEARCH_ALL = {"query": "energy", "objects": ["companies", "people", "deals"],
              "request_as": {"type": "workspace"}}


def test_missing_token_is_401_with_attio_body(api: Api) -> None:
    status, err = api.error("GET", "/v2/objects", token=None)
    assert status == 401
    assert err["type"] == "auth_error" and err["code"] == "unauthorized"
    assert err["message"].startswith("The Authorization header was not provided.")


def test_unknown_token_is_401_with_a_clear_message(api: Api) -> None:
    status, err = api.error("POST", "/v2/objects/people/records/query", {}, token="not-a-key")
    assert status == 401 and err["code"] == "unauthorized"
    assert "invalid" in err["message"]


def test_unknown_route_without_token_is_still_401(api: Api) -> None:
    assert api.call("GET", "/v2/nothing-here", token=None).status_code == 401


def test_basic_auth_with_token_as_username(client) -> None:
    creds = base64.b64encode(f"{DEMO_TOKEN}:".encode()).decode()
    r = client.get("/v2/self", headers={"Authorization": f"Basic {creds}"})
    assert r.status_code == 200 and r.get_json()["workspace_slug"] == "demo-sales"


def test_self_is_flat_and_complete(api: Api) -> None:
    r = api.call("GET", "/v2/self")
    body = r.get_json()
    assert r.status_code == 200 and "data" not in body
    assert body["active"] is True
    assert body["workspace_id"] == body["sub"] == WS1
    assert body["workspace_name"] == "Demo Sales Co" and body["workspace_slug"] == "demo-sales"
    assert body["aud"] == body["client_id"] and body["iss"] == "attio.com" and body["exp"] is None
    for scope in ("record_permission:read-write", "object_configuration:read-write", "note:read-write",
                  "task:read-write", "list_entry:read-write", "comment:read-write", "user_management:read"):
        assert scope in body["scope"].split()
    members = [m["id"]["workspace_member_id"] for m in api.data("GET", "/v2/workspace_members")]
    assert body["authorized_by_workspace_member_id"] in members


def test_self_with_unknown_token_is_inactive(api: Api) -> None:
    r = api.call("GET", "/v2/self", token="revoked-token")
    assert r.status_code == 200 and r.get_json() == {"active": False}


def test_read_only_token_reads_but_gets_403_on_writes(api: Api) -> None:
    ro = Api(api.client, DEMO_TOKEN_READONLY)
    assert len(ro.query("people")) == 20
    status, err = ro.error("POST", "/v2/notes", {"data": {}})
    assert status == 403 and err["type"] == "auth_error" and "note:read-write" in err["message"]
    assert ro.call("POST", "/v2/objects/records/search", SEARCH_ALL).status_code == 200
    assert "note:read-write" not in ro.call("GET", "/v2/self").get_json()["scope"]


def test_tenants_are_isolated(api: Api) -> None:
    other = Api(api.client, DEMO_TOKEN_2)
    assert other.call("GET", "/v2/self").get_json()["workspace_id"] == WS2 != WS1
    names = {r["values"]["name"][0]["value"] for r in other.query("companies")}
    assert names == {"Contoso Pharmaceuticals", "Fabrikam Foods", "Tailspin Toys"}
    assert len(other.query("people")) == 3
    assert other.data("POST", "/v2/objects/records/search", SEARCH_ALL) == []
    assert api.data("POST", "/v2/objects/records/search", SEARCH_ALL) != []
    status, err = other.error("GET", f"/v2/objects/people/records/{rid('people', 'siobhan')}")
    assert status == 404
    assert other.data("GET", "/v2/lists") == [] and other.data("GET", "/v2/notes") == []
    # a write in workspace 1 is invisible in workspace 2
    new = {"data": {"values": {"name": "Only In One", "domains": ["one.test"]}}}
    api.data("POST", "/v2/objects/companies/records", new)
    assert not other.query("companies", {"filter": {"name": "Only In One"}})
    assert api.query("companies", {"filter": {"name": "Only In One"}})
    # objects share slugs but not ids
    mine, theirs = api.data("GET", "/v2/objects/people"), other.data("GET", "/v2/objects/people")
    assert mine["id"]["object_id"] != theirs["id"]["object_id"]


def test_custom_tokens_sharing_a_factory_share_a_workspace() -> None:
    client = create_demo_app({"key-a": seed_northwind, "key-b": seed_northwind}).test_client()
    a, b = Api(client, "key-a"), Api(client, "key-b")
    a.data("POST", "/v2/objects/companies/records", {"data": {"values": {"name": "Shared Co"}}})
    assert b.query("companies", {"filter": {"name": "Shared Co"}})
    assert a.call("GET", "/v2/objects", token=DEMO_TOKEN).status_code == 401
