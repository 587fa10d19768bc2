"""Issue 8 item 5: the consent page says "Stay connected" exactly when the code exchange returns a refresh token.

Issue 8 found a 30-day refresh token behind a page that listed only "Read your CRM". A refresh token comes to every
client registered for the refresh_token grant (ChatGPT asks only for the challenged scopes, yet must stay
connected past an hour), so the page announces it for such a client whether or not `offline_access` was asked for,
and never for one that cannot refresh. tests/oauth/test_offline_access.py covers the offline_access scope itself.
"""
from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from . import flow

STAY = "Stay connected"


def consent_lines(html: str) -> list[str]:
    """The titles of the "This will allow it to" list, as the person reads them."""
    section = re.search(r'<ul class="scopes" id="scopes">(.*?)</ul>', html, re.S)
    assert section, html[:2000]
    return [unescape(t).strip() for t in re.findall(r'<p class="scope__title">([^<]*)<', section.group(1))]


def run_flow(client: Any, client_id: str, scope: str | None) -> tuple[list[str], dict[str, Any]]:
    """Consent page lines, then Allow and the code exchange: (lines shown, token response)."""
    verifier, challenge = flow.pkce_pair()
    page, fields = flow.open_consent(client, flow.authorize_params(client_id, challenge, scope=scope))
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    lines = consent_lines(page.get_data(as_text=True))
    answer = flow.decide(client, fields)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:800]
    issued = flow.Issued(code=flow.location_query(answer)["code"], verifier=verifier, client_id=client_id,
                         redirect_uri=flow.REDIRECT, state="state-123")
    token = flow.exchange(client, issued)
    assert token.status_code == 200, token.get_data(as_text=True)
    return lines, token.get_json()


@pytest.mark.parametrize("scope", ["attio:read offline_access", "offline_access attio:read attio:write",
                                   "attio:read offline_access offline_access"])
def test_offline_access_asked_for_is_announced_and_brings_a_refresh_token(client, public_client, scope):
    lines, token = run_flow(client, public_client["client_id"], scope)
    assert token.get("refresh_token", "").startswith("rtk_"), token
    assert "offline_access" in token["scope"].split()
    assert "Read your CRM" in lines
    assert lines.count(STAY) == 1 and lines[-1] == STAY, lines  # said once, after what the app may do


@pytest.mark.parametrize("scope", ["attio:read", None, "attio:read attio:write"], ids=["read", "none", "read+write"])
def test_without_offline_access_a_refresh_capable_client_is_still_told_and_gets_one(client, public_client, scope):
    lines, token = run_flow(client, public_client["client_id"], scope)
    assert token.get("refresh_token", "").startswith("rtk_"), token  # as ChatGPT needs
    assert "offline_access" not in token["scope"].split()  # the scope says what was asked for and granted
    assert "Read your CRM" in lines
    assert lines.count(STAY) == 1 and lines[-1] == STAY, lines  # the page never hides the refresh token


@pytest.mark.parametrize("scope", ["attio:read offline_access", "attio:read", None])
def test_client_without_the_refresh_grant_gets_no_refresh_token_and_no_such_line(client, scope):
    reg = flow.register(client, grant_types=["authorization_code"])
    lines, token = run_flow(client, reg["client_id"], scope)
    assert "refresh_token" not in token, token
    assert token["scope"] == "attio:read"  # offline_access is not granted to a client that cannot refresh
    assert "Read your CRM" in lines
    assert STAY not in lines, lines  # asking for offline_access does not make the page promise what never comes


def test_offline_access_stays_advertised(client):
    meta = client.get("/.well-known/oauth-authorization-server").get_json()
    assert "offline_access" in meta["scopes_supported"]
    assert {"authorization_code", "refresh_token"} <= set(meta["grant_types_supported"])
