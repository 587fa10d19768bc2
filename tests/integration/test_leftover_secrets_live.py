"""Left-over secrets (issue 8 item 12) against gunicorn + gevent: Attio's 401 during a tool call sends the MCP SDK
client back through authorization, and each worker's purge timer empties the store of dead rows."""
from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlparse

import anyio
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session

from attio_demo import DEMO_OAUTH_CLIENT_ID, DEMO_OAUTH_CLIENT_SECRET
from connector.auth.models import Grant, PendingAuthorization, Token, UpstreamCredential
from tests.conftest import _admin
from tests.oauth.flow import live_tokens

from .oauth_helpers import REDIRECT, MemoryStorage, hidden_fields

pytestmark = pytest.mark.integration
LONG_AGO = datetime.now(timezone.utc) - timedelta(days=400)


async def _through_attio(authorize_url: str) -> dict[str, str]:
    """A person in a browser: our consent page, Allow, Attio's consent (approved headlessly), back to us."""
    async with httpx2.AsyncClient(follow_redirects=False, timeout=30) as browser:
        page = await browser.get(authorize_url)
        assert page.status_code == 200, page.text[:500]
        action = unescape(re.search(r'<form[^>]+action="([^"]+)"', page.text).group(1))
        to_attio = await browser.post(action, data={**hidden_fields(page.text), "decision": "allow"})
        assert to_attio.status_code == 303, to_attio.text[:500]
        back = await browser.get(to_attio.headers["location"] + "&demo_auto_approve=northwind")
        assert back.status_code == 302, back.text[:500]
        done = await browser.get(back.headers["location"])
        assert done.status_code == 302, done.text[:500]
    return {k: v[0] for k, v in parse_qs(urlparse(done.headers["location"]).query).items()}


def _provider(mcp_url: str, storage: MemoryStorage, consents: list[str]) -> OAuthClientProvider:
    landed: dict[str, str] = {}

    async def open_browser(url: str) -> None:
        consents.append(url)
        landed.clear()
        landed.update(await _through_attio(url))

    async def read_callback() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=landed.get("code", ""), state=landed.get("state"), iss=landed.get("iss"))

    meta = OAuthClientMetadata(client_name="left-over-secrets", redirect_uris=[REDIRECT],
                               grant_types=["authorization_code", "refresh_token"], response_types=["code"],
                               token_endpoint_auth_method="none", scope="attio:read offline_access")
    return OAuthClientProvider(server_url=mcp_url, client_metadata=meta, storage=storage,
                               redirect_handler=open_browser, callback_handler=read_callback)


def test_attio_401_during_a_tool_call_sends_the_sdk_client_back_through_authorization(server_factory, demo_attio,
                                                                                     tmp_path):
    _admin(demo_attio, "/_admin/reset")
    db_url = f"sqlite:///{tmp_path / 'attio-401.sqlite'}"
    srv = server_factory(AUTH_DISABLED="false", ATTIO_CLIENT_ID=DEMO_OAUTH_CLIENT_ID, DATABASE_URL=db_url,
                         ATTIO_CLIENT_SECRET=DEMO_OAUTH_CLIENT_SECRET, ATTIO_OAUTH_URL=demo_attio.url)
    storage, consents = MemoryStorage(), []
    seen: dict[str, Any] = {}

    async def body() -> None:
        async with httpx2.AsyncClient(auth=_provider(srv.mcp_url, storage, consents), timeout=30) as http:
            async with streamable_http_client(srv.mcp_url, http_client=http) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    seen["ok"] = await session.call_tool("search", {"query": "contoso"})
                    seen["first_token"] = storage.tokens.access_token
                    _admin(demo_attio, "/_admin/oauth/revoke-all")  # uninstalled at Attio: its API answers 401
                    seen["rejected"] = await session.call_tool("search", {"query": "contoso"})
                    async with httpx2.AsyncClient(timeout=10) as raw:  # the old token, as the SDK sends it next
                        seen["next"] = await raw.post(srv.mcp_url, json={"jsonrpc": "2.0", "id": 9, "method": "ping"},
                                                      headers={"Authorization": f"Bearer {seen['first_token']}",
                                                               "Accept": "application/json, text/event-stream"})
                    seen["after"] = await session.call_tool("search", {"query": "contoso"})

    anyio.run(body)
    assert seen["ok"].is_error is False and "Contoso Pharmaceuticals" in seen["ok"].content[0].text
    rejected = seen["rejected"]
    assert rejected.is_error is True
    assert "HTTP 401" in rejected.content[0].text and "reconnect" in rejected.content[0].text.lower()
    nxt = seen["next"]
    assert nxt.status_code == 401
    assert 'error="invalid_token"' in nxt.headers["www-authenticate"]
    assert f'resource_metadata="{srv.url}/.well-known/oauth-protected-resource/mcp"' in nxt.headers["www-authenticate"]
    # The SDK met that 401 on its next call, authorized again (a second consent, through Attio) and retried.
    assert seen["after"].is_error is False and "Contoso Pharmaceuticals" in seen["after"].content[0].text
    assert len(consents) == 2 and storage.tokens.access_token != seen["first_token"]

    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            grants = session.execute(select(Grant).order_by(Grant.created_at)).scalars().all()
            assert [g.revoked_reason for g in grants] == ["upstream_unauthorized", None]
            first, second = (session.get(UpstreamCredential, g.upstream_credential_id) for g in grants)
            assert first.ciphertext is None and first.status == "revoked"
            assert second.ciphertext and second.status == "active"
    finally:
        engine.dispose()
    assert seen["first_token"] not in srv.log()


def test_each_worker_purges_the_store_on_its_timer(server_factory, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'timer.sqlite'}"
    srv = server_factory(AUTH_DISABLED="false", DATABASE_URL=db_url, PURGE_INTERVAL_SECONDS="0.2",
                         PURGE_GRACE_SECONDS="0")
    tokens = live_tokens(srv.url)
    engine = create_engine(db_url, connect_args={"timeout": 15})
    try:
        with Session(engine) as session:
            assert session.execute(update(Token).values(refresh_expires_at=LONG_AGO,
                                                        access_expires_at=LONG_AGO)).rowcount == 1
            session.add(PendingAuthorization(id="p_expired", client_id=tokens["client_id"], query="", csrf_hash="x",
                                             browser_hash="y", expires_at=LONG_AGO))
            session.commit()

        def left() -> tuple[int, int]:
            with Session(engine) as session:
                return (session.execute(select(func.count()).select_from(Token)).scalar_one(),
                        session.execute(select(func.count()).select_from(PendingAuthorization)
                                        .where(PendingAuthorization.id == "p_expired")).scalar_one())

        for _ in range(300):  # the worker's timer fires every ~0.2 s; nothing here triggers a purge
            if left() == (0, 0):
                break
            time.sleep(0.1)
        assert left() == (0, 0), srv.log()[-2000:]
    finally:
        engine.dispose()
    resp = httpx2.post(srv.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                       headers={"Authorization": f"Bearer {tokens['access_token']}",
                                "Accept": "application/json, text/event-stream"}, timeout=10)
    assert resp.status_code == 401 and srv.alive()
    assert tokens["access_token"] not in srv.log() and json.dumps(tokens["refresh_token"])[1:-1] not in srv.log()
