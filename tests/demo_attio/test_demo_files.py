"""Files on records (attio-api-2026.md §6): list, get one, download through a signed URL."""
from __future__ import annotations

from urllib.parse import urlsplit

from attio_demo.schema import uid
from attio_demo.seed_engagement_data import MSA_DRAFT, TINY_PNG

from .conftest import WS1, Api, rid

BASE = {"id", "object_id", "object_slug", "record_id", "storage_provider", "created_by_actor", "created_at",
        "file_type"}
SHAPES = {"file": BASE | {"name", "content_type", "content_size", "parent_folder_id"},
          "folder": BASE | {"name", "parent_folder_id"},
          "connected-file": BASE | {"external_provider_file_id", "microsoft_drive_id"},
          "connected-folder": BASE | {"external_provider_file_id", "microsoft_drive_id"}}
MISSING = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


def fid(key: str) -> str:
    """A seeded file entry's id."""
    return uid(WS1, "file", key)


def brightwave(api: Api, **params: str) -> list[dict]:
    return [f for page in api.all_pages("/v2/files", object="companies", record_id=rid("companies", "brightwave"),
                                        **params) for f in page]


def test_a_records_entries_at_every_level(api: Api) -> None:
    entries = brightwave(api)
    assert [f.get("name") or f["external_provider_file_id"] for f in entries] == [
        "Contracts", "MSA draft.txt", "Order form.pdf", "Site survey photo.png", "Archive",
        "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs", "id:a4ayc_80_OEAAAAAAAAAXw"]
    assert all(set(f) == SHAPES[f["file_type"]] for f in entries)  # no has_children in lists
    msa = entries[1]
    assert msa["parent_folder_id"] == fid("contracts") and msa["content_type"] == "text/plain"
    assert msa["content_size"] == len(MSA_DRAFT.encode()) and msa["storage_provider"] == "attio"
    assert [len(p) for p in api.all_pages("/v2/files", object="companies", record_id=rid("companies", "brightwave"),
                                          limit=3)] == [3, 3, 1]


def test_filters_by_folder_and_provider(api: Api) -> None:
    inside = brightwave(api, parent_folder_id=fid("contracts"))
    assert [f["name"] for f in inside] == ["MSA draft.txt", "Order form.pdf"]
    drive = brightwave(api, storage_provider="google-drive")
    assert [f["file_type"] for f in drive] == ["connected-file"]
    on_deal = api.page("/v2/files", object="deals", record_id=rid("deals", "atlas"))["data"]
    assert [f["name"] for f in on_deal] == ["Procurement checklist.md"]
    assert api.page("/v2/files", object="people", record_id=rid("people", "sam"))["data"] == []


def test_list_errors(api: Api) -> None:
    status, err = api.error("GET", f"/v2/files?record_id={rid('companies', 'brightwave')}")
    assert status == 400 and "required" in err["message"]
    status, err = api.error("GET", f"/v2/files?object=companies&record_id={MISSING}")
    assert status == 404
    status, err = api.error("GET", f"/v2/files?object=companies&record_id={rid('companies', 'atlas')}"
                                   "&storage_provider=ftp")
    assert status == 400


def test_get_one_folders_say_whether_they_have_children(api: Api) -> None:
    assert api.data("GET", f"/v2/files/{fid('contracts')}")["has_children"] is True
    assert api.data("GET", f"/v2/files/{fid('archive')}")["has_children"] is False
    assert "has_children" not in api.data("GET", f"/v2/files/{fid('msa-draft')}")
    status, err = api.error("GET", f"/v2/files/{MISSING}")
    assert status == 404 and err["message"] == f'File with ID "{MISSING}" was not found.'


def test_download_redirects_to_a_signed_url(api: Api) -> None:
    r = api.call("GET", f"/v2/files/{fid('msa-draft')}/download")
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    got = api.client.get(f"{location.path}?{location.query}")  # no token: the signature is the credential
    assert got.status_code == 200 and got.data == MSA_DRAFT.encode() and got.mimetype == "text/plain"
    png = urlsplit(api.call("GET", f"/v2/files/{fid('site-photo')}/download").headers["Location"])
    assert api.client.get(f"{png.path}?{png.query}").data == TINY_PNG
    tampered = api.client.get(f"{location.path}?{location.query[:-2]}00")
    assert tampered.status_code == 403
    for key in ("contracts", "drive-deck"):
        status, _ = api.error("GET", f"/v2/files/{fid(key)}/download")
        assert status == 400


def test_signed_urls_expire(api: Api) -> None:
    api.settings(file_url_seconds=0)
    location = urlsplit(api.call("GET", f"/v2/files/{fid('checklist')}/download").headers["Location"])
    import time
    time.sleep(1.05)
    assert api.client.get(f"{location.path}?{location.query}").status_code == 403


def test_scopes(api: Api) -> None:
    assert api.call("GET", f"/v2/files/{fid('msa-draft')}", token="demo-attio-key-readonly").status_code == 200
