"""Workspace member tools through the official MCP SDK client against the demo Attio."""
from __future__ import annotations

import pytest

from tests.tools.test_lists import call, ok

pytestmark = pytest.mark.integration


def test_list_members_names_every_member(server):
    res = call(server, "list_members", {})
    assert not res.is_error, res.content
    members = res.structured_content["members"]
    assert {(m["name"], m["email"], m["access_level"]) for m in members} == {
        ("Maya Chen", "maya.chen@demo-sales.example", "admin"),
        ("Tomás Alvarez", "tomas.alvarez@demo-sales.example", "member")}
    assert all(len(m["member_id"]) == 36 for m in members)
    assert res.structured_content["next_cursor"] is None
    assert "Maya Chen <maya.chen@demo-sales.example> · admin" in res.content[0].text
    assert ok(server, "list_members", {"limit": 2})["members"] == members


def test_list_members_pages_with_a_cursor(server):
    first = call(server, "list_members", {"limit": 1})
    assert not first.is_error, first.content
    cursor = first.structured_content["next_cursor"]
    assert len(first.structured_content["members"]) == 1 and cursor
    second = call(server, "list_members", {"limit": 1, "cursor": cursor})
    assert second.structured_content["next_cursor"] is None
    assert second.structured_content["members"][0] != first.structured_content["members"][0]


def test_list_members_rejects_a_bad_cursor_and_unknown_arguments(server):
    bad = call(server, "list_members", {"cursor": "nonsense!"})
    assert bad.is_error
    assert bad.content[0].text == "Invalid cursor: pass the next_cursor value of the previous page unchanged."
    extra = call(server, "list_members", {"query": "maya"})
    assert extra.is_error
    assert extra.content[0].text == "Invalid arguments for list_members: query: Unknown field."


def test_find_member_matches_name_and_email_case_insensitively(server):
    by_name = call(server, "find_member", {"query": "TOMÁS"})
    assert not by_name.is_error, by_name.content
    assert [m["email"] for m in by_name.structured_content["members"]] == ["tomas.alvarez@demo-sales.example"]
    by_email = ok(server, "find_member", {"query": "maya.chen@"})
    assert [m["name"] for m in by_email["members"]] == ["Maya Chen"]
    both = call(server, "find_member", {"query": "@demo-sales.example"})
    assert len(both.structured_content["members"]) == 2
    assert both.content[0].text.startswith("2 member(s) match '@demo-sales.example':\n- ")


def test_find_member_without_a_match_says_so(server):
    res = call(server, "find_member", {"query": "nobody-here"})
    assert res.is_error
    assert res.content[0].text == ("No workspace member matches 'nobody-here' (by name or email). Try a shorter "
                                   "part of the name or email, or call list_members to see everyone.")
    empty = call(server, "find_member", {"query": ""})
    assert empty.is_error
    assert empty.content[0].text == "Invalid arguments for find_member: query: Length must be between 1 and 200."
