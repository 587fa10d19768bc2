"""Left-over secrets (issue 8 item 12), against the Flask test client and the demo Attio over loopback.

- Revoking a grant (RFC 7009, or the CLI) wipes its Attio credential once no live grant uses it and revokes
  the token at Attio; an Attio outage still wipes our copy and is audited.
- attio_oauth: Attio's 401 during a tool call revokes our grant, so the client must reconnect.
- `keys rotate` re-encrypts stored credentials under the newest key.
- `db purge` (and its timer) deletes what can no longer be used.
- The SQLite file and its companions are owner-only.

The same paths against gunicorn + gevent and the MCP SDK are in tests/integration/test_leftover_secrets_live.py.
"""
from __future__ import annotations

import json
import logging
import os
import stat
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import gevent
import pytest
import requests
from flask import Flask

from attio_demo import DEMO_OAUTH_CLIENT_ID, DEMO_OAUTH_CLIENT_SECRET
from connector.auth.models import AuditEvent, AuthCode, Grant, PendingAuthorization, Token, UpstreamCredential
from tests.conftest import _admin, free_port

from .flow import (
    authorized, bearer, client_at, mcp_initialize, mcp_session, register, rows, set_columns, sqlite_url, tokens_at,
    tool_call,
)

BASE = "http://127.0.0.1:8999"  # our PUBLIC_URL in attio_oauth mode: the demo accepts loopback callbacks
READ = "attio:read offline_access"
LONG_AGO = datetime.now(timezone.utc) - timedelta(days=400)


@pytest.fixture()
def attio_app(make_oauth_app: Callable[..., Flask], demo_attio: Any) -> Callable[..., Flask]:
    """An attio_oauth-mode app whose Attio (OAuth and REST) is the demo Attio; the demo is reset first."""
    _admin(demo_attio, "/_admin/reset")

    def build(**overrides: Any) -> Flask:
        settings: dict[str, Any] = {
            "PUBLIC_URL": BASE, "ATTIO_API_URL": demo_attio.url, "ATTIO_OAUTH_URL": demo_attio.url,
            "ATTIO_CLIENT_ID": DEMO_OAUTH_CLIENT_ID, "ATTIO_CLIENT_SECRET": DEMO_OAUTH_CLIENT_SECRET, **overrides}
        app = make_oauth_app(**settings)
        assert app.config["MODE"] == "attio_oauth"
        return app

    return build


def _linked(app: Flask) -> tuple[Any, dict[str, Any], str]:
    """A whole attio_oauth flow: (browser, our token response + client_id, the Attio token behind it)."""
    browser = client_at(app, BASE)
    cid = register(browser)["client_id"]
    tokens = tokens_at(browser, cid, BASE, scope=READ)
    tokens["client_id"] = cid
    grant = rows(app, Grant, Grant.client_id == cid)[0]
    (cred,) = rows(app, UpstreamCredential, UpstreamCredential.id == grant.upstream_credential_id)
    with app.app_context():
        attio_token = app.extensions["keyring"].decrypt(cred.ciphertext)
    assert attio_token
    return browser, tokens, attio_token


def _active_at_attio(demo: Any, token: str) -> bool:
    return requests.post(f"{demo.url}/oauth/introspect", headers={"Authorization": f"Bearer {token}"},
                         timeout=5).json()["active"]


def _attio_revocations(demo: Any) -> list[int]:
    log = requests.get(f"{demo.url}/_admin/requests", timeout=5).json()["requests"]
    return [entry["status"] for entry in log if entry["path"] == "/oauth/revoke"]


def _credential_of(app: Flask, client_id: str) -> UpstreamCredential:
    grant = rows(app, Grant, Grant.client_id == client_id)[0]
    (cred,) = rows(app, UpstreamCredential, UpstreamCredential.id == grant.upstream_credential_id)
    return cred


def _wiped(cred: UpstreamCredential) -> bool:
    return cred.ciphertext is None and cred.status == "revoked"


# ------------------------------------------------------------------------------------------------ revocation


