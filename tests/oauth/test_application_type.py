"""Dynamic Client Registration: `application_type` (OpenID Connect Dynamic Client Registration §2; the 2026-07-28
MCP spec has clients send it).

`web` (the default) or `native`, stored and echoed; anything else is 400 invalid_client_metadata naming the field.
The redirect URIs follow it as OIDC has them: a native client's are http on a loopback host or a private-use scheme
(RFC 8252 §7.1, a reverse domain name), never https; a web client's are https, or http on a loopback host as our
rules have always allowed (existing local clients omit the member and must keep registering).
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from connector.auth.models import AuditEvent, OAuthClient

from . import flow

NATIVE_SCHEME = "com.example.app:/oauth/callback"


def _register(client: Any, **body: Any) -> Any:
    payload = {"client_name": "application-type-tests", "token_endpoint_auth_method": "none", **body}
    return client.post("/oauth/register", json=payload)


def _stored(app: Any, client_id: str) -> dict[str, Any]:
    (row,) = flow.rows(app, OAuthClient, OAuthClient.client_id == client_id)
    return json.loads(row.metadata_json)


@pytest.mark.parametrize("uris", [[flow.REDIRECT], [flow.LOOPBACK_REDIRECT], ["http://localhost/cb", flow.REDIRECT]])
def test_omitted_means_web_and_is_echoed_and_stored(app, client, uris):
    resp = _register(client, redirect_uris=uris)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["application_type"] == "web"
    assert _stored(app, body["client_id"])["application_type"] == "web"


@pytest.mark.parametrize("kind,uris", [
    ("web", ["https://app.example.com/callback"]),
    ("web", ["http://127.0.0.1:8080/callback"]),  # allowed for web clients as before (no application_type then)
    ("native", ["http://127.0.0.1/callback"]),
    ("native", ["http://[::1]:53682/callback", "http://localhost:3000/cb"]),
    ("native", [NATIVE_SCHEME]),
    ("native", ["com.example.app://oauth/callback", "io.github.some-user.tool+dev:/cb"]),
])
def test_accepted_pairs(app, client, kind, uris):
    resp = _register(client, application_type=kind, redirect_uris=uris)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["application_type"] == kind and body["redirect_uris"] == uris
    assert _stored(app, body["client_id"])["application_type"] == kind
    (event,) = [e for e in flow.rows(app, AuditEvent) if e.type == "client.registered"]
    assert event.detail["application_type"] == kind


@pytest.mark.parametrize("value", ["mobile", "", "Native", "WEB", 5, None, ["web"], {"type": "web"}])
def test_an_invalid_value_is_invalid_client_metadata_naming_the_field(app, client, value):
    resp = _register(client, application_type=value, redirect_uris=[flow.REDIRECT])
    assert resp.status_code == 400, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["error"] == "invalid_client_metadata"
    assert body["error_description"].startswith("application_type:"), body
    assert resp.headers["Cache-Control"] == "no-store"
    assert flow.count(app, OAuthClient) == 0


@pytest.mark.parametrize("uri", [
    "https://app.example.com/callback",          # OIDC: a native client never registers https
    "http://app.example.com/callback",
    "myapp:/callback",                           # not a reverse domain name (RFC 8252 §7.1)
    "cursor://callback",
    "javascript:alert(1)", "javascript://x/%0aalert(1)", "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd", "vbscript:msgbox(1)", "about:blank", "blob:https://x/1",
    "Com.Example.App:/callback",                 # schemes are compared exactly: register it in lower case
    "com.example.app:",                          # nothing after the scheme
    "com.example.app:/callback#frag",
    "com.example.app://user@host/cb",
    "com.example.app:/call back",
    "1com.example:/cb",
])
def test_native_redirect_uris_that_are_refused(app, client, uri):
    resp = _register(client, application_type="native", redirect_uris=[uri])
    assert resp.status_code == 400, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["error"] == "invalid_redirect_uri", body
    assert body["error_description"].startswith("redirect_uris:")
    assert flow.count(app, OAuthClient) == 0


def test_native_refusal_says_how_to_fix_it(client):
    body = _register(client, application_type="native", redirect_uris=["https://app.example.com/cb"]).get_json()
    assert "not allowed for a native client" in body["error_description"]
    assert "needs application_type web" in body["error_description"]


@pytest.mark.parametrize("uri", [NATIVE_SCHEME, "http://app.example.com/cb", "javascript:alert(1)"])
def test_web_clients_keep_the_old_rules(app, client, uri):
    for body in ({"application_type": "web"}, {}):
        resp = _register(client, redirect_uris=[uri], **body)
        assert resp.status_code == 400, resp.get_data(as_text=True)
        assert resp.get_json()["error"] == "invalid_redirect_uri"
    desc = _register(client, redirect_uris=[NATIVE_SCHEME]).get_json()["error_description"]
    assert "needs application_type native" in desc


def test_the_operators_allowed_redirect_uris_are_accepted_for_either_type(make_oauth_app):
    app = make_oauth_app(ALLOWED_REDIRECT_URIS=["myapp:/callback", "https://partner.example/cb"])
    client = app.test_client()
    for kind in ("web", "native"):
        for uri in ("myapp:/callback", "https://partner.example/cb"):
            resp = _register(client, application_type=kind, redirect_uris=[uri])
            assert resp.status_code == 201, (kind, uri, resp.get_data(as_text=True))


def test_a_native_app_with_its_own_scheme_completes_the_flow(app, client):
    """Consent names the scheme and warns; the form may answer to it (CSP form-action); the code comes back there."""
    reg = _register(client, application_type="native", redirect_uris=[NATIVE_SCHEME]).get_json()
    verifier, challenge = flow.pkce_pair()
    page, fields = flow.open_consent(client, flow.authorize_params(reg["client_id"], challenge,
                                                                   redirect_uri=NATIVE_SCHEME))
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:800]
    assert '<strong class="host" id="redirect-host">com.example.app:</strong>' in html
    assert "This client returns to an app on your device (com.example.app:)." in html
    assert "form-action 'self' com.example.app:;" in page.headers["Content-Security-Policy"]
    answer = flow.decide(client, fields)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:800]
    location = answer.headers["Location"]
    assert location.startswith(NATIVE_SCHEME + "?"), location
    query = flow.location_query(answer)
    assert query["state"] == "state-123" and query["iss"] == flow.ISSUER
    issued = flow.Issued(code=query["code"], verifier=verifier, client_id=reg["client_id"],
                         redirect_uri=NATIVE_SCHEME, state="state-123")
    token = flow.exchange(client, issued)
    assert token.status_code == 200, token.get_data(as_text=True)
    assert token.get_json()["access_token"].startswith("atk_")


@pytest.mark.parametrize("presented", ["com.example.app:/other", "com.example.app:/oauth/callback/",
                                       "com.example.other:/oauth/callback", "COM.EXAMPLE.APP:/oauth/callback",
                                       "com.example.app://oauth/callback"])
def test_a_private_use_redirect_matches_exactly(client, presented):
    reg = _register(client, application_type="native", redirect_uris=[NATIVE_SCHEME]).get_json()
    _, challenge = flow.pkce_pair()
    resp, _ = flow.open_consent(client, flow.authorize_params(reg["client_id"], challenge, redirect_uri=presented))
    assert resp.status_code == 400
    flow.html_has_no_location(resp)  # never sent to an unregistered URI, not even with an error


def test_the_loopback_port_rule_still_holds_for_native_clients(client):
    reg = _register(client, application_type="native", redirect_uris=["http://127.0.0.1/callback"]).get_json()
    issued = flow.get_code(client, reg["client_id"], redirect_uri="http://127.0.0.1:53123/callback")
    assert flow.exchange(client, issued).status_code == 200
