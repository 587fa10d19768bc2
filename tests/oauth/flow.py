"""Builders for the OAuth security tests: the app on a temporary database, DCR, PKCE, consent, code exchange.

Everything here drives the Flask test client the way a browser and an MCP client would:
GET /oauth/authorize, read the hidden consent fields, POST the decision with the browser
cookie (303 to redirect_uri?code&state&iss), then POST /oauth/token.
"""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from html import unescape
from typing import Any, Iterator, Mapping
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

ISSUER = "http://localhost"  # the test client's host_url; PUBLIC_URL stays unset
MCP_RESOURCE = f"{ISSUER}/mcp"
SSE_RESOURCE = f"{ISSUER}/sse"
REDIRECT = "https://client.example/cb"
LOOPBACK_REDIRECT = "http://127.0.0.1:53682/callback"
SECRET_KEY = "oauth-security-tests-secret-key-0123456789abcdef"
ALL_SCOPES = "attio:read attio:write offline_access"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def make_app(database_url: str | None = None, **overrides: Any) -> Flask:
    """`connector.create_app` on `database_url` (migrated at start), auth on, rate limits off, no PUBLIC_URL.

    The environment is not read (environ={}), so nothing from the shell leaks in.
    """
    config: dict[str, Any] = {
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "RATE_LIMITS_ENABLED": False,
        "PUBLIC_URL": None,
        "AUTH_DISABLED": False,
        "ALLOWED_HOSTS": ["localhost", "127.0.0.1"],
        "LOG_LEVEL": "WARNING",
        "TESTING": True,
    }
    config.update(overrides)
    from tests.apps import migrated_app

    return migrated_app(config, environ={})


def sqlite_url(path: Any) -> str:
    """A SQLAlchemy URL for a SQLite file."""
    return f"sqlite:///{path}"


# ---------------------------------------------------------------- PKCE


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


# ---------------------------------------------------------------- registration


def register(client: FlaskClient, redirect_uris: list[str] | None = None, *, expect: int | None = 201,
             **meta: Any) -> dict[str, Any]:
    """POST /oauth/register; returns the JSON answer (asserting `expect` unless None)."""
    body = {"redirect_uris": redirect_uris if redirect_uris is not None else [REDIRECT],
            "client_name": "security-tests", "token_endpoint_auth_method": "none", **meta}
    body = {k: v for k, v in body.items() if v is not None}
    resp = client.post("/oauth/register", json=body)
    if expect is not None:
        assert resp.status_code == expect, resp.get_data(as_text=True)
    return resp.get_json()


# ---------------------------------------------------------------- authorize + consent


def authorize_params(client_id: str, challenge: str | None, *, redirect_uri: str | None = REDIRECT,
                     state: str | None = "state-123", scope: str | None = ALL_SCOPES,
                     resource: str | None = MCP_RESOURCE, method: str | None = "S256",
                     response_type: str | None = "code", **extra: Any) -> dict[str, str]:
    """An authorization request; a None value leaves that parameter out."""
    params = {"response_type": response_type, "client_id": client_id, "redirect_uri": redirect_uri,
              "state": state, "scope": scope, "resource": resource, "code_challenge": challenge,
              "code_challenge_method": method, **extra}
    return {k: v for k, v in params.items() if v is not None}