def test_rfc7009_revocation_wipes_the_credential_and_revokes_it_at_attio(attio_app, demo_attio):
    app = attio_app()
    browser, tokens, attio_token = _linked(app)
    assert _active_at_attio(demo_attio, attio_token)
    _admin(demo_attio, "/_admin/requests/reset")

    resp = browser.post("/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": tokens["client_id"]})
    assert resp.status_code == 200
    assert _wiped(_credential_of(app, tokens["client_id"]))
    assert _attio_revocations(demo_attio) == [204]
    assert not _active_at_attio(demo_attio, attio_token)
    (event,) = rows(app, AuditEvent, AuditEvent.type == "upstream.revoked")
    assert event.detail["reason"] == "revoked_by_client" and event.detail["attio"] == "revoked"
    assert attio_token not in json.dumps([e.detail for e in rows(app, AuditEvent)])


@pytest.mark.parametrize("command", ["clients revoke", "tokens revoke --client", "tokens revoke --user"])
def test_cli_revocation_wipes_the_credential_and_revokes_it_at_attio(attio_app, demo_attio, command):
    app = attio_app()
    _, tokens, attio_token = _linked(app)
    _, bystander, bystander_token = _linked(app)  # another client's grant: left alone
    (grant,) = rows(app, Grant, Grant.client_id == tokens["client_id"])
    target = grant.subject if command.endswith("--user") else tokens["client_id"]
    if command.endswith("--user"):  # both flows chose the same Attio member: move the bystander to another
        set_columns(app, Grant, Grant.client_id == bystander["client_id"], subject="attio:other:member")

    result = app.test_cli_runner().invoke(args=[*command.split(), target])
    assert result.exit_code == 0, result.output
    assert "revoked" in result.output and attio_token not in result.output
    assert _wiped(_credential_of(app, tokens["client_id"]))
    assert not _active_at_attio(demo_attio, attio_token)
    kept = _credential_of(app, bystander["client_id"])
    assert kept.ciphertext and kept.status == "active" and _active_at_attio(demo_attio, bystander_token)


def test_credential_is_kept_while_another_live_grant_uses_it(attio_app, demo_attio):
    app = attio_app()
    browser, first, attio_token = _linked(app)
    _, second, _ = _linked(app)
    shared = _credential_of(app, first["client_id"]).id
    set_columns(app, Grant, Grant.client_id == second["client_id"], upstream_credential_id=shared)

    browser.post("/oauth/revoke", data={"token": first["refresh_token"], "client_id": first["client_id"]})
    cred = rows(app, UpstreamCredential, UpstreamCredential.id == shared)[0]
    assert cred.ciphertext and cred.status == "active" and _active_at_attio(demo_attio, attio_token)
    assert mcp_initialize(browser, second["access_token"]).status_code == 200

    browser.post("/oauth/revoke", data={"token": second["refresh_token"], "client_id": second["client_id"]})
    assert _wiped(rows(app, UpstreamCredential, UpstreamCredential.id == shared)[0])
    assert not _active_at_attio(demo_attio, attio_token)


@pytest.mark.parametrize("outage", ["503", "unreachable"])
def test_attio_outage_during_revocation_still_wipes_our_copy_and_is_audited(attio_app, demo_attio, tmp_path,
                                                                            caplog, outage):
    caplog.set_level(logging.DEBUG)
    db = {"DATABASE_URL": sqlite_url(tmp_path / "outage.sqlite")}
    app = attio_app(**db)
    browser, tokens, attio_token = _linked(app)
    if outage == "503":
        _admin(demo_attio, "/_admin/faults", {"status": 503, "count": 1, "path": "/oauth/revoke"})
    else:  # the same store, but Attio's OAuth host does not answer at all
        app = attio_app(ATTIO_OAUTH_URL=f"http://127.0.0.1:{free_port()}", **db)
        browser = client_at(app, BASE)

    resp = browser.post("/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": tokens["client_id"]})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert _wiped(_credential_of(app, tokens["client_id"]))
    assert mcp_initialize(browser, tokens["access_token"]).status_code == 401
    (failed,) = rows(app, AuditEvent, AuditEvent.type == "upstream.revoke_failed")
    expected = "Attio answered HTTP 503" if outage == "503" else "Attio could not be reached (ConnectionError)"
    assert failed.detail["error"] == expected
    assert _active_at_attio(demo_attio, attio_token)  # Attio never heard of it: the audit row is the trace
    everything = caplog.text + json.dumps([[e.type, e.detail] for e in rows(app, AuditEvent)])
    assert attio_token not in everything and tokens["refresh_token"] not in everything


# ------------------------------------------------------------------------------------------------ Attio's 401


