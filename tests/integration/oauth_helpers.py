"""A headless person for the OAuth flow: reads our consent page and submits it, like a browser would."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlparse

import httpx2
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

REDIRECT = "http://127.0.0.1:53682/callback"


class MemoryStorage(TokenStorage):
    """Tokens and client registration kept in memory."""

    def __init__(self) -> None:
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens) -> None:
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, info) -> None:
        self.client_info = info


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the consent form."""
    fields = {}
    for tag in re.findall(r"<input[^>]+>", html):
        if 'type="hidden"' in tag:
            name = re.search(r'name="([^"]+)"', tag).group(1)
            value = re.search(r'value="([^"]*)"', tag).group(1)
            fields[name] = unescape(value)
    return fields


async def consent(authorize_url: str, decision: str = "allow", extra: dict | None = None) -> dict[str, str]:
    """Open the consent page, press a button, and return the query the browser lands on."""
    async with httpx2.AsyncClient(follow_redirects=False, timeout=30) as browser:
        page = await browser.get(authorize_url)
        assert page.status_code == 200, page.text[:500]
        form = {**hidden_fields(page.text), "decision": decision, **(extra or {})}
        action = re.search(r'<form[^>]+action="([^"]+)"', page.text).group(1)
        answer = await browser.post(unescape(action), data=form)
        assert answer.status_code == 303, answer.text[:500]
        location = answer.headers["location"]
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def provider(mcp_url: str, storage: MemoryStorage, *, scope: str | None = None,
             client_metadata_url: str | None = None, decision: str = "allow") -> OAuthClientProvider:
    """The SDK's OAuth provider, with our headless person playing the browser."""
    landed: dict[str, str] = {}

    async def open_browser(url: str) -> None:
        landed.clear()
        landed.update(await consent(url, decision))

    async def read_callback() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=landed.get("code", ""), state=landed.get("state"), iss=landed.get("iss"))

    meta = OAuthClientMetadata(client_name="connector-tests", redirect_uris=[REDIRECT],
                               grant_types=["authorization_code", "refresh_token"], response_types=["code"],
                               token_endpoint_auth_method="none", scope=scope)
    return OAuthClientProvider(server_url=mcp_url, client_metadata=meta, storage=storage,
                               redirect_handler=open_browser, callback_handler=read_callback,
                               client_metadata_url=client_metadata_url)
