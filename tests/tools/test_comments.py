"""Comment tools through the official MCP SDK client against the demo Attio over loopback."""
from __future__ import annotations

import pytest

from tests.tools.test_notes import MISSING, call, calls, valid

pytestmark = pytest.mark.integration

ATLAS_DEAL = "deals:90f061f2-6efc-57e3-9798-04e0024625eb"
ATLAS_THREAD = "8a39fb77-415b-5011-bb22-799cb23d0edc"
KESTREL_ENTRY = "e0c09dac-0e2d-5d8b-ba1c-a2da4a2ecaf3"  # Kestrel's entry in the "sales_pipeline" list
BRIGHTWAVE = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"
WHERE = ("Pass exactly one target: record_id (as search returns it, e.g. \"deals:<uuid>\"), or list and entry_id "
         "for a list entry")


def test_list_comments_on_a_record(server):
    res = call(server, "list_comments", {"record_id": ATLAS_DEAL})
    out = valid("list_comments", res)
    [thread] = out["threads"]
    assert thread["id"] == ATLAS_THREAD and out["next_cursor"] is None and out["entry"] is None
    assert out["record"]["id"] == ATLAS_DEAL and out["record"]["url"].startswith("https://app.attio.com/demo-sales/deal/")
    assert [(c["author"], c["content"]) for c in thread["comments"]] == [
        ("Maya Chen", "Oliver wants the MSA redlines by Friday."),
        ("Tomás Alvarez", "I'll loop in legal today, maya.chen@demo-sales.example.")]
    text = res.content[0].text
    assert text.startswith(f"2 comment(s) in 1 thread(s) on {out['record']['title']} ({ATLAS_DEAL}, https://")
    assert (f"Thread {ATLAS_THREAD} (started 2026-03-22 19:10 UTC):\n  - Maya Chen, 2026-03-22 19:10 UTC; comment id "
            in text)
    assert "\n      Oliver wants the MSA redlines by Friday.\n" in text


def test_list_comments_on_a_list_entry(server):
    out = valid("list_comments", call(server, "list_comments", {"list": "sales_pipeline", "entry_id": KESTREL_ENTRY}))
    assert out["record"] is None and out["entry"] == {"list": "sales_pipeline", "entry_id": KESTREL_ENTRY}
    assert [c["content"] for t in out["threads"] for c in t["comments"]] == [
        "Renewal at risk: they are trialling a cheaper MDR vendor."]


def test_list_comments_needs_exactly_one_target(server):
    none, both, half = calls(server, ("list_comments", {}),
                             ("list_comments", {"record_id": ATLAS_DEAL, "list": "sales_pipeline"}),
                             ("list_comments", {"list": "sales_pipeline"}))
    assert none.is_error and both.is_error and half.is_error
    assert none.content[0].text == f"{WHERE}. Got no target."
    assert both.content[0].text == f"{WHERE}. Got both record_id and list and entry_id."
    assert half.content[0].text == f"{WHERE}: list and entry_id go together."


def test_list_comments_refuses_a_limit_over_50(server):
    res = call(server, "list_comments", {"record_id": ATLAS_DEAL, "limit": 51})
    assert res.is_error
    assert res.content[0].text == ("Invalid arguments for list_comments: limit: Must be greater than or equal to "
                                   "1 and less than or equal to 50.")


def test_list_comments_on_an_unknown_record(server):
    res = call(server, "list_comments", {"record_id": f"deals:{MISSING}"})
    assert res.is_error
    assert res.content[0].text == (f"No deals record with id {MISSING} exists in this workspace (it may have been "
                                   "deleted). Search again (search_records or search) to get a current id.")


def test_add_comment_on_a_record_defaults_to_the_first_admin(server, reset_demo):
    added, listed = calls(server, ("add_comment", {"record_id": BRIGHTWAVE, "content": "Security review booked."}),
                          ("list_comments", {"record_id": BRIGHTWAVE}))
    out = valid("add_comment", added)
    assert out["comment"]["author"] == "Maya Chen" and out["comment"]["content"] == "Security review booked."
    assert out["record"]["title"] == "Brightwave Energy" and out["entry"] is None
    assert added.content[0].text.startswith(
        f"Comment added by Maya Chen <maya.chen@demo-sales.example> in thread {out['comment']['thread_id']} on "
        f"Brightwave Energy ({BRIGHTWAVE}, https://")
    [thread] = valid("list_comments", listed)["threads"]
    assert thread["id"] == out["comment"]["thread_id"]


def test_add_comment_replies_in_a_thread_as_a_named_author(server, reset_demo):
    added, listed = calls(server, ("add_comment", {"thread_id": ATLAS_THREAD, "content": "Legal approved.",
                                                   "author": "Tomás Alvarez"}),
                          ("list_comments", {"record_id": ATLAS_DEAL}))
    out = valid("add_comment", added)
    assert out["comment"]["thread_id"] == ATLAS_THREAD and out["comment"]["author"] == "Tomás Alvarez"
    assert out["record"]["id"] == ATLAS_DEAL  # the thread's record, found from the reply
    [thread] = valid("list_comments", listed)["threads"]
    assert [c["content"] for c in thread["comments"]][-1] == "Legal approved."


def test_add_comment_on_a_list_entry(server, reset_demo):
    out = valid("add_comment", call(server, "add_comment", {"list": "sales_pipeline", "entry_id": KESTREL_ENTRY,
                                                            "content": "Quote sent."}))
    assert out["entry"] == {"list": "sales_pipeline", "entry_id": KESTREL_ENTRY} and out["record"] is None


def test_add_comment_unknown_thread_and_author(server):
    thread, author, both = calls(
        server, ("add_comment", {"thread_id": MISSING, "content": "x"}),
        ("add_comment", {"record_id": ATLAS_DEAL, "content": "x", "author": "ghost@example.com"}),
        ("add_comment", {"record_id": ATLAS_DEAL, "thread_id": ATLAS_THREAD, "content": "x"}))
    assert thread.is_error and author.is_error and both.is_error
    assert thread.content[0].text == (f"No comment thread with id {MISSING} exists in this workspace (it may have "
                                      "been deleted). list_comments shows current thread ids.")
    assert author.content[0].text == (
        "No workspace member matches author 'ghost@example.com'. The workspace members are: Maya Chen "
        "<maya.chen@demo-sales.example>; Tomás Alvarez <tomas.alvarez@demo-sales.example>. Pass one of these "
        "email addresses or names.")
    assert both.content[0].text == (f"{WHERE}, or thread_id to reply in an existing thread. "
                                    "Got both record_id and thread_id.")
