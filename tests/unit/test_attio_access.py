"""Token levels from /v2/self (cached per credential) and the refusals explained with them."""
from __future__ import annotations

import pytest

from connector.attio.client import AttioClient
from connector.attio.errors import (
    AttioAuthError,
    AttioFeatureUnavailable,
    AttioMemberTokenRefused,
    AttioMergeInProgress,
    AttioMergeNotFound,
    AttioNotFound,
    AttioNotPermitted,
)
from tests.unit.test_attio_client import BASE, TOKEN, attio_error

SELF = {"active": True, "scope": "meeting:read record_permission:read", "token_type": "Bearer", "exp": None,
        "workspace_id": "14beef7a-99f7-4534-a87e-70b564330a4c", "workspace_slug": "salarya"}
ONLY_WORKSPACE = "This endpoint only accepts workspace-level access tokens."
RID = "bf071e1f-6035-429d-b874-d83ea64ea13b"


@pytest.fixture
def client(attio_client: AttioClient) -> AttioClient:
    return attio_client



def forbidden(message: str, code: str = "unauthorized") -> dict:
    return attio_error(403, code, message, "auth_error")


@pytest.mark.parametrize("body, level", [
    ({**SELF, "token_level": "workspace"}, "workspace"),
    ({**SELF, "token_level": "user", "authorized_by_workspace_member_id": "m"}, "user"),
    (SELF, "workspace"),  # an Attio from before member tokens: every token acted for the workspace
    ({**SELF, "token_level": "something-new"}, "workspace"),
])
def test_token_level_comes_from_self(client, rsps, body, level):
    rsps.get(f"{BASE}/v2/self", json=body)
    assert client.token_level() == level
    assert client.is_member_token() is (level == "user")


def test_token_level_is_asked_once_per_credential_and_shared_by_bound_clients(client, rsps):
    rsps.get(f"{BASE}/v2/self", json={**SELF, "token_level": "user"})
    twin = client.bound(lambda: None)
    assert client.token_level() == "user" and twin.token_level() == "user" and client.is_member_token()
    assert len(rsps.calls) == 1
    other = AttioClient(BASE, TOKEN + "x")
    rsps.get(f"{BASE}/v2/self", json={**SELF, "token_level": "workspace"})
    assert other.token_level() == "workspace" and len(rsps.calls) == 2


def test_an_inactive_token_has_no_level_and_is_asked_again(client, rsps):
    rsps.get(f"{BASE}/v2/self", json={"active": False})
    assert client.token_level() is None and client.token_level() is None
    assert len(rsps.calls) == 2


@pytest.mark.parametrize("call, path, what", [
    (lambda c: c.list_meetings(), "/v2/meetings", "meetings across the workspace"),
    (lambda c: c.list_emails(domain="x.com"), "/v2/emails", "emails"),
    (lambda c: c.get_transcript_page("m", "r"), "/v2/meetings/m/call_recordings/r/transcript", "transcripts"),
])
def test_a_member_token_refused_by_a_workspace_only_list_says_why(client, rsps, call, path, what):
    rsps.get(f"{BASE}{path}", status=403, json=forbidden(ONLY_WORKSPACE))
    rsps.get(f"{BASE}/v2/self", json={**SELF, "token_level": "user"})
    with pytest.raises(AttioMemberTokenRefused) as info:
        call(client)
    err = info.value
    assert isinstance(err, AttioAuthError) and err.status == 403 and err.what.startswith(what)
    text = err.tool_message()
    assert "member" in text and "workspace-level" in text and ONLY_WORKSPACE in text
    assert [c.request.path_url.split("?")[0] for c in rsps.calls] == [path, "/v2/self"]


def test_a_workspace_token_refused_emails_is_told_the_feature_is_not_enabled(client, rsps):
    msg = "Email access is not enabled for this workspace."
    rsps.get(f"{BASE}/v2/emails", status=403, json=forbidden(msg))
    rsps.get(f"{BASE}/v2/self", json={**SELF, "token_level": "workspace"})
    with pytest.raises(AttioFeatureUnavailable) as info:
        client.list_emails(domain="fundstack.com")
    assert info.value.feature == "emails"
    text = info.value.tool_message()
    assert "alpha" in text and "support@attio.com" in text and msg in text


