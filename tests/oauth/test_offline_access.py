"""offline_access as the 2026-07-28 client scenarios expect of an authorization server (SEP-2207).

`auth/offline-access-scope` gives the client an AS whose metadata lists `offline_access` in scopes_supported and
`refresh_token` in grant_types_supported, and expects a client that wants a refresh token to register the
refresh_token grant and ask for offline_access; `auth/offline-access-not-supported` expects it not to ask when the
AS does not list it. The spec adds: the AS decides whether refresh tokens are issued, and a protected resource does
not list offline_access (PRM scopes_supported, WWW-Authenticate scope). So our AS advertises it and grants it to
clients registered for the refresh_token grant when they ask. It uses its discretion to return a refresh token to
every such client, asked or not: ChatGPT asks for the challenged scopes only and must stay connected past the
access token's hour (the consent page says "Stay connected" for it; tests/oauth/test_stay_connected.py).
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from connector.auth.models import Token

from . import flow

CHATGPT_DCR = {"client_name": "ChatGPT", "grant_types": ["authorization_code", "refresh_token"],
               "response_types": ["code"], "scope": "attio:read attio:write"}


def _params(header: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def _token_row(app: Any, access_token: str) -> Token:
    with app.app_context():
        digest = app.extensions["keyring"].digest(access_token)
    (row,) = flow.rows(app, Token, Token.access_hash == digest)
    return row


def test_the_as_advertises_offline_access_and_the_resource_does_not(client):
    meta = client.get("/.well-known/oauth-authorization-server").get_json()
    assert "offline_access" in meta["scopes_supported"]  # what offline-access-scope's AS shows its client
    assert "refresh_token" in meta["grant_types_supported"]
    for suffix in ("mcp", "sse"):
        prm = client.get(f"/.well-known/oauth-protected-resource/{suffix}").get_json()
        assert "offline_access" not in prm["scopes_supported"], prm  # a resource requirement it is not
    challenge = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=flow.MCP_HEADERS)
    assert challenge.status_code == 401
    assert "offline_access" not in _params(challenge.headers["WWW-Authenticate"]).get("scope", "")


def test_the_sdk_asks_for_offline_access_from_our_documents_and_gets_a_refresh_token(client):
    """The official SDK's scope selection (SEP-2207) run on our own metadata, then that scope through the flow."""
    from mcp.client.auth.utils import get_client_metadata_scopes
    from mcp.shared.auth import OAuthMetadata, ProtectedResourceMetadata

    prm = ProtectedResourceMetadata.model_validate(client.get("/.well-known/oauth-protected-resource/mcp").get_json())
    meta = OAuthMetadata.model_validate(client.get("/.well-known/oauth-authorization-server").get_json())
    scope = get_client_metadata_scopes(None, prm, meta, ["authorization_code", "refresh_token"])
    assert scope == "attio:read attio:write offline_access"
    # A client that cannot refresh does not ask (and would not be granted it anyway).
    assert get_client_metadata_scopes(None, prm, meta, ["authorization_code"]) == "attio:read attio:write"
    reg = flow.register(client, grant_types=["authorization_code", "refresh_token"])
    token = flow.authorized(client, reg["client_id"], scope=scope, prompt="consent")  # the SDK adds prompt=consent
    assert token["refresh_token"].startswith("rtk_") and token["scope"] == scope


def test_offline_access_is_granted_when_asked_and_refresh_tokens_come_either_way(client, public_client):
    cid = public_client["client_id"]
    online = flow.authorized(client, cid, scope="attio:read attio:write")
    assert online["scope"] == "attio:read attio:write"
    assert online["refresh_token"].startswith("rtk_")  # a refresh-capable client (ChatGPT asks for no more)
    assert flow.mcp_initialize(client, online["access_token"]).status_code == 200
    offline = flow.authorized(client, cid, scope="attio:read offline_access")
    assert offline["refresh_token"].startswith("rtk_") and offline["scope"] == "attio:read offline_access"


