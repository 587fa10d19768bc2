"""Security headers (connector/security/headers.py) on the consent, sign-in and error pages, over http and https.

Every HTML page: a CSP without script and with `frame-ancestors 'none'`, X-Frame-Options DENY,
Referrer-Policy no-referrer, no-store; every response: nosniff; HSTS only over https (directly, or
behind TRUSTED_PROXY_HOPS proxies that say so).
"""
from __future__ import annotations

from typing import Any

import pytest

from tests.oauth import flow

HSTS = "max-age=31536000; includeSubDomains"
SECURE = "https://localhost"


def csp_of(resp: Any) -> dict[str, list[str]]:
    """The Content-Security-Policy as {directive: sources}."""
    policy = resp.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_page_headers(resp: Any, status: int, *, https: bool, form_targets: tuple[str, ...] = ()) -> None:
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "text/html"
    csp = csp_of(resp)
    assert csp["default-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"] and csp["style-src"] == ["'self'"]
    assert "script-src" not in csp and "'unsafe-inline'" not in resp.headers["Content-Security-Policy"]
    assert csp["form-action"] == ["'self'", *sorted(form_targets)]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    if https:
        assert resp.headers["Strict-Transport-Security"] == HSTS
    else:
        assert "Strict-Transport-Security" not in resp.headers


def pages(app: Any, *, https: bool) -> dict[str, Any]:
    """The consent page, the unknown-client 400 page and the stale-form 403 page of `app`."""
    base = SECURE if https else "http://localhost"
    client = app.test_client()
    reg = flow.register(client)
    params = flow.authorize_params(reg["client_id"], flow.pkce_pair()[1], resource=f"{base}/mcp")
    consent = client.get(flow.authorize_url(params), base_url=base)
    fields = flow.hidden_fields(consent.get_data(as_text=True))
    unknown = client.get(flow.authorize_url({**params, "client_id": "c_unknown"}), base_url=base)
    stale = app.test_client().post("/oauth/authorize", data={**fields, "decision": "allow"}, base_url=base)
    return {"consent": consent, "unknown": unknown, "stale": stale}


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("mode", ["demo", "api_key"])
def test_consent_sign_in_and_error_pages(make_oauth_app, https, mode):
    settings: dict[str, Any] = {"PUBLIC_URL": SECURE} if https else {}
    if mode == "api_key":
        settings["ATTIO_API_KEY"] = "test-attio-key"
    app = make_oauth_app(**settings)
    assert app.config["MODE"] == mode
    got = pages(app, https=https)
    # The consent page may post its answer to the client's redirect origin, and only there.
    assert_page_headers(got["consent"], 200, https=https, form_targets=("https://client.example",))
    html = got["consent"].get_data(as_text=True)
    assert ('type="password"' in html) == (mode == "api_key")  # api_key mode signs the person in first
    assert "<script" not in html.lower()
    assert_page_headers(got["unknown"], 400, https=https)
    assert_page_headers(got["stale"], 403, https=https)
    assert "no longer valid" in got["stale"].get_data(as_text=True)


def test_hsts_behind_a_trusted_proxy_only(make_oauth_app):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    trusting = make_oauth_app(TRUSTED_PROXY_HOPS=1).test_client()
    assert trusting.get("/healthz", headers=forwarded).headers["Strict-Transport-Security"] == HSTS
    assert "Strict-Transport-Security" not in trusting.get("/healthz").headers
    # Without TRUSTED_PROXY_HOPS a client cannot claim https for itself.
    plain = make_oauth_app().test_client()
    assert "Strict-Transport-Security" not in plain.get("/healthz", headers=forwarded).headers


def test_nosniff_everywhere_page_policy_only_on_html(make_oauth_app):
    client = make_oauth_app().test_client()
    answers = [client.get("/healthz"), client.get("/openapi.json"), client.post("/oauth/token", data={}),
               client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=flow.MCP_HEADERS),
               client.get("/oauth/static/style.css"), client.get("/no-such-page")]
    assert [a.status_code for a in answers] == [200, 200, 400, 401, 200, 404]
    for resp in answers:
        assert resp.headers["X-Content-Type-Options"] == "nosniff", resp.request.path
        assert resp.mimetype != "text/html"
        assert "Content-Security-Policy" not in resp.headers and "X-Frame-Options" not in resp.headers


def test_non_ascii_authorize_parameter_is_a_400_page_not_a_500(make_oauth_app):
    """Found by schemathesis: Authlib refuses to build an error description that echoes non-ASCII input."""
    app = make_oauth_app()
    client = app.test_client()
    reg = flow.register(client)
    for bad in ({"response_type": "c\u00f6de"}, {"redirect_uri": "https://client.example/\u00e9"}):
        params = {**flow.authorize_params(reg["client_id"], flow.pkce_pair()[1]), **bad}
        resp = client.get(flow.authorize_url(params))
        assert_page_headers(resp, 400, https=False)
        assert "invalid_request" in resp.get_data(as_text=True)
