"""The whole OAuth flow with the official SDK's OAuthClientProvider against gunicorn + gevent, headless."""
from __future__ import annotations

import json

import anyio
import httpx2
import pytest
import requests
from mcp import Client, ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from .oauth_helpers import MemoryStorage, provider

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def auth_server(server_factory):
    return server_factory(AUTH_DISABLED="false", SSE_KEEPALIVE_SECONDS="1")


def test_discovery_register_consent_token_call_refresh_revoke(auth_server):
    storage = MemoryStorage()

    async def body():
        async with httpx2.AsyncClient(auth=provider(auth_server.mcp_url, storage), timeout=30) as http:
            async with streamable_http_client(auth_server.mcp_url, http_client=http) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    assert {"search", "fetch"} <= {t.name for t in (await session.list_tools()).tools}
                    hit = await session.call_tool("search", {"query": "energy"})
                    assert json.loads(hit.content[0].text)["results"]
        return storage.tokens

    tokens = anyio.run(body)
    assert tokens.access_token.startswith("atk_") and tokens.refresh_token.startswith("rtk_")
    assert "attio:read" in tokens.scope
    client_id = storage.client_info.client_id
    bearer = {"Authorization": f"Bearer {tokens.access_token}"}

    # Audiences are per endpoint: the /mcp token is refused at /sse, whose metadata names its own resource…
    r = requests.get(auth_server.url + "/sse", headers={**bearer, "Accept": "text/event-stream"}, timeout=10,
                     stream=True)
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    assert f'resource_metadata="{auth_server.url}/.well-known/oauth-protected-resource/sse"' in \
        r.headers["WWW-Authenticate"]
    r.close()
    # …so the SDK, sent there, authorizes again for /sse, and that token serves the stream and /messages.
    sse_storage = MemoryStorage()

    async def legacy_sse():
        async with sse_client(auth_server.url + "/sse", auth=provider(auth_server.url + "/sse", sse_storage)) as (
                read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                res = await session.call_tool("search", {"query": "acme"})
                assert not res.is_error
    anyio.run(legacy_sse)
    assert sse_storage.tokens.access_token != tokens.access_token

    # refresh: rotation gives a new pair; the old refresh token is dead
    r = requests.post(auth_server.url + "/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens.refresh_token, "client_id": client_id,
        "resource": auth_server.mcp_url}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    fresh = r.json()
    assert fresh["refresh_token"] != tokens.refresh_token and fresh["access_token"] != tokens.access_token

    async def call_with(token: str):
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            async with Client(streamable_http_client(auth_server.mcp_url, http_client=http), mode="legacy") as c:
                return await c.call_tool("search", {"query": "energy"})
    assert not anyio.run(call_with, fresh["access_token"]).is_error

    # revoke, then the MCP endpoint answers 401 with the challenge
    r = requests.post(auth_server.url + "/oauth/revoke", data={"token": fresh["refresh_token"],
                                                                 "client_id": client_id}, timeout=10)
    assert r.status_code == 200
    r = requests.post(auth_server.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                      headers={"Authorization": f"Bearer {fresh['access_token']}",
                               "Accept": "application/json, text/event-stream"}, timeout=10)
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    assert f'resource_metadata="{auth_server.url}/.well-known/oauth-protected-resource/mcp"' in \
        r.headers["WWW-Authenticate"]


def test_unauthenticated_request_gets_the_discovery_challenge(auth_server):
    r = requests.post(auth_server.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                      headers={"Accept": "application/json, text/event-stream"}, timeout=10)
    assert r.status_code == 401
    challenge = r.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ") and "error=" not in challenge
    assert 'scope="attio:read"' in challenge
    prm = requests.get(auth_server.url + "/.well-known/oauth-protected-resource/mcp", timeout=5).json()
    assert prm["resource"] == auth_server.mcp_url
    meta = requests.get(auth_server.url + "/.well-known/oauth-authorization-server", timeout=5).json()
    assert prm["authorization_servers"] == [meta["issuer"]]
    assert meta["code_challenge_methods_supported"] == ["S256"]


def test_the_flow_on_postgresql(server_factory, pg_url):
    srv = server_factory(AUTH_DISABLED="false", DATABASE_URL=pg_url)
    storage = MemoryStorage()

    async def body():
        async with httpx2.AsyncClient(auth=provider(srv.mcp_url, storage), timeout=30) as http:
            async with Client(streamable_http_client(srv.mcp_url, http_client=http), mode="legacy") as client:
                hit = await client.call_tool("search", {"query": "energy"})
                return json.loads(hit.content[0].text)
    assert anyio.run(body)["results"]
    import psycopg

    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT access_hash, refresh_hash FROM oauth_tokens").fetchall()
        dump = repr(conn.execute("SELECT * FROM oauth_tokens").fetchall())
    assert len(rows) == 1 and len(rows[0][0]) == 64
    assert storage.tokens.access_token not in dump and storage.tokens.refresh_token not in dump
