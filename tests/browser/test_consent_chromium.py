"""The OAuth consent page in a real headless Chromium: escaping, Allow/Deny round trips, headers, a screenshot.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/install-tools); Playwright only drives it and
never downloads a browser. The client's redirect_uri is a tiny HTTP server in this process, so the
browser really lands there and we read the query it brought.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.conftest import free_port, need

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EVIL_NAME = "<img src=x onerror=alert(1)> Evil & Co"
SCREENSHOT_COPY = Path("/tmp/consent-chromium.png")


# --- the client's redirect target -------------------------------------------------------------

class Landing:
    """A loopback HTTP server standing in for the client's redirect_uri; it records each query."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.redirect_uri = f"{self.url}/callback"
        self.hits: list[dict[str, list[str]]] = []
        self.pages: dict[str, str] = {}  # extra paths served as HTML (for the self-check of the escape test)
        landing = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                if parts.path == "/callback":
                    landing.hits.append(parse_qs(parts.query, keep_blank_values=True))
                    body, ctype = b"ok", "text/plain; charset=utf-8"
                elif parts.path in landing.pages:
                    body, ctype = landing.pages[parts.path].encode(), "text/html; charset=utf-8"
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="landing", daemon=True)
        self.thread.start()

    def last(self) -> dict[str, str]:
        """The single query received at /callback, flattened."""
        assert len(self.hits) == 1, f"expected one landing at /callback, got {self.hits!r}"
        return {k: v[0] for k, v in self.hits[0].items()}

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright's sync API."""
    need(CHROMIUM.exists(), f"{CHROMIUM} is missing: run .ci/install-tools (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - it is in the test extras
        need(False, "the playwright Python package is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def auth_server(server_factory: Any) -> Any:
    return server_factory(AUTH_DISABLED="false")


@pytest.fixture()
def landing() -> Iterator[Landing]:
    server = Landing()
    yield server
    server.stop()


class Watched:
    """A fresh browser page plus what it did: dialogs, requests, responses, console errors."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.responses: list[tuple[str, int]] = []
        self.console_errors: list[str] = []
        self.post_origins: list[str | None] = []

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("request", self._on_request)
        page.on("response", lambda r: self.responses.append((r.url, r.status)))
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(f"pageerror: {e}"))

    def _on_request(self, request: Any) -> None:
        self.requests.append(request.url)
        if request.method == "POST":
            self.post_origins.append(request.headers.get("origin"))


@pytest.fixture()
def watched(chromium: Any) -> Iterator[Watched]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield Watched(page)
    context.close()


# --- the OAuth client side ---------------------------------------------------------------------

class Flow:
    """One registered public client and one authorization request with PKCE."""

    def __init__(self, server: Any, landing: Landing, name: str, scope: str = "attio:read") -> None:
        self.server, self.landing, self.scope = server, landing, scope
        r = requests.post(f"{server.url}/oauth/register", timeout=10, json={
            "client_name": name, "redirect_uris": [landing.redirect_uri], "token_endpoint_auth_method": "none"})
        assert r.status_code == 201, r.text
        self.client_id = r.json()["client_id"]
        self.verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()
        self.state = secrets.token_urlsafe(16)
        self.authorize_url = f"{server.url}/oauth/authorize?" + urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": landing.redirect_uri,
            "state": self.state, "code_challenge": challenge, "code_challenge_method": "S256",
            "resource": server.mcp_url, "scope": scope})

    def exchange(self, code: str) -> requests.Response:
        return requests.post(f"{self.server.url}/oauth/token", timeout=10, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": self.landing.redirect_uri,
            "client_id": self.client_id, "code_verifier": self.verifier, "resource": self.server.mcp_url})


def assert_name_shown_as_text(watched: Watched, name: str) -> None:
    """The client name is on the page as literal text: no element made from it, no script run by it."""
    page = watched.page
    assert name in page.locator("#client-name").inner_text()
    assert page.locator("#client-name img").count() == 0
    assert page.locator("#client-name *").count() == 0
    page.wait_for_timeout(300)  # give an injected onerror a chance to fire
    assert watched.dialogs == []


def press(watched: Watched, button: str, landing: Landing) -> None:
    """Click a consent button and check the browser ended up at the client's redirect_uri."""
    page = watched.page
    with page.expect_navigation(wait_until="load") as nav:
        page.locator(button).click()
    response = nav.value
    if not page.url.startswith(landing.redirect_uri + "?"):
        shown = " / ".join(page.locator(sel).inner_text() for sel in ("#error-title", "#error-message")
                           if page.locator(sel).count())
        pytest.fail(f"{button} did not send the browser to the client's redirect_uri: it stayed at {page.url} "
                    f"(HTTP {response.status if response else '?'}: {shown!r}); Origin header of the form "
                    f"post as Chromium sent it: {watched.post_origins!r}")
    assert page.locator("body").inner_text().strip() == "ok"


def open_consent(watched: Watched, flow: Flow) -> Any:
    response = watched.page.goto(flow.authorize_url, wait_until="load")
    assert response is not None and response.status == 200, response and response.text()[:500]
    return response


# --- tests ----------------------------------------------------------------------------------------

def test_allow_with_a_hostile_client_name_then_code_exchange(auth_server, landing, watched):
    flow = Flow(auth_server, landing, EVIL_NAME)
    page = watched.page
    open_consent(watched, flow)

    assert_name_shown_as_text(watched, EVIL_NAME)
    host = page.locator("#redirect-host").inner_text().strip()
    assert host in (f"127.0.0.1:{landing.port}", "127.0.0.1"), host
    scopes = page.locator("#scopes").inner_text()
    assert "Read your CRM" in scopes and "Search and read companies" in scopes, scopes
    assert "Change your CRM" not in scopes  # only what was asked for
    assert page.locator("#mode-note").inner_text().startswith("Demo sign-in")

    press(watched, "#allow", landing)
    got = landing.last()
    assert got["state"] == flow.state
    assert got["iss"] == auth_server.url
    assert got.get("code") and "error" not in got

    r = flow.exchange(got["code"])
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["access_token"].startswith("atk_") and token["token_type"].lower() == "bearer"
    assert "attio:read" in token["scope"].split()
    # the code is single use
    assert flow.exchange(got["code"]).status_code == 400
    assert watched.dialogs == []


def test_deny_sends_access_denied_and_no_code(auth_server, landing, watched):
    flow = Flow(auth_server, landing, "Deny Me Client")
    open_consent(watched, flow)
    press(watched, "#deny", landing)
    got = landing.last()
    assert got["error"] == "access_denied"
    assert got["state"] == flow.state
    assert got["iss"] == auth_server.url
    assert "code" not in got


def test_security_headers_and_no_third_party_loads(auth_server, landing, watched):
    flow = Flow(auth_server, landing, "Header Check Client")
    response = open_consent(watched, flow)
    headers = response.all_headers()
    csp = headers.get("content-security-policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", csp
    assert directives.get("default-src") == "default-src 'none'", csp
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("referrer-policy") == "no-referrer"
    assert headers.get("x-content-type-options") == "nosniff"
    assert "no-store" in headers.get("cache-control", "")

    page = watched.page
    page.wait_for_load_state("networkidle")
    # the stylesheet really applied (a CSP or MIME refusal would leave the default look)
    assert page.locator("#allow").evaluate("b => getComputedStyle(b).cursor") == "pointer"

    own = {auth_server.url, landing.url}
    foreign = [u for u in watched.requests
               if not u.startswith("data:") and f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" not in own]
    assert foreign == [], foreign
    assert any(u.endswith("/oauth/static/style.css") for u in watched.requests), watched.requests
    failed = [(u, s) for u, s in watched.responses if s >= 400]
    assert failed == [], failed
    assert watched.console_errors == [], watched.console_errors  # e.g. no CSP violation on our own page


def test_screenshot_of_the_consent_page(auth_server, landing, watched, tmp_path):
    flow = Flow(auth_server, landing, "Screenshot Client")
    open_consent(watched, flow)
    watched.page.wait_for_load_state("networkidle")
    shot = tmp_path / "consent.png"
    watched.page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000, len(data)
    shutil.copyfile(shot, SCREENSHOT_COPY)


def test_the_escape_check_catches_an_unescaped_name(landing, watched):
    """Self-check: on a page that pastes the name raw (no CSP), the same check fails in Chromium."""
    landing.pages["/raw"] = (f'<!doctype html><title>raw</title><h1><span id="client-name">{EVIL_NAME}</span>'
                             " wants to access your Attio workspace</h1>")
    watched.page.goto(f"{landing.url}/raw", wait_until="load")
    assert watched.page.locator("#client-name img").count() == 1
    with pytest.raises(AssertionError):
        assert_name_shown_as_text(watched, EVIL_NAME)
    watched.page.wait_for_timeout(300)
    assert watched.dialogs == ["alert: 1"]
