"""Rate limits (attio-api-2026.md §0, §11) and token levels (§0.1, §12): what the demo enforces."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest

from attio_demo import DEMO_TOKEN, DEMO_TOKEN_2, create_demo_app
from attio_demo.ratelimit import ATTIO_LIMITS, classes, parse_limits
from attio_demo.tokens import DEMO_TOKEN_MEMBER
from tests.conftest import ROOT

from .conftest import Api

RATE_LIMITED = {"status_code": 429, "type": "rate_limit_error", "code": "rate_limit_exceeded",
                "message": "Rate limit exceeded, please try again later"}


def start_of_a_second() -> None:
    """Wait until early in a clock second, so a burst stays inside one window."""
    while time.time() % 1 > 0.5:
        time.sleep(0.02)


def test_attio_limits_by_default_and_none_in_the_test_build() -> None:
    assert ATTIO_LIMITS == {"read": 100, "write": 25, "recording_create": 1, "file_upload": 1, "sql": 2, "merge": 5,
                            "note_listing": 10}
    assert create_demo_app().extensions["demo_attio"].settings.rate_limits == ATTIO_LIMITS
    assert set(create_demo_app(testing=True).extensions["demo_attio"].settings.rate_limits.values()) == {None}


@pytest.mark.parametrize("method, path, expected", [
    ("GET", "/v2/objects", ["read"]),
    ("POST", "/v2/objects/people/records/query", ["read"]),
    ("POST", "/v2/lists/sales_pipeline/entries/query", ["read"]),
    ("POST", "/v2/objects/records/search", ["read"]),
    ("POST", "/v2/sql", ["read", "sql"]),
    ("POST", "/v2/objects/people/records", ["write"]),
    ("POST", "/v2/objects/people/records/merge", ["write", "merge"]),
    ("POST", "/v2/meetings/m/call_recordings", ["write", "recording_create"]),
    ("GET", "/v2/meetings/m/call_recordings", ["read"]),
    ("GET", "/v2/notes", ["read", "note_listing"]),
    ("GET", "/v2/notes/n", ["read"]),
    ("PATCH", "/v2/notes/n", ["write"]),
])
def test_what_counts_against_what(method: str, path: str, expected: list[str]) -> None:
    assert classes(method, path) == expected


def test_reads_past_the_limit_get_attios_429_until_the_next_second(api: Api) -> None:
    api.settings(rate_limits={"read": 3})
    start_of_a_second()
    statuses = [api.call("GET", "/v2/objects").status_code for _ in range(3)]
    r = api.call("GET", "/v2/objects")
    assert statuses == [200] * 3 and r.status_code == 429 and r.get_json() == RATE_LIMITED
    reset = parsedate_to_datetime(r.headers["Retry-After"])
    now = datetime.now(timezone.utc)
    assert 0 < (reset - now).total_seconds() <= 1 and reset.microsecond == 0  # the next clock second
    assert api.call("POST", "/v2/objects/people/records", {"data": {"values": {}}}).status_code == 200  # writes: own
    assert api.call("GET", "/v2/objects", token=DEMO_TOKEN_2).status_code == 200  # another token: its own budget
    time.sleep(max(0.0, (reset - datetime.now(timezone.utc)).total_seconds()) + 0.01)
    assert api.call("GET", "/v2/objects").status_code == 200


def test_writes_have_their_own_limit(api: Api) -> None:
    api.settings(rate_limits={"write": 2})
    start_of_a_second()
    body = {"data": {"values": {"name": "Limit test"}}}
    statuses = [api.call("POST", "/v2/objects/companies/records", body).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert api.call("GET", "/v2/objects").status_code == 200


def test_a_refused_call_is_not_counted_and_unauthenticated_calls_are_not_limited(api: Api) -> None:
    api.settings(rate_limits={"read": 1})
    start_of_a_second()
    assert api.call("GET", "/v2/objects").status_code == 200
    assert [api.call("GET", "/v2/objects").status_code for _ in range(3)] == [429] * 3
    assert api.call("GET", "/v2/objects", token=None).status_code == 401


def test_settings_admin_validates_and_reset_restores(api: Api) -> None:
    for bad in ({"rate_limits": {"reads": 5}}, {"rate_limits": {"read": 0}}, {"rate_limits": "fast"},
                {"merge_delay_seconds": -1}, {"colour": 1}, [1]):
        assert api.call("POST", "/_admin/settings", bad, token=None).status_code == 400, bad
    changed = api.settings(rate_limits={"sql": 1}, sql_timeout_seconds=5)
    assert changed["rate_limits"]["sql"] == 1 and changed["rate_limits"]["read"] == 100
    assert api.call("POST", "/_admin/reset", token=None).status_code == 200
    after = api.call("GET", "/_admin/settings", token=None).get_json()
    assert set(after["rate_limits"].values()) == {None} and after["sql_timeout_seconds"] == 30


def test_parse_limits() -> None:
    assert parse_limits("attio") == ATTIO_LIMITS and set(parse_limits("off").values()) == {None}
    assert parse_limits({"read": 5, "sql": None})["sql"] is None
    with pytest.raises(ValueError):
        parse_limits({"read": True})


def test_the_command_line_takes_a_limit_spec() -> None:
    done = subprocess.run([sys.executable, "-m", "attio_demo", "--rate-limits", "reads=5"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "unknown rate-limit classes" in done.stderr


# --- token levels --------------------------------------------------------------------------
def test_self_reports_the_token_level(api: Api) -> None:
    me = api.call("GET", "/v2/self").get_json()
    assert me["token_level"] == "workspace"
    member = api.call("GET", "/v2/self", token=DEMO_TOKEN_MEMBER).get_json()
    tomas = next(m for m in api.data("GET", "/v2/workspace_members") if m["first_name"] == "Tomás")
    assert member["token_level"] == "user" and member["workspace_id"] == me["workspace_id"]
    assert member["authorized_by_workspace_member_id"] == tomas["id"]["workspace_member_id"]


@pytest.mark.parametrize("path", ["/v2/meetings", "/v2/emails?domain=atlasfintech.co.uk", "/v2/webhooks"])
def test_workspace_only_endpoints_refuse_member_tokens(api: Api, path: str) -> None:
    status, err = Api(api.client, DEMO_TOKEN_MEMBER).error("GET", path)
    assert (status, err["type"], err["code"]) == (403, "auth_error", "unauthorized")
    assert "workspace-level access tokens" in err["message"]
    assert api.call("GET", path, token=DEMO_TOKEN).status_code != 403


def test_member_tokens_read_and_write_elsewhere(api: Api) -> None:
    member = Api(api.client, DEMO_TOKEN_MEMBER)
    assert len(member.query("people")) == 20
    assert member.page("/v2/objects/companies/views")["data"]
    note = member.data("POST", "/v2/notes", {"data": {"parent_object": "people", "parent_record_id":
                                                      member.query("people")[0]["id"]["record_id"],
                                                      "title": "t", "format": "plaintext", "content": "c"}})
    assert note["created_by_actor"]["type"] == "workspace-member"
