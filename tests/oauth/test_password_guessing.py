"""Issue 8 item 9: password guessing at the api_key sign-in (per-request cap, per-account backoff, no enumeration)."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from html import unescape
from typing import Any

import pytest

from connector.auth.crypto import hash_password
from connector.auth.models import AuditEvent, PendingAuthorization, User, aware

from . import flow

PASSWORD = "correct horse battery"
ADDRESSES = ("198.51.100.1", "198.51.100.2", "198.51.100.3")


@pytest.fixture()
def api_app(make_oauth_app):
    """api_key mode with one account, alice."""
    def build(**settings: Any) -> Any:
        app = make_oauth_app(ATTIO_API_KEY="test-attio-key", **settings)
        with app.app_context():
            session = app.extensions["db"].session
            session.add(User(id="u1", username="alice", password_hash=hash_password(PASSWORD)))
            session.commit()
        return app
    return build


def fresh_form(client: Any, client_id: str) -> dict[str, str]:
    """A new pending request (GET /oauth/authorize): its hidden consent fields."""
    page, fields = flow.open_consent(client, flow.authorize_params(client_id, flow.pkce_pair()[1]))
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    return fields


def sign_in(client: Any, fields: dict[str, str], username: str, password: str, address: str = "127.0.0.1") -> Any:
    """POST Allow with the credentials from `address`."""
    return client.post("/oauth/authorize", data={**fields, "decision": "allow", "username": username,
                                                 "password": password}, environ_base={"REMOTE_ADDR": address})


def notice(resp: Any) -> str:
    """The error notice of a re-rendered consent page."""
    found = re.search(r'<p class="notice__body">(.*?)</p>', resp.get_data(as_text=True), re.S)
    return unescape(found.group(1).strip()) if found else ""


def audit_rows(app: Any, kind: str) -> list[AuditEvent]:
    return flow.rows(app, AuditEvent, AuditEvent.type == kind)


def test_attempts_on_one_pending_request_are_capped_then_it_is_used_up(api_app, caplog):
    app = api_app(SIGNIN_LOCKOUT_THRESHOLD=1000)  # only the per-request cap is under test here
    client = app.test_client()
    reg = flow.register(client)
    fields = fresh_form(client, reg["client_id"])
    caplog.set_level(logging.INFO, logger="connector.audit")
    for i in range(4):  # from three addresses: the cap is on the request, not the address
        wrong = sign_in(client, fields, "alice", f"guess-{i}", ADDRESSES[i % 3])
        assert wrong.status_code == 401 and "Wrong username or password" in notice(wrong)
        fields = flow.hidden_fields(wrong.get_data(as_text=True))
    last = sign_in(client, fields, "alice", "guess-4", ADDRESSES[1])
    assert last.status_code == 429 and "Start again from your app" in last.get_data(as_text=True)
    flow.html_has_no_location(last)
    (pending,) = flow.rows(app, PendingAuthorization)
    assert pending.consumed_at is not None and pending.failed_signins == 5

    right = sign_in(client, fields, "alice", PASSWORD, ADDRESSES[2])
    assert right.status_code == 403 and "Location" not in right.headers  # no code for the used-up request
    assert [e.detail["reason"] for e in audit_rows(app, "signin.failed")] == ["wrong_password"] * 5
    assert not audit_rows(app, "signin.succeeded")
    stored = " ".join(repr(e.detail) for e in flow.rows(app, AuditEvent)) + caplog.text
    assert "guess-" not in stored and PASSWORD not in stored  # never the password

    # A new request from the app works with the right password.
    ok = sign_in(client, fresh_form(client, reg["client_id"]), "alice", PASSWORD)
    assert ok.status_code == 303 and flow.location_query(ok)["code"]


def test_account_backs_off_exponentially_and_refuses_even_the_right_password_while_locked(api_app):
    app = api_app()  # defaults: locked from the 5th consecutive failure for 2^n s, at most 900 s
    client = app.test_client()
    cid = flow.register(client)["client_id"]
    for i in range(5):  # each on its own pending request, so the per-request cap is not what stops it
        assert sign_in(client, fresh_form(client, cid), "alice", f"nope-{i}", ADDRESSES[i % 3]).status_code == 401
    (user,) = flow.rows(app, User)
    assert user.failed_logins == 5
    remaining = aware(user.locked_until) - datetime.now(timezone.utc)
    assert timedelta(seconds=25) < remaining <= timedelta(seconds=32)
    (locked,) = audit_rows(app, "signin.locked")
    assert locked.subject == "user:u1" and locked.detail["failures"] == 5 and locked.detail["seconds"] == 32

    refused = sign_in(client, fresh_form(client, cid), "alice", PASSWORD)
    assert refused.status_code == 401 and "try again later" in notice(refused)
    assert audit_rows(app, "signin.failed")[-1].detail["reason"] == "locked"
    assert flow.rows(app, User)[0].failed_logins == 5  # refusals while locked do not extend the lock

    # The lock runs out; the next failure doubles it (capped); a success resets everything.
    flow.set_columns(app, User, User.id == "u1", locked_until=datetime.now(timezone.utc) - timedelta(seconds=1),
                     failed_logins=9)
    assert sign_in(client, fresh_form(client, cid), "alice", "nope-9").status_code == 401
    assert audit_rows(app, "signin.locked")[-1].detail["seconds"] == 900  # 2^10 s, capped at 15 minutes
    flow.set_columns(app, User, User.id == "u1", locked_until=datetime.now(timezone.utc) - timedelta(seconds=1))
    ok = sign_in(client, fresh_form(client, cid), "alice", PASSWORD)
    assert ok.status_code == 303 and flow.location_query(ok)["code"]
    (user,) = flow.rows(app, User)
    assert user.failed_logins == 0 and user.locked_until is None


def test_unknown_user_wrong_password_and_locked_account_are_indistinguishable(api_app, monkeypatch):
    from connector.auth import crypto

    app = api_app()
    client = app.test_client()
    cid = flow.register(client)["client_id"]
    flow.set_columns(app, User, User.id == "u1", failed_logins=5,
                     locked_until=datetime.now(timezone.utc) + timedelta(minutes=5))
    checks: list[str] = []
    real = crypto.check_password_hash

    def counting(stored: str, password: str) -> bool:
        checks.append(stored)
        return real(stored, password)

    monkeypatch.setattr(crypto, "check_password_hash", counting)
    answers = {}
    for case, (username, password) in {"unknown": ("mallory", PASSWORD), "wrong": ("alice", "nope"),
                                       "locked": ("alice", PASSWORD)}.items():
        if case == "wrong":
            flow.set_columns(app, User, User.id == "u1", locked_until=None, failed_logins=0)
        if case == "locked":
            flow.set_columns(app, User, User.id == "u1", failed_logins=5,
                             locked_until=datetime.now(timezone.utc) + timedelta(minutes=5))
        before = len(checks)
        resp = sign_in(client, fresh_form(client, cid), username, password)
        answers[case] = (resp.status_code, notice(resp))
        assert len(checks) - before == 1, case  # one scrypt check in every case: the same work
    assert answers["unknown"] == answers["wrong"] == answers["locked"], answers
    assert answers["locked"][0] == 401 and "try again later" in answers["locked"][1]
    reasons = [e.detail["reason"] for e in audit_rows(app, "signin.failed")]
    assert reasons == ["unknown_user", "wrong_password", "locked"]


@pytest.mark.integration
def test_live_parallel_guesses_on_one_request_never_exceed_the_cap(server_factory, pg_url):
    """gunicorn + gevent on PostgreSQL: 12 wrong passwords posted at once on one pending request (the CSRF
    token is rotated only after a check, so all of them pass it); at most 5 are checked."""
    import threading

    import requests

    seed = flow.make_app(pg_url, ATTIO_API_KEY="test-attio-key")  # migrates the database
    with seed.app_context():
        seed.extensions["db"].session.add(User(id="u1", username="alice", password_hash=hash_password(PASSWORD)))
        seed.extensions["db"].session.commit()
    srv = server_factory(AUTH_DISABLED="false", RATE_LIMITS_ENABLED="false", DATABASE_URL=pg_url,
                         ATTIO_API_KEY="test-attio-key", SIGNIN_LOCKOUT_THRESHOLD="1000")
    browser = requests.Session()
    reg = browser.post(f"{srv.url}/oauth/register", json={"redirect_uris": [flow.REDIRECT],
                                                           "token_endpoint_auth_method": "none"}, timeout=10).json()
    page = browser.get(srv.url + flow.authorize_url(flow.authorize_params(
        reg["client_id"], flow.pkce_pair()[1], resource=srv.mcp_url)), timeout=10)
    assert page.status_code == 200, page.text[:300]
    form = {**flow.hidden_fields(page.text), "decision": "allow", "username": "alice"}
    start, statuses = threading.Barrier(12), []

    def guess(i: int) -> None:
        start.wait()
        resp = requests.post(f"{srv.url}/oauth/authorize", data={**form, "password": f"guess-{i}"},
                             cookies=browser.cookies, allow_redirects=False, timeout=30)
        statuses.append(resp.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(statuses) == 12 and set(statuses) <= {401, 403, 429}, statuses
    checked = [e for e in audit_rows(seed, "signin.failed") if e.detail["reason"] == "wrong_password"]
    assert 1 <= len(checked) <= 5, len(checked)
    (pending,) = flow.rows(seed, PendingAuthorization)
    assert pending.failed_signins <= 5
    assert srv.alive()
