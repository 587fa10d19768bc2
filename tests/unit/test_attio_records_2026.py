"""The client's newer record-side endpoints: merge, saved views, note updates, SQL, paged threads, files."""
from __future__ import annotations

import json

import pytest
import requests
import responses
from responses import matchers

from connector.attio.client import AttioClient
from connector.attio.endpoints import MergeResult
from connector.attio.errors import AttioBadRequest, AttioError, AttioNotFound, AttioUnavailable
from connector.attio.files import FileContent
from connector.attio.pages import Page
from connector.attio.sql import SQL_TIMEOUT
from tests.unit.test_attio_client import BASE, TOKEN, attio_error

PRIMARY = "891dcbfc-9141-415d-9b2a-2238a6cc012d"
SECONDARY = "bf071e1f-6035-429d-b874-d83ea64ea13b"
NEW = "0f3c2a9d-41b8-4e0c-9d5e-6f7a8b9c0d1e"
VIEW = "cf7aaeb5-7507-4a84-9c26-9d36e34d7b70"
FID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
NOTE = "ff3f3bd4-40f4-4f80-8187-cd02385af424"
STORAGE = "https://files.attio-storage.test"


@pytest.fixture
def client(attio_client: AttioClient) -> AttioClient:
    return attio_client



# -- merge ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status, completed", [(200, True), (202, False)])
def test_merge_returns_the_new_record_and_whether_it_is_applied(client, rsps, status, completed):
    rsps.post(f"{BASE}/v2/objects/people/records/merge", status=status, json={"data": {"new_record_id": NEW}},
              match=[matchers.json_params_matcher({"data": {"primary_record_id": PRIMARY,
                                                            "secondary_record_id": SECONDARY}})])
    assert client.merge_records("people", PRIMARY, SECONDARY) == MergeResult(NEW, completed)


def test_merge_without_a_new_id_is_a_typed_error(client, rsps):
    rsps.post(f"{BASE}/v2/objects/people/records/merge", json={"data": {}})
    with pytest.raises(AttioError) as info:
        client.merge_records("people", PRIMARY, SECONDARY)
    assert info.value.code == "invalid_response"


def test_self_merge_is_a_bad_request(client, rsps):
    rsps.post(f"{BASE}/v2/objects/people/records/merge", status=400,
              json=attio_error(400, "self_merge", "A record cannot be merged with itself."))
    with pytest.raises(AttioBadRequest) as info:
        client.merge_records("people", PRIMARY, PRIMARY)
    assert info.value.code == "self_merge"


def test_a_merge_that_lost_its_answer_is_not_sent_again(client, rsps):
    rsps.post(f"{BASE}/v2/objects/people/records/merge", body=requests.ConnectionError("reset"))
    with pytest.raises(AttioUnavailable):
        client.merge_records("people", PRIMARY, SECONDARY)
    assert len(rsps.calls) == 1  # a repeat would find the originals gone


def test_a_429_on_a_merge_is_retried_since_attio_did_not_process_it(client, rsps):
    url = f"{BASE}/v2/objects/people/records/merge"
    rsps.post(url, status=429, json=attio_error(429, "rate_limit_exceeded", "Rate limit exceeded", "rate_limit_error"),
              headers={"Retry-After": "1"})
    rsps.post(url, json={"data": {"new_record_id": NEW}})
    assert client.merge_records("people", PRIMARY, SECONDARY).new_record_id == NEW and len(rsps.calls) == 2


# -- views ----------------------------------------------------------------------------------


@pytest.mark.parametrize("call, path", [("list_object_views", "/v2/objects/people/views"),
                                        ("list_list_views", "/v2/lists/sales/views")])
def test_views_are_cursor_pages(client, rsps, call, path):
    view = {"id": {"workspace_id": "w", "view_id": VIEW}, "title": "All people", "created_at": "2022-11-21"}
    rsps.get(f"{BASE}{path}", json={"data": [view], "pagination": {"next_cursor": None}},
             match=[matchers.query_param_matcher({"show_archived": "true", "limit": "10", "cursor": "c"})])
    owner = path.split("/")[3]
    assert getattr(client, call)(owner, show_archived=True, limit=10, cursor="c") == Page([view], None)


