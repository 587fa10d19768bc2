"""Security checklist items 1–15 of oauth-security.md §4, against the Flask test client.

One test (or parametrized group) per item, named test_NN_…; item 2 also runs against
gunicorn + PostgreSQL when PostgreSQL is reachable.
"""
from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from connector.auth import server as auth_server
from connector.auth.crypto import hash_password
from connector.auth.models import AuthCode, Grant, OAuthClient, PendingAuthorization, Token, User, aware

from . import flow
from .flow import ISSUER, LOOPBACK_REDIRECT, MCP_RESOURCE, REDIRECT, SSE_RESOURCE, count, error_of

EVIL = "https://evil.example/cb"


def assert_json_error(resp: Any, status: int, error: str) -> None:
    """An RFC 6749 JSON error with exactly this status and `error`, and no token in it."""
    body = resp.get_json(silent=True)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert body is not None and body.get("error") == error, body
    assert "access_token" not in body and "refresh_token" not in body


def assert_local_page(resp: Any, status: int = 400) -> None:
    """A local HTML error page: never a redirect, no Location header."""
    assert resp.status_code == status, (resp.status_code, resp.headers.get("Location"))
    assert "Location" not in resp.headers, resp.headers["Location"]
    assert resp.mimetype == "text/html"


def assert_error_redirect(resp: Any, redirect_uri: str, error: str, state: str = "state-123") -> None:
    """An error redirect to the validated redirect URI, carrying state and iss, and no code."""
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]
    assert flow.location_base(resp) == redirect_uri
    query = flow.location_query(resp)
    assert query["error"] == error, query
    assert query["state"] == state and query["iss"] == ISSUER
    assert "code" not in query


def www_authenticate(resp: Any) -> str:
    return resp.headers.get("WWW-Authenticate", "")


# --------------------------------------------------------------------------- 1


def test_01_code_replay_is_invalid_grant_and_revokes_the_first_tokens(app, client, public_client):
    issued = flow.get_code(client, public_client["client_id"])
    first = flow.exchange(client, issued)
    assert first.status_code == 200, first.get_data(as_text=True)
    tokens = first.get_json()
    assert flow.mcp_initialize(client, tokens["access_token"]).status_code == 200  # the AT works before the replay

    replay = flow.exchange(client, issued)
    assert_json_error(replay, 400, "invalid_grant")

    at = flow.mcp_initialize(client, tokens["access_token"])
    assert at.status_code == 401
    assert 'error="invalid_token"' in www_authenticate(at)
    assert_json_error(flow.refresh(client, tokens["refresh_token"], public_client["client_id"]), 400,
                      "invalid_grant")
    (grant,) = flow.rows(app, Grant)
    assert grant.revoked_at is not None and grant.revoked_reason == "code_replayed"
    assert "code.replayed" in flow.audit_types(app)


# --------------------------------------------------------------------------- 2


Outcome = tuple[int, "str | None", dict]


def _race(n: int, post: Any) -> list[Outcome]:
    """Run `post()` in `n` threads released together; (status, error, body) of each."""
    barrier = threading.Barrier(n)

    def one(_: int) -> Outcome:
        barrier.wait(timeout=30)
        return post()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def _exactly_one_winner(results: list[Outcome]) -> dict:
    """Exactly one 200; every other answer is 400 invalid_grant. Returns the winning token response."""
    summary = [(status, error) for status, error, _ in results]
    assert [s for s, _ in summary].count(200) == 1, summary
    assert all(r == (400, "invalid_grant") for r in summary if r[0] != 200), summary
    return next(body for status, _, body in results if status == 200)


def test_02_concurrent_redemption_two_apps_threads_same_sqlite_file(make_oauth_app, tmp_path):
    """Two app instances (two engines, two sessions) on one SQLite file; 8 threads POST the same code at once.

    Exactly one redemption wins; the others are replays, so the winner's tokens end up revoked (item 1).
    """
    url = flow.sqlite_url(tmp_path / "shared.sqlite")
    apps = [make_oauth_app(DATABASE_URL=url), make_oauth_app(DATABASE_URL=url)]
    browser = apps[0].test_client()
    reg = flow.register(browser)
    for _ in range(5):
        issued = flow.get_code(browser, reg["client_id"])
        turn = iter(range(8))
        lock = threading.Lock()

        def post(issued: flow.Issued = issued) -> Outcome:
            with lock:
                app = apps[next(turn) % 2]
            resp = flow.exchange(app.test_client(), issued)
            return resp.status_code, error_of(resp), resp.get_json()

        winner = _exactly_one_winner(_race(8, post))
        assert flow.mcp_initialize(apps[1].test_client(), winner["access_token"]).status_code == 401
    assert count(apps[0], Token) == 5


