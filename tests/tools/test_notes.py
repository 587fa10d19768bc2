"""Note tools through the official MCP SDK client against the demo Attio over loopback."""
from __future__ import annotations

import anyio
import jsonschema
import pytest
from mcp import Client

pytestmark = pytest.mark.integration

BRIGHTWAVE = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"
SIOBHAN = "people:d09c8245-330d-522b-8607-60f1abb86fed"
DISCOVERY_NOTE = "ad93f528-3392-54d0-8a1c-e1bc41c9f59b"
MISSING = "00000000-0000-4000-8000-000000000000"


def calls(server, *steps: tuple[str, dict]):
    """Several tools/call in one SDK session; returns the results in order."""
    async def body():
        async with Client(server.mcp_url, mode="legacy") as client:
            return [await client.call_tool(name, args) for name, args in steps]
    return anyio.run(body)


def call(server, name: str, args: dict):
    """One tools/call through the SDK client."""
    return calls(server, (name, args))[0]


def valid(name: str, res) -> dict:
    """The structuredContent, after checking it against the tool's outputSchema."""
    from connector.tools.docs import published_registry

    assert not res.is_error, res.content
    jsonschema.validate(res.structured_content, published_registry().tools[name].output_schema)
    return res.structured_content


def test_list_notes_of_a_record(server):
    res = call(server, "list_notes", {"record_id": BRIGHTWAVE})
    out = valid("list_notes", res)
    assert out["next_cursor"] is None
    assert out["record"]["title"] == "Brightwave Energy"
    assert out["record"]["url"] == "https://app.attio.com/demo-sales/company/549937a9-9b09-5351-a4ff-1972c1d8a132"
    [note] = out["notes"]
    assert note["id"] == DISCOVERY_NOTE and note["title"] == "Discovery call: Brightwave Energy"
    assert note["author"] == "Maya Chen" and note["record"]["id"] == BRIGHTWAVE
    assert note["content"].startswith("# Discovery call\n- 14 community solar sites")
    text = res.content[0].text
    assert text.startswith("1 note(s) on Brightwave Energy (companies:549937a9-9b09-5351-a4ff-1972c1d8a132, "
                           "https://app.attio.com/demo-sales/company/549937a9-9b09-5351-a4ff-1972c1d8a132).")
    assert 'Note "Discovery call: Brightwave Energy" on Brightwave Energy' in text
    assert f"\n  by Maya Chen, 2026-03-14 08:53 UTC; note id {DISCOVERY_NOTE}\n" in text
    assert "\n    # Discovery call\n" in text  # CRM content is indented under its note


def test_list_notes_pages_across_the_workspace(server):
    first, second, third = calls(server, ("list_notes", {"limit": 3}), ("list_notes", {"limit": 3}),
                                 ("list_notes", {"limit": 50}))
    page1 = valid("list_notes", first)
    assert len(page1["notes"]) == 3 and page1["next_cursor"] and page1["record"] is None
    rest = call(server, "list_notes", {"limit": 3, "cursor": page1["next_cursor"]})
    assert [n["id"] for n in valid("list_notes", rest)["notes"]] != [n["id"] for n in page1["notes"]]
    everything = valid("list_notes", third)
    assert len(everything["notes"]) == 8 and everything["next_cursor"] is None
    assert {n["record"]["id"].split(":")[0] for n in everything["notes"]} == {"companies", "people", "deals"}
    assert second.structured_content == first.structured_content


def test_fetch_capped_looks_past_attios_cap_of_50():
    from connector.tools.notes import fetch_capped

    for total, expected, made in ((120, 51, [(0, 50), (50, 1)]), (50, 50, [(0, 50), (50, 1)]),
                                  (30, 30, [(0, 50)])):
        seen: list[tuple[int, int]] = []

        def fetch(offset: int, n: int) -> list[int]:
            seen.append((offset, n))
            return list(range(offset, min(offset + n, total)))
        assert len(fetch_capped(fetch, 0, 50)) == expected and seen == made
    assert fetch_capped(lambda o, n: list(range(o, o + n)), 10, 5) == list(range(10, 16))


def test_list_notes_of_one_object(server):
    out = valid("list_notes", call(server, "list_notes", {"object": "deals", "limit": 50}))
    assert sorted(n["title"] for n in out["notes"]) == ["Loss review: Lumen Health", "Procurement notes",
                                                        "Renewal risk"]


def test_list_notes_refuses_a_limit_over_50(server):
    res = call(server, "list_notes", {"limit": 51})
    assert res.is_error
    assert res.content[0].text == ("Invalid arguments for list_notes: limit: Must be greater than or equal to 1 "
                                   "and less than or equal to 50.")


def test_list_notes_names_the_known_objects_for_an_unknown_one(server):
    res = call(server, "list_notes", {"record_id": f"tickets:{MISSING}"})
    assert res.is_error
    assert res.content[0].text == (f"Unknown object 'tickets' in 'tickets:{MISSING}': this workspace's objects are "
                                   "companies, deals, people, users, workspaces. Use an id exactly as search "
                                   "returns it.")


