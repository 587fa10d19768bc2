"""Raw HTTP against the running server: every bad input gets its specific status and JSON-RPC error."""
from __future__ import annotations

import json

import pytest
import requests

pytestmark = pytest.mark.integration

ACCEPT = "application/json, text/event-stream"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


def post(url, body, headers=None, raw=None):
    h = {"Accept": ACCEPT, "Content-Type": "application/json", **(headers or {})}
    data = raw if raw is not None else json.dumps(body)
    return requests.post(url, data=data, headers=h, timeout=10, allow_redirects=False)


def open_session(url, version="2025-11-25"):
    body = {**INIT, "params": {**INIT["params"], "protocolVersion": version}}
    r = post(url, body)
    assert r.status_code == 200, r.text
    sid = r.headers["Mcp-Session-Id"]
    post(url, {"jsonrpc": "2.0", "method": "notifications/initialized"},
         {"Mcp-Session-Id": sid, "MCP-Protocol-Version": version})
    return sid


def headers(sid, version="2025-11-25"):
    return {"Mcp-Session-Id": sid, "MCP-Protocol-Version": version}


def test_malformed_json_is_parse_error(server):
    r = post(server.mcp_url, None, raw="{not json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == -32700 and r.json()["id"] is None


def test_invalid_request_shape(server):
    r = post(server.mcp_url, {"jsonrpc": "1.0", "id": 1, "method": "ping"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == -32600 and "jsonrpc" in err["message"]
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"})
    assert r.status_code == 400 and "id" in r.json()["error"]["message"]


def test_unknown_method_and_bad_params_and_unknown_tool(server):
    sid = open_session(server.mcp_url)
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": 2, "method": "no/such"}, headers(sid))
    assert r.status_code == 200 and r.json()["error"] == {"code": -32601, "message": "Method not found: no/such"}
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"arguments": {}}},
             headers(sid))
    err = r.json()["error"]
    assert err["code"] == -32602 and "name" in err["message"]
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "nope"}},
             headers(sid))
    assert r.json()["error"] == {"code": -32602, "message": "Unknown tool: nope"}
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": 5, "method": "logging/setLevel", "params": {"level": "loud"}},
             headers(sid))
    assert r.json()["error"]["code"] == -32602 and "level" in r.json()["error"]["message"]
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": 6, "method": "tools/list", "params": {"cursor": "!!"}},
             headers(sid))
    assert r.json()["error"]["code"] == -32602


def test_oversized_body_is_413(server):
    big = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x" * (2 * 1024 * 1024)}}
    r = post(server.mcp_url, big)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == -32600 and "too large" in r.json()["error"]["message"]


def test_wrong_accept_is_406_and_wrong_content_type_415(server):
    r = post(server.mcp_url, INIT, {"Accept": "text/html"})
    assert r.status_code == 406 and r.json()["error"]["code"] == -32600
    r = post(server.mcp_url, INIT, {"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_unknown_session_is_404_and_missing_session_400(server):
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers("nope"))
    assert r.status_code == 404 and "Session not found" in r.json()["error"]["message"]
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert r.status_code == 400 and "Mcp-Session-Id" in r.json()["error"]["message"]


def test_unsupported_protocol_version_header_is_400(server):
    sid = open_session(server.mcp_url)
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers(sid, "1999-01-01"))
    assert r.status_code == 400 and "1999-01-01" in r.json()["error"]["message"]
    assert r.json()["error"]["code"] == -32022 and "2025-11-25" in r.json()["error"]["data"]["supported"]
    # any supported version is accepted, not only the negotiated one
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": 2, "method": "ping"}, headers(sid, "2025-03-26"))
    assert r.status_code == 200 and r.json()["result"] == {}


def test_foreign_origin_is_403_and_loopback_origin_allowed(server):
    r = post(server.mcp_url, INIT, {"Origin": "https://evil.example.com"})
    assert r.status_code == 403 and "evil.example.com" in r.json()["error"]["message"]
    r = post(server.mcp_url, INIT, {"Origin": "http://localhost:6274"})
    assert r.status_code == 200


def test_dns_rebinding_host_is_refused(server):
    r = post(server.mcp_url, INIT, {"Host": "evil.example.com"})
    assert 400 <= r.status_code < 500