@pytest.mark.integration
def test_02_concurrent_redemption_gunicorn_postgresql(server_factory, pg_url):
    """The real server (gunicorn + gevent) on a fresh PostgreSQL database (skipped when PostgreSQL is down):
    8 concurrent POSTs of one code, exactly one 200, and the replays revoke the winner's family."""
    import requests

    srv = server_factory(AUTH_DISABLED="false", RATE_LIMITS_ENABLED="false", DATABASE_URL=pg_url)
    reg = requests.post(f"{srv.url}/oauth/register", json={"redirect_uris": [REDIRECT],
                                                            "token_endpoint_auth_method": "none"}, timeout=10)
    assert reg.status_code == 201, reg.text
    client_id = reg.json()["client_id"]
    for _ in range(3):
        verifier, challenge = flow.pkce_pair()
        with requests.Session() as browser:
            params = flow.authorize_params(client_id, challenge, resource=srv.mcp_url)
            page = browser.get(f"{srv.url}/oauth/authorize?{urlencode(params)}", timeout=10)
            assert page.status_code == 200, page.text[:500]
            answer = browser.post(f"{srv.url}/oauth/authorize", allow_redirects=False, timeout=10,
                                  data={**flow.hidden_fields(page.text), "decision": "allow"})
            assert answer.status_code == 303, answer.text[:500]
            code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                "client_id": client_id, "redirect_uri": REDIRECT, "resource": srv.mcp_url}

        def post(form: dict = form) -> Outcome:
            resp = requests.post(f"{srv.url}/oauth/token", data=form, timeout=30)
            body = resp.json() if resp.headers.get("Content-Type", "").startswith("application/json") else {}
            return resp.status_code, body.get("error"), body

        winner = _exactly_one_winner(_race(8, post))
        probe = requests.post(srv.mcp_url, json=flow.INITIALIZE, timeout=10,
                              headers={**flow.MCP_HEADERS, "Authorization": f"Bearer {winner['access_token']}"})
        assert probe.status_code == 401  # the replays revoked the family
    assert srv.alive()


# --------------------------------------------------------------------------- 3


class _Clock(datetime):
    """datetime whose now() runs `offset` ahead (patched into connector.auth.server)."""

    offset = timedelta(0)

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return datetime.now(tz) + cls.offset


@pytest.mark.parametrize("how", ["clock_advanced", "row_expired_in_db"])
def test_03_expired_code_is_invalid_grant(make_oauth_app, monkeypatch, how):
    app = make_oauth_app(AUTH_CODE_TTL=30)
    client = app.test_client()
    reg = flow.register(client)
    fresh, stale = flow.get_code(client, reg["client_id"]), flow.get_code(client, reg["client_id"])
    (row,) = flow.rows(app, AuthCode, AuthCode.code_hash == _digest(app, stale.code))
    issued_at = datetime.now(timezone.utc)
    assert timedelta(seconds=25) < aware(row.expires_at) - issued_at <= timedelta(seconds=30)

    if how == "clock_advanced":
        monkeypatch.setattr(auth_server, "datetime", _Clock)
        monkeypatch.setattr(_Clock, "offset", timedelta(seconds=25))
        assert flow.exchange(client, fresh).status_code == 200  # still inside the TTL
        monkeypatch.setattr(_Clock, "offset", timedelta(seconds=31))  # just past it
    else:
        with app.app_context():
            session = app.extensions["db"].session
            session.get(AuthCode, _digest(app, stale.code)).expires_at = issued_at - timedelta(seconds=1)
            session.commit()
        assert flow.exchange(client, fresh).status_code == 200
    assert_json_error(flow.exchange(client, stale), 400, "invalid_grant")
    assert count(app, Token) == 1


def test_03_code_bound_to_its_client(app, client, public_client):
    other_public = flow.register(client)
    confidential = flow.register(client, token_endpoint_auth_method="client_secret_post")
    for thief in (other_public, confidential):
        issued = flow.get_code(client, public_client["client_id"])
        resp = flow.exchange(client, issued, client_id=thief["client_id"],
                             client_secret=thief.get("client_secret"))
        assert_json_error(resp, 400, "invalid_grant")
    assert count(app, Token) == 0