def test_a_client_registering_only_the_attio_scopes_is_still_granted_offline_access(client):
    """ChatGPT's registration names attio:read attio:write: offline_access asks for a refresh token, not for access
    to anything, so a client registered for the refresh_token grant gets it when it asks."""
    reg = flow.register(client, **CHATGPT_DCR)
    token = flow.authorized(client, reg["client_id"], scope="attio:read attio:write offline_access")
    assert token["scope"] == "attio:read attio:write offline_access" and token["refresh_token"].startswith("rtk_")
    # …while the registered scope still bounds the resource scopes.
    narrow = flow.register(client, **{**CHATGPT_DCR, "scope": "attio:read"})
    token = flow.authorized(client, narrow["client_id"], scope="attio:read attio:write offline_access")
    assert token["scope"] == "attio:read offline_access"


def test_every_refresh_rotates_to_a_new_refresh_token_even_with_a_narrower_scope(app, client, public_client):
    cid = public_client["client_id"]
    first = flow.authorized(client, cid, scope="attio:read attio:write offline_access")
    again = flow.refresh(client, first["refresh_token"], cid)
    assert again.status_code == 200, again.get_data(as_text=True)
    second = again.get_json()
    assert second["scope"] == "attio:read attio:write offline_access"
    assert second["refresh_token"].startswith("rtk_") and second["refresh_token"] != first["refresh_token"]
    # A narrower scope without offline_access: the presented refresh token is used up, so a successor must come
    # or the grant would end here.
    narrower = flow.refresh(client, second["refresh_token"], cid, scope="attio:read")
    assert narrower.status_code == 200, narrower.get_data(as_text=True)
    third = narrower.get_json()
    assert third["scope"] == "attio:read" and third["refresh_token"].startswith("rtk_")
    # Asking back for more than the chain now holds is refused (RFC 6749 §6), and burns nothing.
    wider = flow.refresh(client, third["refresh_token"], cid, scope="attio:read attio:write")
    assert wider.status_code == 400 and flow.error_of(wider) == "invalid_scope"
    fourth = flow.refresh(client, third["refresh_token"], cid)
    assert fourth.status_code == 200 and fourth.get_json()["refresh_token"].startswith("rtk_")


def test_a_refresh_chain_issued_before_offline_access_was_required_keeps_rotating(app, client, public_client):
    """Refresh tokens issued while every refresh-capable client got one (scope without offline_access) keep
    working after the upgrade: the connection does not end at its next refresh."""
    cid = public_client["client_id"]
    tokens = flow.authorized(client, cid, scope="attio:read offline_access")
    row = _token_row(app, tokens["access_token"])
    assert flow.set_columns(app, Token, Token.id == row.id, scope="attio:read") == 1  # as the old code stored it
    renewed = flow.refresh(client, tokens["refresh_token"], cid)
    assert renewed.status_code == 200, renewed.get_data(as_text=True)
    body = renewed.get_json()
    assert body["scope"] == "attio:read" and body["refresh_token"].startswith("rtk_")
    wider = flow.refresh(client, body["refresh_token"], cid, scope="attio:read offline_access")
    assert wider.status_code == 400 and flow.error_of(wider) == "invalid_scope"  # never granted, so not widened
    assert flow.refresh(client, body["refresh_token"], cid).status_code == 200  # the refused request burnt nothing


@pytest.mark.parametrize("grant_types", [["authorization_code"], None], ids=["code-only", "default"])
def test_offline_access_is_granted_only_to_clients_registered_for_refresh(client, grant_types):
    reg = flow.register(client, grant_types=grant_types)
    token = flow.authorized(client, reg["client_id"], scope="attio:read offline_access")
    if grant_types == ["authorization_code"]:
        assert token["scope"] == "attio:read" and "refresh_token" not in token
    else:  # RFC 7591's default grant types here are authorization_code and refresh_token
        assert token["scope"] == "attio:read offline_access" and token["refresh_token"].startswith("rtk_")


def test_a_token_request_cannot_add_offline_access_after_consent(client, public_client):
    """The code carries the scope the person saw; a scope on the token request does not widen it."""
    cid = public_client["client_id"]
    issued = flow.get_code(client, cid, scope="attio:read")
    resp = flow.exchange(client, issued, scope="attio:read offline_access")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["scope"] == "attio:read"
