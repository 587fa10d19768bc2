"""Tool input: ordinary CRM text is accepted and stored as given; only structural abuse is refused."""
from __future__ import annotations

import pytest

from connector.security.inputs import MAX_STRING, check_arguments

SIOBHAN = "people:d09c8245-330d-522b-8607-60f1abb86fed"
AWKWARD = ["O'Neil", "AT&T", "Update from Where-house Ltd", "R&D", "delete from", "<b>"]


def test_quotes_ampersands_markup_and_sql_words_pass_the_check():
    args = {"query": "O'Neil", "content": "AT&T; R&D <b>bold</b> delete from notes where 1=1; -- \"quoted\"\n\tok",
            "values": {"description": ["Update from Where-house Ltd"]}}
    assert check_arguments(None, args) is None


@pytest.mark.parametrize("args, message", [
    ({"title": "Call\x00recap"}, "title: contains the control character U+0000, which is not allowed in text"),
    ({"content": "a\x1bb"}, "content: contains the control character U+001B, which is not allowed in text"),
    ({"record_id": "people:abc\n"}, "record_id: contains the control character U+000A, which is not allowed in "
                                    "an identifier"),
    ({"values": {"na\tme": "x"}}, "values key 'na\\tme': contains the control character U+0009, which is not "
                                  "allowed in an identifier"),
    ({"filter": {"name": ["ok", "bad\x07"]}}, "filter.name[1]: contains the control character U+0007, which is not "
                                              "allowed in text"),
    ({"content": "x" * (MAX_STRING + 1)}, f"content: text is too long ({MAX_STRING + 1} characters; the limit is "
                                         f"{MAX_STRING})"),
])
def test_structural_abuse_is_refused_with_the_reason(args, message):
    assert check_arguments(None, args) == message


def test_deep_nesting_is_refused():
    deep: dict = {}
    node = deep
    for _ in range(40):
        node["a"] = {}
        node = node["a"]
    assert check_arguments(None, {"filter": deep}).endswith("nested more than 32 levels deep")


def test_awkward_text_is_accepted_by_tools_and_stored_unmodified(make_app, reset_demo):
    from tests.security.conftest import McpClient

    client = McpClient(make_app(DEMO_ATTIO_TOKEN="demo-attio-key"))
    for query in AWKWARD:
        res = client.call("search_records", {"query": query})
        assert res["isError"] is False, (query, res)
        assert res["structuredContent"]["query"] == query
    hits = client.call("search_records", {"query": "O'Neil"})["structuredContent"]["results"]
    assert [h["title"] for h in hits] == ["Siobhan O'Neil"]
    content = "\n".join(f"- {x}" for x in AWKWARD) + "\nSELECT * FROM deals; DROP TABLE notes; -- done"
    title = "Update from Where-house Ltd: AT&T <b>R&D</b>"
    created = client.call("create_note", {"record_id": SIOBHAN, "title": title, "content": content})
    assert created["isError"] is False, created
    assert created["structuredContent"]["note"]["content"] == content
    listed = client.call("list_notes", {"record_id": SIOBHAN})
    mine = [n for n in listed["structuredContent"]["notes"] if n["title"] == title]
    assert [n["content"] for n in mine] == [content]
    assert "attio-connector/screening" not in (listed.get("_meta") or {})


def test_structural_abuse_gets_a_clear_tool_error(make_app):
    from tests.security.conftest import McpClient

    client = McpClient(make_app(DEMO_ATTIO_TOKEN="demo-attio-key"))
    res = client.call("create_note", {"record_id": SIOBHAN, "title": "Bad\x00title", "content": "x"})
    assert res["isError"] is True
    assert res["content"][0]["text"] == ("Invalid arguments for create_note: title: contains the control character "
                                         "U+0000, which is not allowed in text")
    res = client.call("get_record", {"id": "people:\nd09c8245-330d-522b-8607-60f1abb86fed"})
    assert res["isError"] is True and "not allowed in an identifier" in res["content"][0]["text"]