@pytest.mark.parametrize("resource", ["https://other.example/mcp", SSE_RESOURCE])
def test_03_code_bound_to_its_resource(app, client, public_client, resource):
    issued = flow.get_code(client, public_client["client_id"], resource=MCP_RESOURCE)
    assert_json_error(flow.exchange(client, issued, resource=resource), 400, "invalid_target")
    assert count(app, Token) == 0


def _digest(app: Any, code: str) -> str:
    with app.app_context():
        return app.extensions["keyring"].digest(code)


# --------------------------------------------------------------------------- 4


@pytest.mark.parametrize("presented", [
    "https://evil.example/cb",                # unregistered host
    "https://client.example/cb/extra",        # extra path segment
    "https://client.example/cb/",             # trailing slash
    "https://client.example/CB",              # changed case (path)
    "https://CLIENT.example/cb",              # changed case (host)
    "https://client.example/cb?x=1",          # added query string
    "https://client.example@evil.example/cb",  # https://good@evil
    "https://client.example/cb#frag",         # fragment
])
@pytest.mark.parametrize("pkce", ["with_pkce", "without_pkce"])
def test_04_redirect_mismatch_at_authorize_is_a_local_page(app, client, public_client, presented, pkce):
    challenge = flow.pkce_pair()[1] if pkce == "with_pkce" else None
    resp, _ = flow.open_consent(client, flow.authorize_params(public_client["client_id"], challenge,
                                                              redirect_uri=presented))
    assert_local_page(resp, 400)
    assert count(app, PendingAuthorization) == 0 and count(app, AuthCode) == 0


# --------------------------------------------------------------------------- 5


@pytest.mark.parametrize("presented", [
    "https://client.example/other",  # registered too, but not the one used at /authorize
    "https://client.example/cb/",
    None,                            # omitted although /authorize sent one (RFC 6749 §4.1.3)
])
def test_05_redirect_mismatch_at_token_is_invalid_grant(app, client, presented):
    reg = flow.register(client, [REDIRECT, "https://client.example/other"])
    issued = flow.get_code(client, reg["client_id"], redirect_uri=REDIRECT)
    assert_json_error(flow.exchange(client, issued, redirect_uri=presented), 400, "invalid_grant")
    assert count(app, Token) == 0


def test_05_loopback_port_must_match_the_authorize_request_at_token(app, client):
    reg = flow.register(client, ["http://127.0.0.1/cb"])
    issued = flow.get_code(client, reg["client_id"], redirect_uri="http://127.0.0.1:53123/cb")
    assert_json_error(flow.exchange(client, issued, redirect_uri="http://127.0.0.1:53124/cb"), 400, "invalid_grant")


# --------------------------------------------------------------------------- 6


def test_06_loopback_any_port_same_path_is_accepted(app, client):
    reg = flow.register(client, ["http://127.0.0.1/cb"])
    issued = flow.get_code(client, reg["client_id"], redirect_uri="http://127.0.0.1:53123/cb")
    assert issued.query["iss"] == ISSUER
    resp = flow.exchange(client, issued)
    assert resp.status_code == 200, resp.get_data(as_text=True)


@pytest.mark.parametrize("presented", [
    "http://127.0.0.1:53123/other",     # another path
    "http://evil.localhost/cb",          # a name under localhost is not loopback
    "http://evil.localhost:53123/cb",
    "https://127.0.0.1:53123/cb",        # scheme changed
    "http://user@127.0.0.1:53123/cb",    # user information
    "http://127.0.0.1:53123/cb#frag",    # fragment (RFC 6749 §3.1.2)
    "http://127.0.0.1:53123/cb?x=1",     # query added
])
def test_06_loopback_rule_rejects_other_paths_and_hosts(app, client, presented):
    reg = flow.register(client, ["http://127.0.0.1/cb"])
    resp, _ = flow.open_consent(client, flow.authorize_params(reg["client_id"], flow.pkce_pair()[1],
                                                              redirect_uri=presented))
    assert_local_page(resp, 400)
    assert count(app, PendingAuthorization) == 0


def test_06_registering_a_localhost_subdomain_is_refused(client):
    body = flow.register(client, ["http://evil.localhost/cb"], expect=400)
    assert body["error"] == "invalid_redirect_uri"


# --------------------------------------------------------------------------- 7