def test_a_missing_scope_keeps_its_own_explanation_and_asks_nothing_more(client, rsps):
    msg = 'This token is missing the required scope "email:read".'
    rsps.get(f"{BASE}/v2/emails", status=403, json=forbidden(msg))
    with pytest.raises(AttioAuthError) as info:
        client.list_emails(domain="fundstack.com")
    assert type(info.value) is AttioAuthError and "scope" in info.value.tool_message()
    assert len(rsps.calls) == 1  # /v2/self was not asked


def test_a_403_on_a_workspace_only_list_with_a_workspace_token_stays_generic(client, rsps):
    rsps.get(f"{BASE}/v2/meetings", status=403, json=forbidden("Nope."))
    rsps.get(f"{BASE}/v2/self", json={**SELF, "token_level": "workspace"})
    with pytest.raises(AttioAuthError) as info:
        client.list_meetings()
    assert type(info.value) is AttioAuthError


def test_when_self_fails_the_original_refusal_stands(client, rsps):
    rsps.get(f"{BASE}/v2/meetings", status=403, json=forbidden(ONLY_WORKSPACE))
    rsps.get(f"{BASE}/v2/self", status=404, json=attio_error(404, "not_found", "Nope."))
    with pytest.raises(AttioAuthError) as info:
        client.list_meetings()
    assert type(info.value) is AttioAuthError and ONLY_WORKSPACE in info.value.tool_message()


def test_endpoints_members_may_use_are_never_refined(client, rsps):
    rsps.get(f"{BASE}/v2/meetings/m", status=403, json=forbidden(ONLY_WORKSPACE))
    with pytest.raises(AttioAuthError) as info:
        client.get_meeting("m")
    assert type(info.value) is AttioAuthError and len(rsps.calls) == 1


def test_sql_outside_the_enterprise_plan_is_a_feature_error_that_is_still_a_plan_limit(client, rsps):
    msg = "SQL queries are not supported on your plan."
    rsps.post(f"{BASE}/v2/sql", status=403, json=forbidden(msg, "billing_error"))
    with pytest.raises(AttioFeatureUnavailable) as info:
        client.run_sql("SELECT 1")
    err = info.value
    assert err.feature == "sql" and err.code == "billing_error" and isinstance(err, AttioAuthError)
    assert "Enterprise plan" in err.tool_message() and msg in err.tool_message() and len(rsps.calls) == 1


def test_reading_a_record_whose_merge_is_being_applied(client, rsps):
    rsps.get(f"{BASE}/v2/objects/people/records/{RID}", status=404,
             json=attio_error(404, "merge_in_progress", "The merge is in progress."))
    with pytest.raises(AttioMergeInProgress) as info:
        client.get_record("people", RID)
    assert isinstance(info.value, AttioNotFound) and "few seconds" in info.value.tool_message()


def test_a_repeated_merge_answers_404_and_says_merged_records_are_gone(client, rsps):
    msg = f'Record with ID "{RID}" not found.'
    rsps.post(f"{BASE}/v2/objects/people/records/merge", status=404, json=attio_error(404, "not_found", msg))
    with pytest.raises(AttioMergeNotFound) as info:
        client.merge_records("people", RID, "891dcbfc-9141-415d-9b2a-2238a6cc012d")
    text = info.value.tool_message()
    assert msg in text and "repeating a merge" in text and len(rsps.calls) == 1


def test_a_member_token_deleting_anothers_comment_is_told_why(client, rsps):
    msg = "You are not authorized to delete this comment."
    rsps.delete(f"{BASE}/v2/comments/c1", status=403, json=forbidden(msg))
    with pytest.raises(AttioNotPermitted) as info:
        client.delete_comment("c1")
    text = info.value.tool_message()
    assert msg in text and "only the comments its own member wrote" in text and "scope" not in text
    assert len(rsps.calls) == 1