def authorize_url(params: Mapping[str, str]) -> str:
    """/oauth/authorize?… for `params`."""
    return "/oauth/authorize?" + urlencode(params)


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the consent form."""
    out = {}
    for tag in re.findall(r"<input[^>]+>", html):
        if 'type="hidden"' in tag:
            name = re.search(r'name="([^"]+)"', tag).group(1)
            value = re.search(r'value="([^"]*)"', tag).group(1)
            out[name] = unescape(value)
    return out


def open_consent(client: FlaskClient, params: Mapping[str, str]) -> tuple[Any, dict[str, str]]:
    """GET the authorize URL; (response, hidden consent fields — empty unless 200)."""
    resp = client.get(authorize_url(params))
    fields = hidden_fields(resp.get_data(as_text=True)) if resp.status_code == 200 else {}
    return resp, fields


def decide(client: FlaskClient, fields: Mapping[str, str], decision: str = "allow",
           headers: Mapping[str, str] | None = None, **extra: str) -> Any:
    """POST the consent form (same browser = same test client, so the browser cookie goes along)."""
    return client.post("/oauth/authorize", data={**fields, "decision": decision, **extra}, headers=dict(headers or {}))


def location_query(resp: Any) -> dict[str, str]:
    """The query of a redirect's Location, one value per name."""
    return {k: v[0] for k, v in parse_qs(urlsplit(resp.headers["Location"]).query).items()}


def location_base(resp: Any) -> str:
    """A redirect's Location without its query."""
    parts = urlsplit(resp.headers["Location"])
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


@dataclass
class Issued:
    """A code as the client receives it, with what it needs to redeem it."""

    code: str
    verifier: str
    client_id: str
    redirect_uri: str
    state: str
    query: dict[str, str] = field(default_factory=dict)


def get_code(client: FlaskClient, client_id: str, *, redirect_uri: str = REDIRECT, state: str = "state-123",
             scope: str = ALL_SCOPES, resource: str | None = MCP_RESOURCE, **extra: Any) -> Issued:
    """Run authorize + consent (allow) and return the code from the 303 redirect."""
    verifier, challenge = pkce_pair()
    page, fields = open_consent(client, authorize_params(client_id, challenge, redirect_uri=redirect_uri,
                                                         state=state, scope=scope, resource=resource, **extra))
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    assert {"pending_id", "csrf_token"} <= fields.keys()
    answer = decide(client, fields)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:800]
    assert location_base(answer) == redirect_uri.split("?")[0]
    query = location_query(answer)
    assert query["state"] == state and query["iss"] == ISSUER and query["code"]
    return Issued(code=query["code"], verifier=verifier, client_id=client_id, redirect_uri=redirect_uri,
                  state=state, query=query)


# ---------------------------------------------------------------- token endpoint


def token_request(client: FlaskClient, **form: Any) -> Any:
    """POST /oauth/token with a form body; a None value leaves that field out."""
    return client.post("/oauth/token", data={k: v for k, v in form.items() if v is not None})


def exchange(client: FlaskClient, issued: Issued, *, code: str | None = None, verifier: Any = ...,
             client_id: Any = ..., redirect_uri: Any = ..., resource: Any = MCP_RESOURCE, **extra: Any) -> Any:
    """Redeem `issued` (each field overridable; pass None to leave it out)."""
    return token_request(client, grant_type="authorization_code", code=code or issued.code,
                         code_verifier=issued.verifier if verifier is ... else verifier,
                         client_id=issued.client_id if client_id is ... else client_id,
                         redirect_uri=issued.redirect_uri if redirect_uri is ... else redirect_uri,
                         resource=resource, **extra)


def refresh(client: FlaskClient, refresh_token: str, client_id: str, resource: str | None = MCP_RESOURCE,
            **extra: Any) -> Any:
    """POST a refresh_token grant."""
    return token_request(client, grant_type="refresh_token", refresh_token=refresh_token, client_id=client_id,
                         resource=resource, **extra)


def authorized(client: FlaskClient, client_id: str, **kwargs: Any) -> dict[str, Any]:
    """A whole flow: the token response JSON."""
    issued = get_code(client, client_id, redirect_uri=kwargs.pop("redirect_uri", REDIRECT), **kwargs)
    resp = exchange(client, issued)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def error_of(resp: Any) -> str | None:
    """The `error` member of a JSON error answer."""
    body = resp.get_json(silent=True) or {}
    return body.get("error")


# ---------------------------------------------------------------- the protected resource


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "oauth-security-tests", "version": "1"}}}