@pytest.mark.parametrize("uri", [
    "javascript:alert(1)",
    "javascript://x/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///x",
    "http://example.com/cb",
    "vbscript:msgbox(1)",
])
def test_07_dcr_refuses_dangerous_redirect_uris(app, client, uri):
    for uris in ([uri], [REDIRECT, uri]):
        resp = client.post("/oauth/register", json={"redirect_uris": uris, "token_endpoint_auth_method": "none"})
        assert resp.status_code == 400, resp.get_data(as_text=True)
        body = resp.get_json()
        assert body["error"] == "invalid_redirect_uri"  # the RFC 7591 §3.2.2 code for a bad redirect URI
        assert "client_id" not in body and "client_secret" not in body
    assert count(app, OAuthClient) == 0


def test_07_public_client_gets_no_secret(app, client):
    explicit = flow.register(client, token_endpoint_auth_method="none")
    defaulted = flow.register(client, token_endpoint_auth_method=None)  # omitted: defaults to none
    for body in (explicit, defaulted):
        assert body["token_endpoint_auth_method"] == "none"
        assert "client_secret" not in body and "client_secret_expires_at" not in body
    assert all(r.secret_hash is None for r in flow.rows(app, OAuthClient))
    confidential = flow.register(client, token_endpoint_auth_method="client_secret_basic")
    assert confidential["client_secret"]  # the contrast: confidential clients do get one


# --------------------------------------------------------------------------- 8


@pytest.mark.parametrize("method", ["S256", None])
def test_08_no_pkce_at_authorize_web_client_gets_a_local_page(app, client, public_client, method):
    """A self-registered https client is not trusted for automatic error redirects (RFC 9700 §4.11.2)."""
    resp, _ = flow.open_consent(client, flow.authorize_params(public_client["client_id"], None, method=method))
    assert_local_page(resp, 400)
    assert count(app, PendingAuthorization) == 0 and count(app, AuthCode) == 0


@pytest.mark.parametrize("method", ["S256", None])
def test_08_no_pkce_at_authorize_loopback_client_gets_an_error_redirect(app, client, loopback_client, method):
    resp, _ = flow.open_consent(client, flow.authorize_params(loopback_client["client_id"], None, method=method,
                                                              redirect_uri=LOOPBACK_REDIRECT))
    assert_error_redirect(resp, LOOPBACK_REDIRECT, "invalid_request")
    assert count(app, PendingAuthorization) == 0 and count(app, AuthCode) == 0


def test_08_no_pkce_at_authorize_operator_allowed_uri_gets_an_error_redirect(make_oauth_app):
    app = make_oauth_app(ALLOWED_REDIRECT_URIS=[REDIRECT])
    client = app.test_client()
    reg = flow.register(client)
    resp, _ = flow.open_consent(client, flow.authorize_params(reg["client_id"], None))
    assert_error_redirect(resp, REDIRECT, "invalid_request")
    assert count(app, AuthCode) == 0


# --------------------------------------------------------------------------- 9


@pytest.mark.parametrize("method", ["plain", None, "foo", "s256"])
@pytest.mark.parametrize("kind", ["web", "loopback"])
def test_09_only_s256_is_accepted(app, client, public_client, loopback_client, method, kind):
    verifier, challenge = flow.pkce_pair()
    if method == "plain":
        challenge = verifier
    reg, redirect_uri = (public_client, REDIRECT) if kind == "web" else (loopback_client, LOOPBACK_REDIRECT)
    resp, _ = flow.open_consent(client, flow.authorize_params(reg["client_id"], challenge, method=method,
                                                              redirect_uri=redirect_uri))
    if kind == "web":
        assert_local_page(resp, 400)
    else:
        assert_error_redirect(resp, redirect_uri, "invalid_request")
    assert count(app, PendingAuthorization) == 0 and count(app, AuthCode) == 0


def test_09_metadata_lists_only_s256(client):
    meta = client.get("/.well-known/oauth-authorization-server").get_json()
    assert meta["code_challenge_methods_supported"] == ["S256"]


# --------------------------------------------------------------------------- 10


