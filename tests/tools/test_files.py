"""File tools through the official MCP SDK client against the demo Attio: a record's files and folders, one file,
a text file's content (size-capped), and the refusals for folders, connected files and binary content."""
from __future__ import annotations

from typing import Any

import pytest

from tests.tools.test_meetings import MISSING, error
from tests.tools.test_records import call, ok

pytestmark = pytest.mark.integration

BRIGHTWAVE = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"


def files(server: Any, **args: Any) -> dict[str, dict[str, Any]]:
    out = ok(server, "list_files", {"record_id": BRIGHTWAVE, "limit": 50, **args})
    return {f["name"] or f["type"]: f for f in out["files"]}


def test_list_files_and_folders(server):
    everything = files(server)
    assert {"Contracts", "MSA draft.txt", "Order form.pdf", "Site survey photo.png", "Archive", "connected-file",
            "connected-folder"} <= set(everything)
    msa = everything["MSA draft.txt"]
    assert msa["type"] == "file" and msa["content_type"] == "text/plain" and msa["size"] > 100
    assert msa["parent_folder_id"] == everything["Contracts"]["id"] and msa["record"]["id"] == BRIGHTWAVE
    assert everything["connected-file"]["storage_provider"] == "google-drive"
    inside = files(server, folder_id=everything["Contracts"]["id"])
    assert sorted(inside) == ["MSA draft.txt", "Order form.pdf"]
    page = ok(server, "list_files", {"record_id": BRIGHTWAVE, "limit": 2})
    assert len(page["files"]) == 2 and page["next_cursor"]
    res = call(server, "list_files", {"record_id": BRIGHTWAVE, "folder_id": everything["Contracts"]["id"]})
    assert res.content[0].text.startswith(f"2 file(s) and folder(s) in folder {everything['Contracts']['id']} of "
                                          "Brightwave Energy (")


def test_get_file(server):
    everything = files(server)
    contracts = ok(server, "get_file", {"file_id": everything["Contracts"]["id"]})["file"]
    assert contracts["type"] == "folder" and contracts["has_children"] is True
    archive = ok(server, "get_file", {"file_id": everything["Archive"]["id"]})["file"]
    assert archive["has_children"] is False
    assert error(server, "get_file", {"file_id": MISSING}) == (
        f"No file with id {MISSING} exists in this workspace (it may have been deleted). list_files shows a "
        "record's file ids.")


def test_read_a_text_file_and_refuse_the_rest(server):
    everything = files(server)
    msa = ok(server, "read_file", {"file_id": everything["MSA draft.txt"]["id"]})
    assert msa["content"].startswith("MASTER SERVICES AGREEMENT (DRAFT 3)") and msa["truncated"] is False
    assert msa["bytes_read"] == everything["MSA draft.txt"]["size"]
    cut = ok(server, "read_file", {"file_id": everything["MSA draft.txt"]["id"], "max_bytes": 1000})
    assert cut["truncated"] is (everything["MSA draft.txt"]["size"] > 1000) and cut["bytes_read"] <= 1000
    pdf = everything["Order form.pdf"]
    assert error(server, "read_file", {"file_id": pdf["id"]}) == (
        f"Order form.pdf is a binary file (application/pdf, {pdf['size']:,} bytes): read_file returns text files "
        f"only. Its page in Attio: {pdf['record']['url']}.")
    assert error(server, "read_file", {"file_id": everything["Contracts"]["id"]}) == (
        f"{everything['Contracts']['id']} is a folder, not a file stored in Attio: there is no content to read. "
        "list_files with folder_id lists what it holds.")
    drive = everything["connected-file"]
    assert error(server, "read_file", {"file_id": drive["id"]}) == (
        f"{drive['id']} is a connected-file, not a file stored in Attio: there is no content to read. Its content "
        "stays with google-drive; Attio only links it.")