def mcp_initialize(client: FlaskClient, access_token: str | None) -> Any:
    """POST an MCP `initialize` to /mcp with the bearer token (or none): 200 when the token is good."""
    headers = dict(MCP_HEADERS)
    if access_token:
        headers["Authorization"] = f"Bearer {access_token}"
    return client.post("/mcp", json=INITIALIZE, headers=headers)


# ---------------------------------------------------------------- the store


def count(app: Flask, model: Any, *where: Any) -> int:
    """Rows of `model` (optionally filtered)."""
    with app.app_context():
        session = app.extensions["db"].session
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def rows(app: Flask, model: Any, *where: Any) -> list[Any]:
    """Rows of `model` (optionally filtered), detached."""
    with app.app_context():
        session = app.extensions["db"].session
        found = list(session.execute(select(model).where(*where)).scalars())
        session.expunge_all()
        return found


def audit_types(app: Flask) -> list[str]:
    """The audit event types written so far, oldest first."""
    from connector.auth.models import AuditEvent

    return [e.type for e in rows(app, AuditEvent)]


def html_has_no_location(resp: Any) -> None:
    """A local HTML page, never a redirect."""
    assert "Location" not in resp.headers, resp.headers.get("Location")
    assert resp.mimetype == "text/html"


def iter_browsers(app: Flask, n: int) -> Iterator[FlaskClient]:
    """`n` independent browsers (separate cookie jars)."""
    for _ in range(n):
        yield app.test_client()


# ---------------------------------------------------------------- checklist 16–30: other hosts, MCP, the raw store


class BaseURLClient(FlaskClient):
    """A test client whose relative paths go to `base_url` (scheme + host), e.g. https://connector.example.com."""

    base_url = ISSUER

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], str) and args[0].startswith("/") and "base_url" not in kwargs:
            kwargs["base_url"] = self.base_url
        return super().open(*args, **kwargs)


def client_at(app: Flask, base_url: str) -> BaseURLClient:
    """A browser/client (own cookie jar) talking to the app as `base_url` (match PUBLIC_URL when it is set)."""
    client = BaseURLClient(app, app.response_class, use_cookies=True)
    client.base_url = base_url.rstrip("/")
    return client


def code_at(client: FlaskClient, client_id: str, issuer: str, *, redirect_uri: str = REDIRECT,
            state: str = "state-123", scope: str = ALL_SCOPES, attio_slug: str = "demo-sales") -> Issued:
    """`get_code` for any issuer, also through the Attio round trip in attio_oauth mode.

    In attio_oauth mode the consent POST sends the browser to Attio (here the demo Attio,
    approved headlessly with `demo_auto_approve`), which sends it to our /oauth/attio/callback.
    """
    import requests

    verifier, challenge = pkce_pair()
    page, fields = open_consent(client, authorize_params(client_id, challenge, redirect_uri=redirect_uri, state=state,
                                                         scope=scope, resource=f"{issuer}/mcp"))
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    answer = decide(client, fields)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:800]
    if not answer.headers["Location"].startswith(redirect_uri.split("?")[0]):
        back = requests.get(answer.headers["Location"] + f"&demo_auto_approve={attio_slug}", allow_redirects=False,
                            timeout=10)
        assert back.status_code == 302, back.text[:500]
        answer = client.get(back.headers["Location"])
        assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
    assert location_base(answer) == redirect_uri.split("?")[0]
    query = location_query(answer)
    assert query["state"] == state and query["iss"] == issuer and query["code"]
    return Issued(code=query["code"], verifier=verifier, client_id=client_id, redirect_uri=redirect_uri,
                  state=state, query=query)


def tokens_at(client: FlaskClient, client_id: str, issuer: str, *, client_secret: str | None = None,
              **kwargs: Any) -> dict[str, Any]:
    """A whole flow for any issuer (client_secret_post when a secret is given): the token response JSON."""
    issued = code_at(client, client_id, issuer, **kwargs)
    resp = exchange(client, issued, resource=f"{issuer}/mcp", client_secret=client_secret)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    body["_code"] = issued.code
    body["_verifier"] = issued.verifier
    return body