@pytest.mark.parametrize("auth", ["none", "client_secret_post"])
@pytest.mark.parametrize("verifier", ["missing", "wrong"])
def test_10_verifier_missing_or_wrong_is_invalid_grant(app, client, auth, verifier):
    reg = flow.register(client, token_endpoint_auth_method=auth)
    issued = flow.get_code(client, reg["client_id"])
    presented = None if verifier == "missing" else flow.pkce_pair()[0]
    resp = flow.exchange(client, issued, verifier=presented, client_secret=reg.get("client_secret"))
    assert_json_error(resp, 400, "invalid_grant")
    assert count(app, Token) == 0


# --------------------------------------------------------------------------- 11


def test_11_authorize_never_issues_a_code_without_a_challenge(app, client, loopback_client):
    resp, _ = flow.open_consent(client, flow.authorize_params(loopback_client["client_id"], None, method=None,
                                                              redirect_uri=LOOPBACK_REDIRECT))
    assert_error_redirect(resp, LOOPBACK_REDIRECT, "invalid_request")
    assert count(app, AuthCode) == 0


@pytest.mark.parametrize("auth", ["none", "client_secret_post"])
@pytest.mark.parametrize("send_verifier", [True, False])
def test_11_pkce_downgrade_code_without_challenge_is_rejected(app, client, auth, send_verifier):
    """A code row with no challenge (test-only path: written to the DB directly) cannot be redeemed."""
    reg = flow.register(client, token_endpoint_auth_method=auth)
    code = "crafted-" + uuid.uuid4().hex
    with app.test_request_context("/", base_url=ISSUER):
        session = app.extensions["db"].session
        grant = Grant(id="g_crafted", subject="demo:demo-user", client_id=reg["client_id"], scope="attio:read",
                      resource=MCP_RESOURCE, redirect_uri=REDIRECT)
        session.add(grant)
        session.flush()
        session.add(AuthCode(code_hash=app.extensions["keyring"].digest(code), grant_id=grant.id,
                             client_id=reg["client_id"], redirect_uri=REDIRECT, scope="attio:read",
                             resource=MCP_RESOURCE, code_challenge="", code_challenge_method="S256",
                             subject="demo:demo-user",
                             expires_at=datetime.now(timezone.utc) + timedelta(minutes=5)))
        session.commit()
    resp = flow.token_request(client, grant_type="authorization_code", code=code, client_id=reg["client_id"],
                              client_secret=reg.get("client_secret"), redirect_uri=REDIRECT, resource=MCP_RESOURCE,
                              code_verifier=flow.pkce_pair()[0] if send_verifier else None)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert error_of(resp) in ("invalid_grant", "invalid_request")
    assert "access_token" not in resp.get_json()
    assert count(app, Token) == 0


# --------------------------------------------------------------------------- 12

OPEN_REDIRECT_TARGETS = ["https://evil.example/", "//evil.example/", "/\\evil.example/"]


@pytest.mark.parametrize("param", ["next", "return_to"])
@pytest.mark.parametrize("target", OPEN_REDIRECT_TARGETS)
@pytest.mark.parametrize("decision", ["allow", "deny"])
def test_12_next_and_return_to_are_ignored_by_consent(app, client, public_client, param, target, decision):
    verifier, challenge = flow.pkce_pair()
    page, fields = flow.open_consent(client, flow.authorize_params(public_client["client_id"], challenge,
                                                                   **{param: target}))
    assert page.status_code == 200 and "Location" not in page.headers
    html = page.get_data(as_text=True)
    assert re.search(r'<form[^>]+action="([^"]+)"', html).group(1) == f"{ISSUER}/oauth/authorize"
    assert "evil.example" not in page.headers["Content-Security-Policy"]
    answer = flow.decide(client, fields, decision, **{param: target})
    assert answer.status_code == 303
    assert flow.location_base(answer) == REDIRECT
    if decision == "allow":
        assert flow.location_query(answer)["code"]
    else:
        assert_error_redirect(answer, REDIRECT, "access_denied")


@pytest.mark.parametrize("target", OPEN_REDIRECT_TARGETS)
def test_12_next_is_ignored_by_sign_in(make_oauth_app, target):
    app = make_oauth_app(ATTIO_API_KEY="test-attio-key")
    with app.app_context():
        session = app.extensions["db"].session
        session.add(User(id="u1", username="alice", password_hash=hash_password("correct horse")))
        session.commit()
    client = app.test_client()
    reg = flow.register(client)
    page, fields = flow.open_consent(client, flow.authorize_params(reg["client_id"], flow.pkce_pair()[1],
                                                                   next=target, return_to=target))
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    wrong = flow.decide(client, fields, username="alice", password="nope", next=target, return_to=target)
    assert_local_page(wrong, 401)
    retry = flow.hidden_fields(wrong.get_data(as_text=True))
    right = flow.decide(client, retry, username="alice", password="correct horse", next=target, return_to=target)
    assert right.status_code == 303 and flow.location_base(right) == REDIRECT