def test_create_note_then_list_it(server, reset_demo):
    content = "## Call with O'Neil\n- AT&T is the incumbent\n- **Update** from Where-house Ltd"
    created, listed = calls(server, ("create_note", {"record_id": SIOBHAN, "title": "Call recap",
                                                     "content": content}),
                            ("list_notes", {"record_id": SIOBHAN}))
    note = valid("create_note", created)["note"]
    assert note["title"] == "Call recap" and note["content"] == content  # stored unmodified
    assert note["record"] == {"id": SIOBHAN, "title": "Siobhan O'Neil",
                              "url": "https://app.attio.com/demo-sales/person/d09c8245-330d-522b-8607-60f1abb86fed"}
    assert created.content[0].text.startswith("Created.\nNote \"Call recap\" on Siobhan O'Neil (people:")
    assert note["id"] in [n["id"] for n in valid("list_notes", listed)["notes"]]


def test_create_note_as_plaintext(server, reset_demo):
    res = call(server, "create_note", {"record_id": BRIGHTWAVE, "title": "Plain", "content": "**not bold**",
                                       "format": "plaintext"})
    assert valid("create_note", res)["note"]["content"] == "**not bold**"


def test_create_note_on_an_unknown_record(server):
    res = call(server, "create_note", {"record_id": f"companies:{MISSING}", "title": "x", "content": "y"})
    assert res.is_error
    assert res.content[0].text == (f"No companies record with id {MISSING} exists in this workspace (it may have "
                                   "been deleted). Search again (search_records or search) to get a current id.")


def test_create_note_rejects_an_unknown_format(server):
    res = call(server, "create_note", {"record_id": BRIGHTWAVE, "title": "x", "content": "y", "format": "html"})
    assert res.is_error
    assert res.content[0].text == "Invalid arguments for create_note: format: Must be one of: markdown, plaintext."


def test_delete_note_then_again(server, reset_demo):
    first = valid("delete_note", call(server, "delete_note", {"note_id": DISCOVERY_NOTE}))
    assert first["status"] == "confirmation_required"  # nothing deleted yet (tests/tools/test_confirmation.py)
    token = first["confirmation_token"]
    deleted, listed, again = calls(server, ("delete_note", {"note_id": DISCOVERY_NOTE, "confirmation_token": token}),
                                   ("list_notes", {"record_id": BRIGHTWAVE}),
                                   ("delete_note", {"note_id": DISCOVERY_NOTE}))
    out = valid("delete_note", deleted)
    assert out["deleted"] is True and out["note"]["title"] == "Discovery call: Brightwave Energy"
    assert deleted.content[0].text.startswith('Deleted.\nNote "Discovery call: Brightwave Energy"')
    assert valid("list_notes", listed)["notes"] == []
    assert again.is_error
    assert again.content[0].text == (f"No note with id {DISCOVERY_NOTE} exists in this workspace (it may have been "
                                     "deleted already). list_notes shows current note ids.")


def test_delete_note_rejects_a_non_uuid(server):
    res = call(server, "delete_note", {"note_id": "abc"})
    assert res.is_error
    assert res.content[0].text == "Invalid note_id 'abc': expected a UUID such as 649e34f4-c39a-4f4d-99ef-48a36bef8f04."


def test_note_tools_are_annotated(server):
    async def body():
        async with Client(server.mcp_url, mode="legacy") as client:
            return {t.name: t for t in (await client.list_tools()).tools}
    tools = anyio.run(body)
    hints = {n: (tools[n].annotations.read_only_hint, tools[n].annotations.destructive_hint,
                 tools[n].annotations.idempotent_hint) for n in ("list_notes", "create_note", "update_note",
                                                                 "delete_note")}
    assert hints == {"list_notes": (True, False, True), "create_note": (False, False, False),
                     "update_note": (False, False, True), "delete_note": (False, True, True)}
    assert "update_note changes it later" in tools["create_note"].description
    assert tools["delete_note"].meta["securitySchemes"][0]["scopes"] == ["attio:write"]


def ok(name: str, server, args: dict) -> dict:
    return valid(name, call(server, name, args))


def test_update_note_changes_only_what_is_given(server, reset_demo):
    made = ok("create_note", server, {"record_id": BRIGHTWAVE, "title": "Call recap", "content": "## Next\n- Send"})
    nid = made["note"]["id"]
    retitled = ok("update_note", server, {"note_id": nid, "title": "Call recap (final)"})
    assert retitled["note"]["title"] == "Call recap (final)" and retitled["differences"] == []
    assert retitled["note"]["content"].startswith("## Next")
    rewritten = ok("update_note", server, {"note_id": nid, "content": "Pricing sent on Friday.",
                                           "format": "plaintext"})
    assert rewritten["note"]["content"].strip() == "Pricing sent on Friday." and rewritten["differences"] == []
    listed = ok("list_notes", server, {"record_id": BRIGHTWAVE, "limit": 50})["notes"]
    assert next(n for n in listed if n["id"] == nid)["title"] == "Call recap (final)"


def test_update_note_errors(server):
    res = call(server, "update_note", {"note_id": DISCOVERY_NOTE})
    assert res.is_error and res.content[0].text == "Nothing to update: pass title, content or both."
    gone = call(server, "update_note", {"note_id": MISSING, "title": "x"})
    assert gone.is_error and gone.content[0].text == (
        f"No note with id {MISSING} exists in this workspace (it may have been deleted). list_notes shows current "
        "note ids.")
    bad = call(server, "update_note", {"note_id": "abc", "title": "x"})
    assert bad.is_error and bad.content[0].text == ("Invalid note_id 'abc': expected a UUID such as "
                                                    "649e34f4-c39a-4f4d-99ef-48a36bef8f04.")
