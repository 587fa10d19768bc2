"""Issue 8 item 10: strict per-endpoint audiences.

A token is good only at the endpoint named by its `resource`: an /mcp token at /mcp, an /sse token at
/sse and /messages (the two halves of the legacy transport). Each endpoint's protected-resource
metadata names its own resource, which is what the MCP SDK sends as `resource`.
"""
from __future__ import annotations

from typing import Any

import pytest

from . import flow
from .flow import MCP_RESOURCE, SSE_RESOURCE

def token_for(client: Any, client_id: str, resource: str) -> str:
    """A whole flow for `resource`; the access token."""
    issued = flow.get_code(client, client_id, resource=resource, scope="attio:read")
    resp = flow.exchange(client, issued, resource=resource)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["access_token"]


def challenge_of(resp: Any) -> str:
    return resp.headers.get("WWW-Authenticate", "")


def post_message(client: Any, token: str) -> Any:
    """POST /messages for a session that does not exist: 404 once the token is accepted, 401 if not."""
    return client.post("/messages?sessionId=no-such-session", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                       headers={"Authorization": f"Bearer {token}"})


def test_sse_token_is_refused_at_mcp(client, public_client):
    sse_token = token_for(client, public_client["client_id"], SSE_RESOURCE)
    resp = flow.mcp_initialize(client, sse_token)
    assert resp.status_code == 401, resp.get_data(as_text=True)
    assert 'error="invalid_token"' in challenge_of(resp)
    # The challenge points at /mcp's own metadata, which names the resource a token for /mcp must carry.
    assert f'resource_metadata="{flow.ISSUER}/.well-known/oauth-protected-resource/mcp"' in challenge_of(resp)
    assert resp.get_json()["error"]["code"] == -32001 and "resource" in resp.get_json()["error"]["message"]
    # …and the same token is good where it was meant for.
    assert post_message(client, sse_token).status_code == 404


def test_mcp_token_is_refused_at_messages(client, public_client):
    # GET /sse with it is refused the same way (tests/integration/test_oauth_flow.py, against gunicorn: an accepted
    # token would open a stream, which the in-process client cannot close).
    mcp_token = token_for(client, public_client["client_id"], MCP_RESOURCE)
    assert flow.mcp_initialize(client, mcp_token).status_code == 200
    resp = post_message(client, mcp_token)
    assert resp.status_code == 401, resp.get_data(as_text=True)
    assert 'error="invalid_token"' in challenge_of(resp)
    assert f'resource_metadata="{flow.ISSUER}/.well-known/oauth-protected-resource/sse"' in challenge_of(resp)


@pytest.mark.parametrize("path, resource", [("/.well-known/oauth-protected-resource", MCP_RESOURCE),
                                            ("/.well-known/oauth-protected-resource/mcp", MCP_RESOURCE),
                                            ("/.well-known/oauth-protected-resource/sse", SSE_RESOURCE)])
def test_each_endpoints_metadata_names_its_own_resource(client, path, resource):
    assert client.get(path).get_json()["resource"] == resource


def test_refresh_keeps_the_endpoint(client, public_client):
    """A refreshed /sse token is still an /sse token: a refresh cannot move it to /mcp."""
    issued = flow.get_code(client, public_client["client_id"], resource=SSE_RESOURCE)
    first = flow.exchange(client, issued, resource=SSE_RESOURCE).get_json()
    moved = flow.refresh(client, first["refresh_token"], public_client["client_id"], resource=MCP_RESOURCE)
    assert moved.status_code == 400 and flow.error_of(moved) == "invalid_target"
    fresh = flow.refresh(client, first["refresh_token"], public_client["client_id"], resource=None).get_json()
    assert flow.mcp_initialize(client, fresh["access_token"]).status_code == 401
    assert post_message(client, fresh["access_token"]).status_code == 404