def test_querying_through_a_view_sends_filter_view_id(client, rsps):
    rsps.post(f"{BASE}/v2/objects/people/records/query", json={"data": []},
              match=[matchers.json_params_matcher({"filter_view_id": VIEW, "limit": 5})])
    rsps.post(f"{BASE}/v2/lists/sales/entries/query", json={"data": []},
              match=[matchers.json_params_matcher({"filter_view_id": VIEW, "filter": {"stage": "Won"}})])
    assert client.query_records("people", limit=5, view_id=VIEW) == []
    assert client.query_entries("sales", filter={"stage": "Won"}, view_id=VIEW) == []


def test_queries_without_a_view_send_no_view(client, rsps):
    rsps.post(f"{BASE}/v2/objects/people/records/query", json={"data": []},
              match=[matchers.json_params_matcher({})])
    client.query_records("people")


# -- notes ----------------------------------------------------------------------------------


def test_update_note_patches_only_the_given_fields(client, rsps):
    note = {"id": {"note_id": NOTE}, "title": "New", "content_plaintext": "x"}
    rsps.patch(f"{BASE}/v2/notes/{NOTE}", json={"data": note},
               match=[matchers.json_params_matcher({"data": {"title": "New"}})])
    rsps.patch(f"{BASE}/v2/notes/{NOTE}", json={"data": note},
               match=[matchers.json_params_matcher({"data": {"format": "markdown", "content": "# Recap"}})])
    assert client.update_note(NOTE, title="New") == note
    assert client.update_note(NOTE, content="# Recap", format="markdown") == note


def test_update_of_a_missing_note_is_not_found(client, rsps):
    rsps.patch(f"{BASE}/v2/notes/{NOTE}", status=404, json=attio_error(404, "not_found", "Note not found."))
    with pytest.raises(AttioNotFound):
        client.update_note(NOTE, title="x")


# -- SQL --------------------------------------------------------------------------------------


def test_run_sql_sends_the_statement_unwrapped_and_returns_rows(client, rsps):
    rows = [{"name": "Fundstack", "domains": ["fundstack.com"]}]
    sql = "SELECT name, domains FROM companies WHERE name = 'Fundstack'"
    rsps.post(f"{BASE}/v2/sql", json={"data": {"rows": rows}}, match=[matchers.json_params_matcher({"sql": sql})])
    assert client.run_sql(sql) == rows
    assert rsps.calls[0].request.req_kwargs["timeout"] == SQL_TIMEOUT  # Attio's 30 s limit, not our 20 s


def test_sql_keeps_a_longer_client_timeout():
    with responses.RequestsMock() as rsps:
        rsps.post(f"{BASE}/v2/sql", json={"data": {"rows": []}})
        AttioClient(BASE, TOKEN, timeout=60).run_sql("SELECT 1")
        assert rsps.calls[0].request.req_kwargs["timeout"] == 60


def test_sql_syntax_errors_are_bad_requests_and_5xx_is_retried_as_a_read(client, rsps):
    rsps.post(f"{BASE}/v2/sql", status=503, json=attio_error(503, "unavailable", "Busy", "api_error"))
    rsps.post(f"{BASE}/v2/sql", status=400, json=attio_error(400, "filter_error", "SQL syntax error."))
    with pytest.raises(AttioBadRequest) as info:
        client.run_sql("SELEC 1")
    assert info.value.code == "filter_error" and len(rsps.calls) == 2


def test_sql_answer_without_rows_is_a_typed_error(client, rsps):
    rsps.post(f"{BASE}/v2/sql", json={"data": {}})
    with pytest.raises(AttioError) as info:
        client.run_sql("SELECT 1")
    assert info.value.code == "invalid_response"


# -- threads (their comments are cursor-paged now) ---------------------------------------------


def test_get_thread_follows_the_comment_pages(client, rsps):
    url = f"{BASE}/v2/threads/t1"
    thread = {"id": {"thread_id": "t1"}, "created_at": "2024-01-01"}
    rsps.get(url, match=[matchers.query_string_matcher("")],
             json={"data": {**thread, "comments": [{"n": 1}, {"n": 2}]}, "pagination": {"next_cursor": "c2"}})
    rsps.get(url, match=[matchers.query_param_matcher({"cursor": "c2"})],
             json={"data": {**thread, "comments": [{"n": 3}]}, "pagination": {"next_cursor": None}})
    got = client.get_thread("t1")
    assert got == {**thread, "comments": [{"n": 1}, {"n": 2}, {"n": 3}]} and len(rsps.calls) == 2