def bearer(access_token: str, **extra: str) -> dict[str, str]:
    """MCP request headers with the bearer token."""
    return {**MCP_HEADERS, "Authorization": f"Bearer {access_token}", **extra}


def mcp_session(client: FlaskClient, access_token: str) -> str:
    """Initialize an MCP session with the token; its Mcp-Session-Id."""
    resp = mcp_initialize(client, access_token)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.headers["Mcp-Session-Id"]


def tool_call(client: FlaskClient, access_token: str, name: str, arguments: Mapping[str, Any] | None = None,
              session_id: str | None = None) -> Any:
    """tools/call over Streamable HTTP (a session is opened first unless given)."""
    sid = session_id or mcp_session(client, access_token)
    return client.post("/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                     "params": {"name": name, "arguments": dict(arguments or {})}},
                       headers=bearer(access_token, **{"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18"}))


def set_columns(app: Flask, model: Any, *where: Any, **values: Any) -> int:
    """UPDATE `model` rows (to age a token, expire a pending request, …); how many changed."""
    from sqlalchemy import update

    with app.app_context():
        session = app.extensions["db"].session
        changed = session.execute(update(model).where(*where).values(**values)).rowcount
        session.commit()
        return changed


def forget_verified_tokens(app: Flask) -> None:
    """Empty the worker's memory of verified access tokens (connector.auth.verified).

    A row edited by hand is honoured within TOKEN_CACHE_SECONDS, not at once: the worker may still remember the
    token it verified a moment ago (tests/oauth/test_token_cache.py proves that bound). Tests about what an edited
    row means call this after editing it, standing for that bound having passed.
    """
    app.extensions["verified_tokens"].clear()


def sqlite_path(app: Flask) -> str:
    """The file behind a sqlite:/// DATABASE_URL."""
    url = app.config["DATABASE_URL"]
    assert url.startswith("sqlite:///"), url
    return url[len("sqlite:///"):]


def dump_sqlite(app: Flask) -> str:
    """Every row of every table as text, plus the raw bytes of the database and WAL files (latin-1)."""
    import sqlite3
    from pathlib import Path

    path = sqlite_path(app)
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        lines = [f"{table}: " + " | ".join(repr(v) for v in row)
                 for table in tables for row in con.execute(f'SELECT * FROM "{table}"')]
    finally:
        con.close()
    raw = [Path(p).read_bytes().decode("latin-1") for p in (path, path + "-wal") if Path(p).exists()]
    return "\n".join(lines + raw)


def live_tokens(base_url: str, scope: str = "attio:read offline_access") -> dict[str, Any]:
    """The whole flow against a live server (demo mode, PUBLIC_URL unset), with `requests` as the browser."""
    import requests

    browser = requests.Session()
    reg = browser.post(f"{base_url}/oauth/register", json={"redirect_uris": [REDIRECT], "client_name": "live",
                                                            "token_endpoint_auth_method": "none"}, timeout=10).json()
    verifier, challenge = pkce_pair()
    params = authorize_params(reg["client_id"], challenge, scope=scope, resource=f"{base_url}/mcp")
    page = browser.get(base_url + authorize_url(params), timeout=10)
    assert page.status_code == 200, page.text[:500]
    answer = browser.post(f"{base_url}/oauth/authorize", data={**hidden_fields(page.text), "decision": "allow"},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text[:500]
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    resp = browser.post(f"{base_url}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": reg["client_id"], "redirect_uri": REDIRECT,
        "code_verifier": verifier, "resource": f"{base_url}/mcp"}, timeout=10)
    assert resp.status_code == 200, resp.text
    return {**resp.json(), "client_id": reg["client_id"]}