def test_server_discover_without_meta_is_a_400_naming_what_is_missing(server):
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {}},
             {"Mcp-Method": "server/discover", "MCP-Protocol-Version": "2026-07-28"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == -32602 and r.json()["id"] == 1
    assert "io.modelcontextprotocol/protocolVersion" in r.json()["error"]["message"]


def test_initialize_negotiates_versions(server):
    for asked, got in (("2025-06-18", "2025-06-18"), ("2025-03-26", "2025-03-26"), ("2099-01-01", "2025-11-25")):
        body = {**INIT, "params": {**INIT["params"], "protocolVersion": asked}}
        assert post(server.mcp_url, body).json()["result"]["protocolVersion"] == got
    r = post(server.mcp_url, {**INIT, "params": {"capabilities": {}}})
    assert r.status_code == 400 and "protocolVersion" in r.json()["error"]["message"]


def test_batches_follow_the_version(server):
    old = open_session(server.mcp_url, "2025-03-26")
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "method": "notifications/initialized"},
             {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, {"jsonrpc": "2.0", "id": 3}]
    r = post(server.mcp_url, batch, headers(old, "2025-03-26"))
    assert r.status_code == 200
    replies = {json.dumps(x.get("id")): x for x in r.json()}
    assert replies["1"]["result"] == {} and "tools" in replies["2"]["result"]
    assert replies["3"]["error"]["code"] == -32600
    r = post(server.mcp_url, [{"jsonrpc": "2.0", "method": "notifications/initialized"}], headers(old, "2025-03-26"))
    assert r.status_code == 202
    new = open_session(server.mcp_url)
    r = post(server.mcp_url, batch, headers(new))
    assert r.status_code == 400 and "batches are not allowed" in r.json()["error"]["message"]


def test_slash_variant_head_delete_and_no_redirects(server):
    sid = open_session(server.mcp_url)
    r = post(server.mcp_url + "/", {"jsonrpc": "2.0", "id": 9, "method": "ping"}, headers(sid))
    assert r.status_code == 200 and r.json()["result"] == {}
    assert requests.head(server.mcp_url, timeout=5, allow_redirects=False).status_code == 200
    r = requests.delete(server.mcp_url, headers=headers(sid), timeout=5)
    assert r.status_code == 204
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": 10, "method": "ping"}, headers(sid))
    assert r.status_code == 404
    r = requests.put(server.mcp_url, timeout=5)
    assert r.status_code == 405 and r.json()["error"]["code"] == -32600


def test_notification_is_202_and_response_is_202(server):
    sid = open_session(server.mcp_url)
    r = post(server.mcp_url, {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 99}},
             headers(sid))
    assert r.status_code == 202 and r.text == ""
    r = post(server.mcp_url, {"jsonrpc": "2.0", "id": "srv-404", "result": {}}, headers(sid))
    assert r.status_code == 202


def test_legacy_messages_for_unknown_session_is_404_not_a_hang(server):
    r = post(f"{server.url}/messages?sessionId=unknown", {"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert r.status_code == 404 and r.json()["error"]["code"] == -32600
    r = post(f"{server.url}/messages", {"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert r.status_code == 400


def test_legacy_sse_stream_headers_and_endpoint_event(server):
    with requests.get(f"{server.url}/sse", headers={"Accept": "text/event-stream"}, stream=True, timeout=10) as r:
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/event-stream")
        assert r.headers["Cache-Control"].startswith("no-cache")
        assert r.headers["X-Accel-Buffering"] == "no"
        lines = r.iter_lines(decode_unicode=True)
        assert next(lines) == "event: endpoint"
        data = next(lines)
        assert data.startswith("data: /messages?sessionId=")
        sid = data.split("sessionId=")[1]
        ok = post(f"{server.url}/messages?sessionId={sid}", {"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert ok.status_code == 202
        got = [next(lines) for _ in range(3)]
        assert "event: message" in got
        assert any(line.startswith("data: ") and json.loads(line[6:]) == {"jsonrpc": "2.0", "id": 1, "result": {}}
                   for line in got)
        # keep-alive comments arrive on the 1 s test interval
        for _ in range(5):
            if next(lines) == ": keepalive":
                break
        else:
            pytest.fail("no keep-alive comment")


def test_server_survived(server):
    assert server.alive()
    assert requests.get(f"{server.url}/healthz", timeout=5).json()["status"] == "ok"


def test_root_points_to_the_endpoints(server):
    body = requests.get(server.url + "/", timeout=5).json()
    assert body["mcp"] == f"{server.url}/mcp" and body["mode"] == "demo"
    assert requests.head(server.url + "/", timeout=5).status_code == 200


def test_get_stream_one_per_session_and_closed_by_delete(server):
    sid = open_session(server.mcp_url)
    h = {"Accept": "text/event-stream", **headers(sid)}
    assert requests.get(server.mcp_url, headers={"Accept": "application/json", **headers(sid)},
                        timeout=5).status_code == 406
    with requests.get(server.mcp_url, headers=h, stream=True, timeout=10) as stream:
        assert stream.status_code == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
        lines = stream.iter_lines(decode_unicode=True)
        assert next(lines) == ": keepalive"
        second = requests.get(server.mcp_url, headers=h, timeout=5)
        assert second.status_code == 409 and "already has an open GET stream" in second.json()["error"]["message"]
        assert requests.delete(server.mcp_url, headers=headers(sid), timeout=5).status_code == 204
        rest = list(lines)  # the stream ends once the session is gone
        assert all(line in ("", ": keepalive") for line in rest)
    assert requests.get(server.mcp_url, headers=h, timeout=5).status_code == 404
