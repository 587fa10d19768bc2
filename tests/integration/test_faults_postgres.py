"""The OAuth store's PostgreSQL stopped mid-flow: 503 + Retry-After on every auth route, no half-written grant,
and the flows complete once it is back — without restarting the connector.

The cluster is our own (initdb + pg_ctl on a spare port), never the machine's.
"""
from __future__ import annotations

import json

import pytest

from tests.conftest import need
from tests.live_client import LiveClient
from tests.oauth import flow
from tests.spare_services import SparePostgres

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def mcp_call(client: LiveClient, token: str):
    return client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "pg-fault", "version": "1"}}},
        headers={**flow.MCP_HEADERS, "Authorization": f"Bearer {token}"})


def assert_unavailable(resp, shape: str) -> None:
    assert resp.status_code == 503, (resp.status_code, resp.get_data(as_text=True)[:500])
    assert int(resp.headers["Retry-After"]) > 0
    body = resp.get_data(as_text=True)
    if shape == "oauth":
        assert resp.get_json()["error"] == "temporarily_unavailable"
        assert "authorization database" in resp.get_json()["error_description"]
    elif shape == "jsonrpc":
        assert resp.get_json()["error"]["data"] == {"unavailable": "database"}
    else:
        assert resp.headers["Content-Type"].startswith("text/html") and "Temporarily unavailable" in body
    assert "127.0.0.1" not in body and "postgres" not in body.lower()  # where the database is stays private


def test_postgres_down_answers_503_everywhere_and_flows_finish_after(server_factory, tmp_path):
    need(SparePostgres.available(), "initdb/pg_ctl are not installed (Debian package postgresql)")
    pg = SparePostgres()
    pg.init()
    pg.start()
    try:
        srv = server_factory("wsgi:app", AUTH_DISABLED="false", DATABASE_URL=pg.url, RATE_LIMITS_ENABLED="false",
                             SECRET_KEY=flow.SECRET_KEY)
        client = LiveClient(srv.url)
        cid = flow.register(client)["client_id"]
        tokens = flow.authorized(client, cid)
        assert mcp_call(client, tokens["access_token"]).status_code == 200
        # A token the worker has not verified yet: using it needs the database. (One verified within
        # TOKEN_CACHE_SECONDS is still accepted from the worker's memory while the database is away.)
        unverified = flow.authorized(client, cid)
        # A person has the consent page open when the database goes away.
        verifier, challenge = flow.pkce_pair()
        page, fields = flow.open_consent(client, flow.authorize_params(cid, challenge))
        assert page.status_code == 200

        pg.stop("immediate")
        assert_unavailable(flow.decide(client, fields), "html")
        assert_unavailable(client.get(flow.authorize_url(flow.authorize_params(cid, challenge))), "html")
        assert_unavailable(client.post("/oauth/register", json={"redirect_uris": [flow.REDIRECT],
                                                                 "token_endpoint_auth_method": "none"}), "oauth")
        assert_unavailable(flow.refresh(client, tokens["refresh_token"], cid), "oauth")
        assert_unavailable(mcp_call(client, unverified["access_token"]), "jsonrpc")
        assert srv.alive()

        pg.start()
        # The pool reconnects by itself: the same pending consent is completed, the old tokens still work.
        answer = flow.decide(client, fields)
        assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
        code = flow.location_query(answer)["code"]
        issued = flow.Issued(code=code, verifier=verifier, client_id=cid, redirect_uri=flow.REDIRECT,
                             state="state-123")
        assert flow.exchange(client, issued).status_code == 200
        renewed = flow.refresh(client, tokens["refresh_token"], cid)
        assert renewed.status_code == 200, renewed.get_data(as_text=True)
        assert mcp_call(client, renewed.get_json()["access_token"]).status_code == 200
        log = srv.log()
        assert "Traceback" not in log, log[-3000:]
        assert "database unavailable" in log
    finally:
        pg.stop("immediate")

    # Nothing half-written: every grant has its tokens, no code points at a missing grant.
    import psycopg

    pg.start()
    try:
        with psycopg.connect(pg.url) as conn:
            orphans = conn.execute("SELECT count(*) FROM oauth_grants g WHERE NOT EXISTS "
                                   "(SELECT 1 FROM oauth_tokens t WHERE t.grant_id = g.id) AND NOT EXISTS "
                                   "(SELECT 1 FROM oauth_codes c WHERE c.grant_id = g.id)").fetchone()[0]
            grants = conn.execute("SELECT count(*) FROM oauth_grants").fetchone()[0]
        assert orphans == 0 and grants == 3, (orphans, grants)
        print(json.dumps({"grants": grants, "orphans": orphans}))
    finally:
        pg.remove()
