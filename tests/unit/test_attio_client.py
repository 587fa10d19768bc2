"""The Attio REST client against `responses`: envelopes, quoting, typed errors, retries, proxies."""
from __future__ import annotations

import json
import re
import time
from email.utils import formatdate

import pytest
import requests
import responses
from requests.adapters import HTTPAdapter, select_proxy
from responses import matchers

from connector import __version__
from connector.attio.client import AttioClient, make_session, retry_after_seconds
from connector.attio.errors import (
    AttioAuthError,
    AttioBadRequest,
    AttioError,
    AttioNotFound,
    AttioRateLimited,
    AttioUnavailable,
)

BASE = "https://api.attio.test"
TOKEN = "sk_live_7f3c2a9d41b84e0c9d5e6f7a8b9c0d1e"
RID = "0174bfac-74b9-41de-b757-c6fa2a68ab00"
ANY_URL = re.compile(re.escape(BASE) + r"/.*")
RATE_LIMITED = {"status_code": 429, "type": "rate_limit_error", "code": "rate_limit_exceeded",
                "message": "Rate limit exceeded, please try again later"}
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
              "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def attio_error(status: int, code: str, message: str, kind: str = "invalid_request_error") -> dict:
    """Attio's error body."""
    return {"status_code": status, "type": kind, "code": code, "message": message}