@pytest.mark.parametrize("error_kind, extra", [
    ("missing_pkce", {"code_challenge": None}),
    ("plain_pkce", {"code_challenge_method": "plain"}),
    ("unknown_scope", {"scope": "attio:admin"}),
    ("foreign_resource", {"resource": "https://other.example/mcp"}),
    ("unsupported_response_type", {"response_type": "token"}),
])
def test_12_authorize_error_for_a_fresh_dcr_client_does_not_auto_redirect(app, client, error_kind, extra):
    """RFC 9700 §4.11.2: an attacker registers https://evil…/cb and sends a broken request to use us as a
    redirector. The error stays on a local page."""
    attacker = flow.register(client, [EVIL], client_name="Totally legit")
    verifier, challenge = flow.pkce_pair()
    params = flow.authorize_params(attacker["client_id"], challenge, redirect_uri=EVIL)
    for key, value in extra.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    resp, _ = flow.open_consent(client, params)
    assert_local_page(resp, 400)
    assert count(app, PendingAuthorization) == 0


@pytest.mark.parametrize("lookalike", ["https://chatgpt.com.evil.example/connector/oauth/x",
                                       "https://evilchatgpt.com/connector_platform_oauth_redirect",
                                       "https://platform.openai.com.evil.example/apps-manage/oauth"])
def test_12_lookalike_of_a_known_callback_gets_no_error_redirect(app, client, lookalike):
    attacker = flow.register(client, [lookalike])
    resp, _ = flow.open_consent(client, flow.authorize_params(attacker["client_id"], None, redirect_uri=lookalike))
    assert_local_page(resp, 400)


def test_12_prompt_none_still_shows_consent(app, client):
    attacker = flow.register(client, [EVIL])
    resp, fields = flow.open_consent(client, flow.authorize_params(attacker["client_id"], flow.pkce_pair()[1],
                                                                   redirect_uri=EVIL, prompt="none"))
    assert resp.status_code == 200 and "Location" not in resp.headers and fields["pending_id"]


# --------------------------------------------------------------------------- 13


def _fresh_consent(app: Any, reg: dict) -> tuple[Any, dict[str, str]]:
    browser = app.test_client()
    page, fields = flow.open_consent(browser, flow.authorize_params(reg["client_id"], flow.pkce_pair()[1]))
    assert page.status_code == 200
    return browser, fields


@pytest.mark.parametrize("case", ["missing_token", "empty_token", "wrong_token", "token_from_another_session",
                                  "pending_from_another_session", "no_browser_cookie", "cross_site_origin",
                                  "null_origin", "null_origin_cross_site", "sec_fetch_site_cross_site",
                                  "null_origin_same_origin_wrong_token", "deny_with_wrong_token"])
def test_13_consent_csrf_is_403_and_issues_no_code(app, public_client, case):
    browser, fields = _fresh_consent(app, public_client)
    headers: dict[str, str] = {}
    decision = "allow"
    if case == "missing_token":
        fields.pop("csrf_token")
    elif case == "empty_token":
        fields["csrf_token"] = ""
    elif case in ("wrong_token", "deny_with_wrong_token"):
        fields["csrf_token"] = fields["csrf_token"][:-4] + "AAAA"
        decision = "deny" if case.startswith("deny") else "allow"
    elif case == "token_from_another_session":
        _, theirs = _fresh_consent(app, public_client)
        fields["csrf_token"] = theirs["csrf_token"]
    elif case == "pending_from_another_session":
        # another browser submits this browser's (valid) pending id and token: bound to the browser cookie
        browser, _ = _fresh_consent(app, public_client)
    elif case == "no_browser_cookie":
        browser = app.test_client()
    elif case == "cross_site_origin":
        headers["Origin"] = "https://evil.example"
    elif case == "null_origin":
        headers["Origin"] = "null"  # accepted only with Sec-Fetch-Site: same-origin (our no-referrer form)
    elif case == "null_origin_cross_site":
        headers.update({"Origin": "null", "Sec-Fetch-Site": "cross-site"})
    elif case == "sec_fetch_site_cross_site":
        headers["Sec-Fetch-Site"] = "cross-site"
    elif case == "null_origin_same_origin_wrong_token":
        # the browser signals still need the token, pending id and browser cookie to match
        headers.update({"Origin": "null", "Sec-Fetch-Site": "same-origin"})
        fields["csrf_token"] = fields["csrf_token"][:-4] + "AAAA"
    resp = flow.decide(browser, fields, decision, headers=headers)
    assert_local_page(resp, 403)
    assert count(app, AuthCode) == 0 and count(app, Grant) == 0