def test_get_thread_without_pagination_is_one_call_and_caps_comments(client, rsps):
    rsps.get(f"{BASE}/v2/threads/t1", json={"data": {"id": {}, "comments": [{"n": i} for i in range(5)]}})
    assert client.get_thread("t1", max_comments=3)["comments"] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert len(rsps.calls) == 1


# -- files ----------------------------------------------------------------------------------


FILE = {"id": {"workspace_id": "w", "file_id": FID}, "object_slug": "people", "record_id": SECONDARY,
        "storage_provider": "attio", "file_type": "file", "name": "notes.txt", "content_type": "text/plain",
        "content_size": 11, "parent_folder_id": None}


def test_list_files_requires_the_record_and_is_a_page(client, rsps):
    rsps.get(f"{BASE}/v2/files", json={"data": [FILE], "pagination": {"next_cursor": "n"}},
             match=[matchers.query_param_matcher({"object": "people", "record_id": SECONDARY,
                                                  "storage_provider": "attio", "parent_folder_id": FID,
                                                  "limit": "3"})])
    got = client.list_files("people", SECONDARY, storage_provider="attio", parent_folder_id=FID, limit=3)
    assert got == Page([FILE], "n")


def test_get_file(client, rsps):
    rsps.get(f"{BASE}/v2/files/{FID}", json={"data": FILE})
    assert client.get_file(FID) == FILE


def signed(rsps, body: bytes, status: int = 200, location: str | None = None) -> str:
    url = location or f"{STORAGE}/{FID}?expires=9&signature=abc"
    rsps.get(f"{BASE}/v2/files/{FID}/download", status=302, headers={"Location": url})
    if url.startswith(STORAGE):
        rsps.get(url, status=status, body=body, content_type="text/plain")
    return url


def test_download_follows_attios_link_without_the_token(client, rsps):
    signed(rsps, b"hello world")
    got = client.download_file(FID, max_bytes=1000)
    assert got == FileContent(b"hello world", False, "text/plain")
    storage = rsps.calls[1].request
    assert "Authorization" not in storage.headers and TOKEN not in json.dumps(dict(storage.headers))
    assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_download_is_capped(client, rsps):
    signed(rsps, b"x" * 200_000)
    got = client.download_file(FID, max_bytes=100_001)
    assert got.truncated and len(got.content) == 100_001


def test_download_of_exactly_the_cap_is_whole(client, rsps):
    signed(rsps, b"y" * 10)
    assert client.download_file(FID, max_bytes=10) == FileContent(b"y" * 10, False, "text/plain")


@pytest.mark.parametrize("location", ["http://files.elsewhere.test/x", "ftp://files.test/x",
                                      "https://user:pw@files.test/x", "file:///etc/passwd"])
def test_download_links_that_are_not_https_are_not_followed(client, rsps, location):
    signed(rsps, b"", location=location)
    with pytest.raises(AttioError) as info:
        client.download_file(FID, max_bytes=10)
    assert info.value.code == "invalid_download_url" and location not in info.value.tool_message()
    assert len(rsps.calls) == 1


def test_download_links_on_the_apis_own_origin_are_followed():
    base = "http://127.0.0.1:9"
    with responses.RequestsMock() as rsps:
        rsps.get(f"{base}/v2/files/{FID}/download", status=302, headers={"Location": f"/_files/{FID}?s=1"})
        rsps.get(f"{base}/_files/{FID}", body=b"demo")
        assert AttioClient(base, TOKEN).download_file(FID, max_bytes=10).content == b"demo"


def test_an_expired_link_is_a_typed_error(client, rsps):
    signed(rsps, b"Request has expired", status=403)
    with pytest.raises(AttioError) as info:
        client.download_file(FID, max_bytes=10)
    assert info.value.code == "download_failed" and info.value.status == 403


def test_a_folder_cannot_be_downloaded(client, rsps):
    rsps.get(f"{BASE}/v2/files/{FID}/download", status=400,
             json=attio_error(400, "validation_type", "Folders cannot be downloaded."))
    with pytest.raises(AttioBadRequest):
        client.download_file(FID, max_bytes=10)


def test_a_download_answer_without_a_link_is_a_typed_error(client, rsps):
    rsps.get(f"{BASE}/v2/files/{FID}/download", json={"data": {}})
    with pytest.raises(AttioError) as info:
        client.download_file(FID, max_bytes=10)
    assert info.value.code == "invalid_response"
