"""The conformance suite's authorization-server scenarios against the real server (gunicorn + gevent, auth on).

`conformance authorization` runs `authorization-server-metadata-endpoint` and `authorization-code-grant`. The
second prints an authorize URL and waits for a browser to reach its loopback callback; here `requests` plays
the person: it opens our consent page, signs in (api_key mode) or continues as the demo workspace's person
(demo mode), posts the form with its hidden fields, and follows our 303 to the suite's callback. The suite then
redeems the code at our token endpoint and checks the answer.

Needs Node 22 and @modelcontextprotocol/conformance 0.2.0-alpha.12 (`make conformance-tools`); skipped with the
reason without them, a failure under CI=true.
"""
from __future__ import annotations

import json
import os
import queue
import re
import sqlite3
import subprocess
import threading
import time
from html import unescape

import pytest
import requests

from tests.conftest import ROOT, free_port, need, node22
from tests.oauth import flow

pytestmark = [pytest.mark.integration, pytest.mark.conformance]

VERSION = "0.2.0-alpha.12"
PACKAGE = ROOT / ".tools" / "conformance" / "node_modules" / "@modelcontextprotocol" / "conformance"
SUITE = PACKAGE / "dist" / "index.js"
PASSWORD = "conformance-password-0123"
SCENARIOS = ("authorization-server-metadata-endpoint", "authorization-code-grant")


def _installed_version() -> str | None:
    try:
        return json.loads((PACKAGE / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


class Suite:
    """`conformance authorization` as a subprocess whose output is read line by line as it comes."""

    def __init__(self, args: list[str]) -> None:
        node = node22()
        env = {**os.environ, "PATH": f"{os.path.dirname(node)}:{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
        self.proc = subprocess.Popen([node, str(SUITE), "authorization", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first line matching `pattern`; fails with the output so far when the suite ends or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no line matching {pattern!r} within {timeout} s:\n{self.output}")
            if line is None:
                pytest.fail(f"the suite ended before printing {pattern!r}:\n{self.output}")
            self.lines.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    def finish(self, timeout: float) -> int:
        """Wait for the exit status (the rest of the output is collected)."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            pytest.fail(f"the suite did not finish within {timeout} s:\n{self.output}")
        while (line := self._queue.get(timeout=10)) is not None:
            self.lines.append(line)
        return code

    def stop(self) -> None:
        """Kill the suite if it still runs (its callback server goes with it)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @property
    def output(self) -> str:
        """What it printed so far."""
        return "\n".join(self.lines)


def _consent(authorize_url: str, username: str | None) -> requests.Response:
    """Open our consent page as a browser would, sign in when asked, press Allow; the 303 to the client."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=15)
    assert page.status_code == 200, page.text[:1500]
    fields = flow.hidden_fields(page.text)
    assert {"pending_id", "csrf_token"} <= fields.keys(), page.text[:1500]
    action = unescape(re.search(r'<form[^>]+action="([^"]+)"', page.text).group(1))
    form = {**fields, "decision": "allow"}
    if username is not None:
        assert 'name="password"' in page.text, "api_key mode asks for the account on the consent page"
        form.update(username=username, password=PASSWORD)
    else:
        assert "you will continue as the demo user" in page.text
    answer = browser.post(action, data=form, allow_redirects=False, timeout=15)
    assert answer.status_code == 303, answer.text[:1500]
    return answer


def _tokens_issued(database: str, client_id: str) -> list[tuple[str, str]]:
    """(subject, scope) of every token the server stored for `client_id`."""
    with sqlite3.connect(database) as con:
        return con.execute("SELECT subject, scope FROM oauth_tokens WHERE client_id = ?", (client_id,)).fetchall()


@pytest.mark.parametrize("mode", ["demo", "api_key"])
def test_authorization_server_scenarios_pass_through_our_consent_page(server_factory, tmp_path, mode):
    need(node22() is not None, "Node 22 is not installed (run `make conformance-tools`)")
    need(_installed_version() == VERSION,
         f"@modelcontextprotocol/conformance {VERSION} is not installed (run `make conformance-tools`)")
    database = tmp_path / "store.sqlite"
    env = {"AUTH_DISABLED": "false", "DATABASE_URL": flow.sqlite_url(database)}
    username = None
    if mode == "api_key":
        from connector.auth.models import User
        from connector.auth.crypto import hash_password

        env["ATTIO_API_KEY"] = "conformance-attio-key"
        seed = flow.make_app(env["DATABASE_URL"], ATTIO_API_KEY=env["ATTIO_API_KEY"])  # migrates the file
        with seed.app_context():
            seed.extensions["db"].session.add(User(id="u-conformance", username="conformance",
                                                   display_name="Conformance", password_hash=hash_password(PASSWORD)))
            seed.extensions["db"].session.commit()
        username = "conformance"
    srv = server_factory(**env)
    callback_port = free_port()
    callback = f"http://127.0.0.1:{callback_port}/callback"
    # The pre-registered client: a public one (PKCE, no secret) whose redirect URI is the suite's callback.
    reg = requests.post(f"{srv.url}/oauth/register", json={
        "client_name": "MCP conformance suite", "redirect_uris": [callback], "application_type": "native",
        "token_endpoint_auth_method": "none"}, timeout=15)
    assert reg.status_code == 201, reg.text
    client_id = reg.json()["client_id"]

    suite = Suite(["--url", srv.url, "--client-id", client_id, "--resource", srv.mcp_url,
                   "--port", str(callback_port)])
    try:
        url = suite.wait_for(r"^(\S+/oauth/authorize\?\S+)$", timeout=60).group(1)
        suite.wait_for(r"Callback server started", timeout=30)
        assert url.startswith(f"{srv.url}/oauth/authorize?"), url
        answer = _consent(url, username)
        location = answer.headers["Location"]
        assert location.startswith(callback + "?"), location
        landed = requests.get(location, timeout=15)  # the browser follows the 303 to the suite's callback
        assert landed.status_code == 200, landed.text[:500]
        code = suite.finish(timeout=60)
    finally:
        suite.stop()
    report = suite.output
    total = re.search(r"Total: (\d+) passed, (\d+) failed", report)
    assert total, report[-6000:]
    assert code == 0 and total.group(2) == "0", report[-6000:]
    for scenario in SCENARIOS:
        assert re.search(rf"^✓ {scenario}: [1-9]\d* passed, 0 failed$", report, re.M), report[-6000:]
    assert int(total.group(1)) >= 3, report[-6000:]
    assert "WARNING" not in report, report[-6000:]
    # The code went to the suite, and the suite, not this test, redeemed it: one token for the person who signed in.
    subject = "user:u-conformance" if mode == "api_key" else "demo:demo-user"
    assert _tokens_issued(str(database), client_id) == [(subject, "attio:read")]