def _search(browser: Any, access_token: str, streamed: bool) -> dict[str, Any]:
    """`search` over Streamable HTTP; `streamed` asks for progress, so the call runs in its own greenlet."""
    if not streamed:
        return tool_call(browser, access_token, "search", {"query": "energy"}).get_json()["result"]
    sid = mcp_session(browser, access_token)
    resp = browser.post("/mcp", json={"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "search", "arguments": {"query": "energy"}, "_meta": {"progressToken": "p-1"}}},
        headers=bearer(access_token, **{"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18"}))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    if resp.mimetype == "application/json":
        return resp.get_json()["result"]
    messages = [json.loads(line[5:]) for line in resp.get_data(as_text=True).splitlines() if line.startswith("data:")]
    return next(m["result"] for m in messages if m.get("id") == 3)


@pytest.mark.parametrize("streamed", [False, True], ids=["inline", "own-greenlet"])
def test_attio_401_during_a_tool_call_revokes_the_grant_and_wipes_the_credential(attio_app, demo_attio, streamed):
    app = attio_app()
    browser, tokens, attio_token = _linked(app)
    assert _search(browser, tokens["access_token"], streamed)["isError"] is False
    _admin(demo_attio, "/_admin/oauth/revoke-all")  # uninstalled at Attio: its REST API now answers 401

    result = _search(browser, tokens["access_token"], streamed)
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert "HTTP 401" in text and "reconnect" in text.lower() and attio_token not in text
    (grant,) = rows(app, Grant)
    assert grant.revoked_at is not None and grant.revoked_reason == "upstream_unauthorized"
    assert _wiped(_credential_of(app, tokens["client_id"]))
    assert all(t.revoked_at is not None for t in rows(app, Token))
    again = mcp_initialize(browser, tokens["access_token"])
    assert again.status_code == 401
    challenge = again.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
    assert f'resource_metadata="{BASE}/.well-known/oauth-protected-resource/mcp"' in challenge
    (event,) = rows(app, AuditEvent, AuditEvent.type == "upstream.revoked")
    assert event.detail["reason"] == "unauthorized_at_attio"


def test_attio_401_on_the_shared_deployment_key_revokes_no_grant(make_oauth_app, demo_attio):
    app = make_oauth_app(ATTIO_API_URL=demo_attio.url, DEMO_ATTIO_TOKEN="not-a-token-attio-knows")
    client = app.test_client()
    tokens = authorized(client, register(client)["client_id"], scope=READ)
    result = tool_call(client, tokens["access_token"], "search", {"query": "energy"}).get_json()["result"]
    assert result["isError"] is True and "HTTP 401" in result["content"][0]["text"]
    assert "closed on this server" not in result["content"][0]["text"]
    assert mcp_initialize(client, tokens["access_token"]).status_code == 200
    assert rows(app, Grant)[0].revoked_at is None


# ------------------------------------------------------------------------------------------------ keys rotate


OLD_KEY = "left-over-secrets-old-secret-key-" + "o" * 20
NEW_KEY = "left-over-secrets-new-secret-key-" + "n" * 20


def _fernet_keys() -> tuple[str, str, str]:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode(), Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _store_credential(app: Flask, cred_id: str, token: str) -> None:
    with app.app_context():
        ciphertext, key_id = app.extensions["keyring"].encrypt(token)
        session = app.extensions["db"].session
        session.add(UpstreamCredential(id=cred_id, subject="attio:ws:member", ciphertext=ciphertext, key_id=key_id))
        session.commit()


def _decrypt(app: Flask, cred_id: str) -> str | None:
    (cred,) = rows(app, UpstreamCredential, UpstreamCredential.id == cred_id)
    with app.app_context():
        return app.extensions["keyring"].decrypt(cred.ciphertext)


@pytest.mark.parametrize("keys", ["secret_key", "encryption_keys"])
def test_keys_rotate_reencrypts_every_credential_under_the_newest_key(make_oauth_app, tmp_path, keys):
    db = {"DATABASE_URL": sqlite_url(tmp_path / "keys.sqlite")}
    if keys == "secret_key":
        old, rotating, retired = ({"SECRET_KEY": OLD_KEY}, {"SECRET_KEY": NEW_KEY, "SECRET_KEY_FALLBACKS": [OLD_KEY]},
                                  {"SECRET_KEY": NEW_KEY})
    else:
        key_old, key_new, _ = _fernet_keys()
        old, rotating, retired = ({"ENCRYPTION_KEYS": [key_old]}, {"ENCRYPTION_KEYS": [key_new, key_old]},
                                  {"ENCRYPTION_KEYS": [key_new]})
    tokens = {f"uc_{i}": f"attio-token-{i}-" + "x" * 40 for i in range(3)}
    first = make_oauth_app(**old, **db)
    for cred_id, token in tokens.items():
        _store_credential(first, cred_id, token)

    app = make_oauth_app(**rotating, **db)
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        newest = app.extensions["keyring"].key_ids[0]
    assert f"re-encrypted 3 credential(s) under key {newest}" in result.output
    assert not any(token in result.output for token in tokens.values())
    assert {c.key_id for c in rows(app, UpstreamCredential)} == {newest}
    again = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert "re-encrypted 0 credential(s)" in again.output and "3 already under it" in again.output

    only_new = make_oauth_app(**retired, **db)
    for cred_id, token in tokens.items():
        assert _decrypt(only_new, cred_id) == token


def test_keys_rotate_reports_credentials_no_key_opens(make_oauth_app, tmp_path):
    db = {"DATABASE_URL": sqlite_url(tmp_path / "keys.sqlite")}
    key_a, key_b, key_c = _fernet_keys()
    _store_credential(make_oauth_app(ENCRYPTION_KEYS=[key_a], **db), "uc_lost", "attio-token-lost-" + "x" * 40)
    _store_credential(make_oauth_app(ENCRYPTION_KEYS=[key_b], **db), "uc_kept", "attio-token-kept-" + "x" * 40)
    app = make_oauth_app(ENCRYPTION_KEYS=[key_c, key_b], **db)
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 1
    assert "re-encrypted 1 credential(s)" in result.output and "1 unreadable" in result.output
    assert "no configured key opens 1 credential(s)" in result.output
    assert _decrypt(make_oauth_app(ENCRYPTION_KEYS=[key_c], **db), "uc_kept") == "attio-token-kept-" + "x" * 40


# ------------------------------------------------------------------------------------------------ purge


def _age(app: Flask, model: Any, *where: Any, **columns: Any) -> None:
    assert set_columns(app, model, *where, **columns) >= 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_db_purge_deletes_what_can_no_longer_be_used(make_oauth_app, request, backend):
    app = make_oauth_app(**({"DATABASE_URL": request.getfixturevalue("pg_url")} if backend == "postgresql" else {}))
    client = app.test_client()
    cid = register(client)["client_id"]
    live, revoked, idle, access_only, rotated_parent = (authorized(client, cid, scope=READ) for _ in range(5))
    digest = app.extensions["keyring"].digest

    def token_row(tokens: dict[str, Any]) -> Any:
        return Token.access_hash == digest(tokens["access_token"])

    _age(app, Token, token_row(revoked), revoked_at=LONG_AGO)
    _age(app, Token, token_row(idle), refresh_expires_at=LONG_AGO)
    _age(app, Token, token_row(access_only), refresh_expires_at=None, access_expires_at=LONG_AGO)
    _age(app, Token, token_row(rotated_parent), rotated_at=LONG_AGO)  # kept: reuse must still be recognised
    _age(app, AuthCode, AuthCode.expires_at > LONG_AGO, expires_at=LONG_AGO)  # every code has expired long ago
    revoked_grant = rows(app, Token, token_row(revoked))[0].grant_id
    _age(app, Grant, Grant.id == revoked_grant, revoked_at=LONG_AGO)
    _age(app, Grant, Grant.id.is_not(None), created_at=LONG_AGO)
    with app.app_context():
        session = app.extensions["db"].session
        for name, expires in (("p_old", LONG_AGO), ("p_new", datetime.now(timezone.utc) + timedelta(minutes=5))):
            session.add(PendingAuthorization(id=name, client_id=cid, query="", csrf_hash="x", browser_hash="y",
                                             expires_at=expires))
        session.commit()

    result = app.test_cli_runner().invoke(args=["db", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 pending" in result.output and "5 codes" in result.output
    assert "3 tokens" in result.output and "2 grants expired" in result.output
    assert {p.id for p in rows(app, PendingAuthorization)} & {"p_old", "p_new"} == {"p_new"}
    assert rows(app, AuthCode) == []
    remaining = {t.access_hash for t in rows(app, Token)}
    assert remaining == {digest(live["access_token"]), digest(rotated_parent["access_token"])}
    grants = {g.id: g for g in rows(app, Grant)}
    assert revoked_grant not in grants  # revoked long ago and no token left: deleted
    assert len(grants) == 4 and sum(g.revoked_reason == "expired" for g in grants.values()) == 2
    assert mcp_initialize(client, live["access_token"]).status_code == 200
    assert rows(app, AuditEvent, AuditEvent.type == "store.purged")

    second = app.test_cli_runner().invoke(args=["db", "purge"])
    assert "0 tokens" in second.output and "0 grants expired" in second.output
    assert len(rows(app, Grant)) == 4  # the grants revoked just now wait out the grace before they go


def test_db_purge_wipes_and_revokes_credentials_left_behind(attio_app, demo_attio):
    app = attio_app()
    _, left, left_token = _linked(app)  # revoked before credentials went with their grants: left behind
    _, live, live_token = _linked(app)
    _age(app, Grant, Grant.client_id == left["client_id"], revoked_at=LONG_AGO, revoked_reason="revoked_by_client")
    _age(app, UpstreamCredential, UpstreamCredential.id.is_not(None), created_at=LONG_AGO)
    _admin(demo_attio, "/_admin/requests/reset")

    result = app.test_cli_runner().invoke(args=["db", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 credentials wiped" in result.output and left_token not in result.output
    assert _wiped(_credential_of(app, left["client_id"]))
    assert not _active_at_attio(demo_attio, left_token) and _attio_revocations(demo_attio) == [204]
    assert _credential_of(app, live["client_id"]).ciphertext and _active_at_attio(demo_attio, live_token)


def test_purge_timer_runs_periodically_without_holding_a_session_and_zero_disables_it(make_oauth_app):
    from connector.auth.purge import start_timer

    assert start_timer(make_oauth_app(PURGE_INTERVAL_SECONDS=0)) is None
    app = make_oauth_app(PURGE_INTERVAL_SECONDS=0.05, PURGE_GRACE_SECONDS=0)
    pool = app.extensions["db"].engine.pool

    def add_expired(name: str) -> None:
        with app.app_context():
            session = app.extensions["db"].session
            session.add(PendingAuthorization(id=name, client_id="c", query="", csrf_hash="x", browser_hash="y",
                                             expires_at=LONG_AGO))
            session.commit()

    def wait_until_gone(name: str) -> bool:
        for _ in range(400):  # the timer greenlet runs while this one sleeps
            gevent.sleep(0.05)
            if not rows(app, PendingAuthorization, PendingAuthorization.id == name):
                return True
        return False

    timer = start_timer(app)
    try:
        assert start_timer(app) is timer  # once per app
        for name in ("p_first", "p_second"):  # periodically: a row added after one run goes at a later run
            add_expired(name)
            assert wait_until_gone(name)
            assert pool.checkedout() == 0  # the timer is asleep now, and holds no connection
        assert not timer.dead
    finally:
        timer.kill()


# ------------------------------------------------------------------------------------------------ SQLite mode


def test_sqlite_file_and_its_companions_are_created_owner_only(make_oauth_app, tmp_path):
    folder = tmp_path / "fresh-instance"
    folder.mkdir()
    path = folder / "connector.db"
    previous = os.umask(0o022)  # the usual umask, under which SQLite would create the file 0644
    try:
        app = make_oauth_app(DATABASE_URL=sqlite_url(path))
        client = app.test_client()
        register(client)  # a write: the WAL and its index exist while the pool holds the connection
    finally:
        os.umask(previous)
    for name in (path, folder / "connector.db-wal", folder / "connector.db-shm"):
        assert name.exists(), name
        assert stat.S_IMODE(os.stat(name).st_mode) == 0o600, (name, oct(os.stat(name).st_mode))


def test_database_errors_do_not_quote_stored_values(make_oauth_app):
    from sqlalchemy.exc import IntegrityError

    app = make_oauth_app()
    ciphertext = "gAAAAA-stored-ciphertext-that-must-not-reach-a-log"
    with app.app_context():
        session = app.extensions["db"].session
        session.add(UpstreamCredential(id="uc_dup", subject="attio:ws:member", ciphertext=ciphertext))
        session.commit()
        session.add(UpstreamCredential(id="uc_dup", subject="attio:ws:member", ciphertext=ciphertext))
        with pytest.raises(IntegrityError) as caught:
            session.commit()
        session.rollback()
    assert "uc_dup" not in str(caught.value) and ciphertext not in str(caught.value)