def test_13_replayed_consent_token_is_403(app, public_client):
    browser, fields = _fresh_consent(app, public_client)
    first = flow.decide(browser, fields, headers={"Origin": ISSUER})  # same-origin Origin is fine
    assert first.status_code == 303 and flow.location_query(first)["code"]
    for decision in ("allow", "deny"):
        assert_local_page(flow.decide(browser, fields, decision), 403)
    assert count(app, AuthCode) == 1


# --------------------------------------------------------------------------- 14


def test_14_consent_shows_escaped_name_redirect_host_scopes_and_warnings(app, client):
    reg = flow.register(client, client_name="<script>alert(1)</script>")
    page, _ = flow.open_consent(client, flow.authorize_params(reg["client_id"], flow.pkce_pair()[1],
                                                              scope="attio:read attio:write"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.search(r'id="redirect-host">client\.example<', html)
    for scope in ("attio:read", "attio:write"):
        assert f'<code class="scope__name">{scope}</code>' in html
    assert 'id="warnings"' in html and "its name is not verified" in html


def test_14_consent_warns_for_a_localhost_client(app, client, loopback_client):
    page, _ = flow.open_consent(client, flow.authorize_params(loopback_client["client_id"], flow.pkce_pair()[1],
                                                              redirect_uri=LOOPBACK_REDIRECT))
    html = page.get_data(as_text=True)
    assert re.search(r'id="redirect-host">127\.0\.0\.1(:53682)?<', html)
    assert "redirects to your own computer (localhost)" in html


@pytest.mark.parametrize("host", ["evilchatgpt.com", "chatgpt.com.evil.example", "notopenai.com"])
def test_14_lookalike_of_a_known_host_is_still_unverified(app, client, host):
    reg = flow.register(client, [f"https://{host}/cb"], client_name="ChatGPT")
    page, _ = flow.open_consent(client, flow.authorize_params(reg["client_id"], flow.pkce_pair()[1],
                                                              redirect_uri=f"https://{host}/cb"))
    assert page.status_code == 200
    assert "its name is not verified" in page.get_data(as_text=True)


# --------------------------------------------------------------------------- 15


def _anti_framing(resp: Any) -> None:
    assert "frame-ancestors 'none'" in resp.headers.get("Content-Security-Policy", ""), resp.headers
    assert resp.headers.get("X-Frame-Options") == "DENY"


def test_15_every_auth_page_refuses_framing(make_oauth_app):
    demo = make_oauth_app()
    client = demo.test_client()
    reg = flow.register(client)
    consent, fields = flow.open_consent(client, flow.authorize_params(reg["client_id"], flow.pkce_pair()[1]))
    pages = {"consent": consent}
    pages["authorize error"], _ = flow.open_consent(client, flow.authorize_params(reg["client_id"], None,
                                                                                    redirect_uri=EVIL))
    pages["unknown client"] = client.get("/oauth/authorize?client_id=nope&response_type=code")
    pages["consent csrf error"] = flow.decide(client, {**fields, "csrf_token": "x"})
    pages["attio callback error"] = client.get("/oauth/attio/callback?state=bogus&code=x")

    api = make_oauth_app(ATTIO_API_KEY="test-attio-key")
    browser = api.test_client()
    reg2 = flow.register(browser)
    login, fields2 = flow.open_consent(browser, flow.authorize_params(reg2["client_id"], flow.pkce_pair()[1]))
    assert 'name="password"' in login.get_data(as_text=True)
    pages["login"] = login
    pages["login failed"] = flow.decide(browser, fields2, username="nobody", password="wrong")

    assert {k: r.status_code for k, r in pages.items()} == {
        "consent": 200, "authorize error": 400, "unknown client": 400, "consent csrf error": 403,
        "attio callback error": 400, "login": 200, "login failed": 401}
    for name, resp in pages.items():
        assert resp.mimetype == "text/html", name
        _anti_framing(resp)