class FakeTime:
    """A monotonic clock that moves only when the client sleeps (or a test advances it)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake_time: FakeTime) -> AttioClient:
    return AttioClient(BASE, TOKEN, sleep=fake_time.sleep, clock=fake_time)



# -- envelopes, headers, bodies ------------------------------------------------------------


def test_get_record_unwraps_data_and_sends_auth_and_user_agent(client, rsps):
    record = {"id": {"record_id": RID}, "values": {"name": []}}
    rsps.get(f"{BASE}/v2/objects/people/records/{RID}", json={"data": record})
    assert client.get_record("people", RID) == record
    sent = rsps.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["User-Agent"] == f"attio-connector/{__version__}"
    assert sent.headers["Accept"] == "application/json"
    assert "Content-Type" not in sent.headers
    assert sent.req_kwargs["timeout"] == 20.0


def test_self_is_returned_flat(client, rsps):
    body = {"active": True, "workspace_id": "14beef7a", "workspace_slug": "acme", "data": "kept as is"}
    rsps.get(f"{BASE}/v2/self", json=body)
    rsps.get(f"{BASE}/v2/objects", json={"data": [{"api_slug": "people"}]})
    assert client.self_info() == body
    assert client.list_objects() == [{"api_slug": "people"}]


def test_query_records_sends_only_given_fields(client, rsps):
    rsps.post(f"{BASE}/v2/objects/companies/records/query",
              match=[matchers.json_params_matcher({"filter": {"name": {"$contains": "AT&T"}}, "limit": 5})],
              json={"data": [{"id": {"record_id": "r1"}}]})
    assert client.query_records("companies", filter={"name": {"$contains": "AT&T"}}, limit=5) == [
        {"id": {"record_id": "r1"}}]
    assert rsps.calls[0].request.headers["Content-Type"] == "application/json"


def test_search_defaults_to_workspace_request_as(client, rsps):
    expected = {"query": "O'Neil", "objects": ["people", "companies"], "request_as": {"type": "workspace"},
                "limit": 25}
    rsps.post(f"{BASE}/v2/objects/records/search", json={"data": []},
              match=[matchers.json_params_matcher(expected)])
    assert client.search_records("O'Neil", ("people", "companies")) == []


@pytest.mark.parametrize("overwrite, method", [(False, "PATCH"), (True, "PUT")])
def test_update_record_method(client, rsps, overwrite, method):
    rsps.add(method, f"{BASE}/v2/objects/deals/records/{RID}", json={"data": {"ok": method}},
             match=[matchers.json_params_matcher({"data": {"values": {"stage": "Won 🎉"}}})])
    assert client.update_record("deals", RID, {"stage": "Won 🎉"}, overwrite=overwrite) == {"ok": method}


def test_assert_record_uses_matching_attribute(client, rsps):
    rsps.put(f"{BASE}/v2/objects/companies/records", json={"data": {"id": 1}},
             match=[matchers.query_param_matcher({"matching_attribute": "domains"})])
    assert client.assert_record("companies", "domains", {"domains": ["acme.com"]}) == {"id": 1}


def test_delete_returns_empty_object_and_sends_zero_length(client, rsps):
    rsps.delete(f"{BASE}/v2/notes/n1", json={})
    assert client.delete_note("n1") == {}
    assert rsps.calls[0].request.headers["Content-Length"] == "0"


def test_query_params_drop_none_and_spell_booleans(client, rsps):
    rsps.get(f"{BASE}/v2/tasks", json={"data": []},
             match=[matchers.query_string_matcher("limit=10&linked_object=people&is_completed=false")])
    assert client.list_tasks(limit=10, linked_object="people", assignee=None, is_completed=False) == []


def test_create_task_sends_all_six_fields(client, rsps):
    link = {"target_object": "people", "target_record_id": RID}
    expected = {"data": {"content": "Call back", "format": "plaintext", "deadline_at": None,
                         "is_completed": False, "linked_records": [link], "assignees": []}}
    rsps.post(f"{BASE}/v2/tasks", json={"data": {"id": {"task_id": "t1"}}},
              match=[matchers.json_params_matcher(expected)])
    out = client.create_task("Call back", linked_records=[link])
    assert out == {"id": {"task_id": "t1"}}


def test_nan_is_refused_before_any_call(client, rsps):
    with pytest.raises(AttioBadRequest) as info:
        client.create_record("people", {"score": float("nan")})
    assert "NaN" in info.value.tool_message() and "not sent to Attio" in info.value.tool_message()
    assert len(rsps.calls) == 0


def test_non_json_success_body_is_a_typed_error(client, rsps):
    rsps.get(f"{BASE}/v2/lists", body="<html>captive portal</html>", status=200)
    with pytest.raises(AttioError) as info:
        client.list_lists()
    assert info.value.code == "invalid_response"


# -- path quoting ---------------------------------------------------------------------------


@pytest.mark.parametrize("record_id, encoded", [
    ("../x", "..%2Fx"),
    ("..", "%2E%2E"),
    (".", "%2E"),
    ("a b?c#d&e", "a%20b%3Fc%23d%26e"),
    ("../../../v2/self", "..%2F..%2F..%2Fv2%2Fself"),
])
def test_path_segments_are_quoted(client, rsps, record_id, encoded):
    rsps.get(ANY_URL, json={"data": {}})
    client.get_record("people", record_id)
    assert rsps.calls[0].request.url == f"{BASE}/v2/objects/people/records/{encoded}"


def test_empty_identifier_is_refused_locally(client, rsps):
    with pytest.raises(AttioBadRequest):
        client.get_note("")
    assert len(rsps.calls) == 0


def test_base_url_path_prefix_is_kept(fake_time, rsps):
    c = AttioClient("http://127.0.0.1:9/demo-attio/", TOKEN, sleep=fake_time.sleep, clock=fake_time)
    rsps.get("http://127.0.0.1:9/demo-attio/v2/lists/hiring", json={"data": {"api_slug": "hiring"}})
    assert c.get_list("hiring") == {"api_slug": "hiring"}


def test_default_base_url_is_attio():
    assert AttioClient(None, TOKEN).base_url == "https://api.attio.com"


# -- typed errors ---------------------------------------------------------------------------


def test_404_is_not_found_quoting_attio(client, rsps):
    msg = f'Record with ID "{RID}" not found.'
    rsps.get(f"{BASE}/v2/objects/people/records/{RID}", status=404, json=attio_error(404, "not_found", msg))
    with pytest.raises(AttioNotFound) as info:
        client.get_record("people", RID)
    err = info.value
    assert (err.status, err.code, err.type, err.message) == (404, "not_found", "invalid_request_error", msg)
    assert msg in err.tool_message()
    assert len(rsps.calls) == 1


def test_401_asks_to_relink(client, rsps, fake_time):
    msg = "The Authorization header was not provided. Please provide a valid API key."
    rsps.get(f"{BASE}/v2/self", status=401, json=attio_error(401, "unauthorized", msg, "auth_error"))
    with pytest.raises(AttioAuthError) as info:
        client.self_info()
    text = info.value.tool_message()
    assert "rejected the credential" in text and "Re-link" in text and "API key" in text and msg in text
    assert fake_time.sleeps == []


def test_403_names_missing_scope(client, rsps):
    msg = "Token does not have the required scope note:read-write."
    rsps.post(f"{BASE}/v2/notes", status=403, json=attio_error(403, "unauthorized", msg, "auth_error"))
    with pytest.raises(AttioAuthError) as info:
        client.create_note("people", RID, "Call", "Went well")
    text = info.value.tool_message()
    assert "scope" in text and msg in text and info.value.status == 403


def test_403_billing_error_is_a_plan_limit_not_retried(client, rsps, fake_time):
    body = attio_error(403, "billing_error", "Upgrade your plan.", "auth_error")
    rsps.get(f"{BASE}/v2/lists", status=403, json=body)
    with pytest.raises(AttioAuthError) as info:
        client.list_lists()
    assert "plan limit" in info.value.tool_message() and fake_time.sleeps == [] and len(rsps.calls) == 1


@pytest.mark.parametrize("status, code", [(400, "filter_error"), (409, "slug_conflict"),
                                          (413, "validation_type"), (422, "validation_type")])
def test_client_errors_are_bad_requests_quoting_code(client, rsps, status, code):
    msg = 'Unknown operator "$ne" in filter.'
    rsps.post(f"{BASE}/v2/objects/people/records/query", status=status, json=attio_error(status, code, msg))
    with pytest.raises(AttioBadRequest) as info:
        client.query_records("people", filter={"name": {"$ne": "x"}})
    text = info.value.tool_message()
    assert msg in text and code in text and str(status) in text
    assert len(rsps.calls) == 1  # never retried


def test_non_json_502_is_handled_and_retried_on_reads(client, rsps, fake_time):
    rsps.get(f"{BASE}/v2/objects", status=502, body="<html><body><h1>502 Bad Gateway</h1></body></html>",
             content_type="text/html")
    with pytest.raises(AttioUnavailable) as info:
        client.list_objects()
    err = info.value
    assert err.status == 502 and err.attempts == 3 and len(rsps.calls) == 3
    assert "Bad Gateway" in err.tool_message() and "<html>" not in err.tool_message()
    assert "after 3 attempts" in err.tool_message()


def test_comment_quirk_statuscode_body_still_quoted(client, rsps):
    rsps.post(f"{BASE}/v2/comments", status=400,
              json={"statusCode": 400, "type": "invalid_request_error", "code": "validation_type",
                    "message": "Author must be a workspace member."})
    with pytest.raises(AttioBadRequest) as info:
        client.create_comment("Hi", "m1", record=("people", RID))
    assert "Author must be a workspace member." in info.value.tool_message()


def test_token_never_in_errors_or_reprs(client, rsps):
    rsps.get(f"{BASE}/v2/self", status=401,
             json=attio_error(401, "unauthorized", f"Token {TOKEN} is invalid", "auth_error"))
    rsps.get(f"{BASE}/v2/lists", body=requests.exceptions.ConnectTimeout(f"Bearer {TOKEN}"))
    errors = []
    for call in (client.self_info, client.list_lists):
        with pytest.raises(AttioError) as info:
            call()
        errors.append(info.value)
    for err in errors:
        for text in (str(err), repr(err), err.tool_message(), repr(vars(err)), repr(err.args)):
            assert TOKEN not in text
    assert "[redacted]" in errors[0].message
    assert TOKEN not in repr(client) and TOKEN not in str(client)


def test_bad_token_refused_without_echo():
    with pytest.raises(ValueError) as info:
        AttioClient(BASE, "abc\r\nX-Evil: 1")
    assert "Evil" not in str(info.value)


# -- retries ------------------------------------------------------------------------------------


def test_429_with_http_date_is_retried_after_the_date(client, rsps, fake_time):
    retry_at = formatdate(time.time() + 2, usegmt=True)  # whole seconds: between 1 and 2 s from now
    rsps.get(f"{BASE}/v2/objects", status=429, json=RATE_LIMITED, headers={"Retry-After": retry_at})
    rsps.get(f"{BASE}/v2/objects", json={"data": [{"api_slug": "deals"}]})
    assert client.list_objects() == [{"api_slug": "deals"}]
    assert len(rsps.calls) == 2
    assert len(fake_time.sleeps) == 1 and 0.9 <= fake_time.sleeps[0] <= 2.15


def test_429_on_a_create_is_retried(client, rsps, fake_time):
    rsps.post(f"{BASE}/v2/objects/people/records", status=429, json=RATE_LIMITED,
              headers={"Retry-After": "1"})
    rsps.post(f"{BASE}/v2/objects/people/records", json={"data": {"id": {"record_id": RID}}})
    assert client.create_record("people", {"name": "Ada"}) == {"id": {"record_id": RID}}
    assert 1.0 <= fake_time.sleeps[0] <= 1.1


@pytest.mark.parametrize("header, low, high", [("0", 0.05, 0.15), ("3600", 10.0, 10.1),
                                               ("Tue, 23 May 2023 14:42:01 GMT", 0.05, 0.15),
                                               ("soon", 0.25, 0.475)])
def test_retry_after_is_clamped(fake_time, rsps, header, low, high):
    c = AttioClient(BASE, TOKEN, sleep=fake_time.sleep, clock=fake_time, retry_budget=60)
    rsps.get(f"{BASE}/v2/lists", status=429, json=RATE_LIMITED, headers={"Retry-After": header})
    rsps.get(f"{BASE}/v2/lists", json={"data": []})
    assert c.list_lists() == []
    assert low <= fake_time.sleeps[0] <= high


def test_429_forever_gives_up_with_rate_limited(client, rsps, fake_time):
    rsps.get(f"{BASE}/v2/workspace_members", status=429, json=RATE_LIMITED, headers={"Retry-After": "1"})
    with pytest.raises(AttioRateLimited) as info:
        client.list_members()
    err = info.value
    assert len(rsps.calls) == 3 and len(fake_time.sleeps) == 2 and err.attempts == 3
    text = err.tool_message()
    assert "rate limiting" in text and "3 attempts" in text and "few seconds" in text


def test_429_stops_when_budget_would_be_exceeded(fake_time, rsps):
    c = AttioClient(BASE, TOKEN, sleep=fake_time.sleep, clock=fake_time, retry_budget=2.5, max_attempts=10)
    rsps.get(f"{BASE}/v2/lists", status=429, json=RATE_LIMITED, headers={"Retry-After": "1"})
    with pytest.raises(AttioRateLimited) as info:
        c.list_lists()
    assert info.value.attempts == 3 and sum(fake_time.sleeps) <= 2.5


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_a_read_is_retried_then_succeeds(client, rsps, fake_time, status):
    rsps.get(f"{BASE}/v2/notes/n1", status=status, json=attio_error(status, "internal", "Upstream trouble"))
    rsps.get(f"{BASE}/v2/notes/n1", json={"data": {"title": "Kickoff"}})
    assert client.get_note("n1") == {"title": "Kickoff"}
    assert len(rsps.calls) == 2 and 0.25 <= fake_time.sleeps[0] <= 0.375


def test_503_on_a_query_post_is_retried(client, rsps):
    rsps.post(f"{BASE}/v2/lists/hiring/entries/query", status=503, body="Service Unavailable")
    rsps.post(f"{BASE}/v2/lists/hiring/entries/query", json={"data": [{"entry": 1}]})
    assert client.query_entries("hiring") == [{"entry": 1}]


def test_500_on_a_create_is_not_retried(client, rsps, fake_time):
    rsps.post(f"{BASE}/v2/objects/people/records", status=500,
              json=attio_error(500, "internal_error", "Something went wrong"))
    with pytest.raises(AttioUnavailable) as info:
        client.create_record("people", {"name": "Ada"})
    assert len(rsps.calls) == 1 and fake_time.sleeps == []
    assert info.value.attempts == 1 and "after 1 attempt" in info.value.tool_message()


@pytest.mark.parametrize("exc, reason", [
    (requests.exceptions.ReadTimeout, "no response within 20 s"),
    (requests.exceptions.ConnectTimeout, "could not connect within 20 s"),
    (requests.exceptions.ConnectionError, "connection failed"),
])
def test_network_failures_on_reads_are_retried_then_unavailable(fake_time, rsps, exc, reason):
    c = AttioClient(BASE, TOKEN, sleep=fake_time.sleep, clock=fake_time, retry_budget=100)

    def slow(request):
        fake_time.now += 20  # each attempt uses up its whole timeout
        raise exc("timed out")

    rsps.add_callback(responses.GET, f"{BASE}/v2/tasks/t1", callback=slow)
    with pytest.raises(AttioUnavailable) as info:
        c.get_task("t1")
    err = info.value
    assert len(rsps.calls) == 3 and len(fake_time.sleeps) == 2 and err.attempts == 3
    assert err.tool_message() == f"Attio is unavailable ({reason}) after 3 attempts. Try again shortly."


def test_timeout_then_success(client, rsps):
    rsps.get(f"{BASE}/v2/tasks/t1", body=requests.exceptions.ReadTimeout("read timed out"))
    rsps.get(f"{BASE}/v2/tasks/t1", json={"data": {"is_completed": True}})
    assert client.get_task("t1") == {"is_completed": True}


def test_timeout_retry_stops_at_budget(client, rsps, fake_time):
    def slow(request):
        fake_time.now += 20
        raise requests.exceptions.ReadTimeout("read timed out")

    rsps.add_callback(responses.GET, f"{BASE}/v2/tasks/t1", callback=slow)
    with pytest.raises(AttioUnavailable) as info:
        client.get_task("t1")  # default budget 10 s < one 20 s timeout
    assert info.value.attempts == 1 and fake_time.sleeps == []


def test_timeout_on_a_create_is_not_retried(client, rsps, fake_time):
    rsps.post(f"{BASE}/v2/tasks", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(AttioUnavailable):
        client.create_task("Call back")
    assert len(rsps.calls) == 1 and fake_time.sleeps == []


def test_custom_timeout_is_passed_to_the_transport(fake_time, rsps):
    c = AttioClient(BASE, TOKEN, timeout=3.5, sleep=fake_time.sleep, clock=fake_time)
    rsps.get(f"{BASE}/v2/lists", json={"data": []})
    c.list_lists()
    assert rsps.calls[0].request.req_kwargs["timeout"] == 3.5


def test_retry_after_parsing():
    now = 1_684_852_916.0  # Tue, 23 May 2023 14:41:56 GMT
    assert retry_after_seconds("Tue, 23 May 2023 14:42:01 GMT", now=now) == pytest.approx(5.0)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("not a date") is None
    assert retry_after_seconds(None) is None


# -- session, pool, proxies -----------------------------------------------------------------------


def test_session_pool_and_no_urllib3_retries():
    adapter = make_session().get_adapter("https://api.attio.com/v2/self")
    assert isinstance(adapter, HTTPAdapter)
    assert adapter._pool_maxsize == 50
    assert adapter.max_retries.total == 0


def test_injected_session_is_used(fake_time, rsps):
    session = requests.Session()
    c = AttioClient(BASE, TOKEN, session=session, sleep=fake_time.sleep, clock=fake_time)
    rsps.get(f"{BASE}/v2/lists", json={"data": []})
    assert c.session is session and c.list_lists() == []


def test_proxy_from_environment_is_resolved_once(monkeypatch, rsps):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    c = AttioClient(BASE, TOKEN)
    assert c.proxies["https"] == "http://proxy.internal:3128"
    assert c.session.trust_env is False
    assert select_proxy(f"{BASE}/v2/self", c.proxies) == "http://proxy.internal:3128"
    monkeypatch.setenv("HTTPS_PROXY", "http://other.internal:9999")  # later changes are not re-read
    rsps.get(f"{BASE}/v2/lists", json={"data": []})
    c.list_lists()
    assert rsps.calls[0].request.req_kwargs["proxies"]["https"] == "http://proxy.internal:3128"


def test_no_proxy_is_respected(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "api.attio.test")
    assert AttioClient(BASE, TOKEN).proxies == {}


def test_ca_bundle_from_environment(monkeypatch, rsps, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    c = AttioClient(BASE, TOKEN)
    rsps.get(f"{BASE}/v2/lists", json={"data": []})
    c.list_lists()
    assert rsps.calls[0].request.req_kwargs["verify"] == str(bundle)


def test_request_body_is_compact_utf8_json(client, rsps):
    rsps.post(f"{BASE}/v2/notes", json={"data": {}})
    client.create_note("companies", RID, "Café", "Über AT&T", format="markdown")
    body = rsps.calls[0].request.body
    assert isinstance(body, bytes) and "Café".encode() in body and b", " not in body
    assert json.loads(body)["data"]["format"] == "markdown"
    assert rsps.calls[0].request.headers["Content-Length"] == str(len(body))
