"""Task tools through the official MCP SDK client against the demo Attio over loopback."""
from __future__ import annotations

import pytest

from tests.tools.test_notes import MISSING, call, calls, valid

pytestmark = pytest.mark.integration

BRIGHTWAVE = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"
ATLAS_DEAL = "deals:90f061f2-6efc-57e3-9798-04e0024625eb"
QUESTIONNAIRE = "4fbd5ac8-cb9d-5046-b062-7c4b64b91ff8"
ATLAS_PRICING = "299d9913-e8d4-5a62-841f-8865452cacf2"
MAYA, TOMAS = "maya.chen@demo-sales.example", "tomas.alvarez@demo-sales.example"
NO_SUCH_MEMBER = ("No workspace member matches assignee 'nobody@example.com'. The workspace members are: "
                  f"Maya Chen <{MAYA}>; Tomás Alvarez <{TOMAS}>. Pass one of these email addresses or names.")


def contents(out: dict) -> list[str]:
    return [t["content"] for t in out["tasks"]]


def test_list_tasks_by_deadline_soonest_first(server):
    res = call(server, "list_tasks", {})
    out = valid("list_tasks", res)
    assert contents(out) == [
        "Log loss reasons for Lumen Health", "Book onboarding kick-off with Greenfield",
        "Send renewal quote to Kestrel Security", "Follow up with Femke on the route data sample",
        "Send security questionnaire to Brightwave Energy", "Prepare pricing proposal for Atlas Fintech",
        "Intro call with Orbital Robotics"]
    assert out["next_cursor"] is None and out["tasks"][-1]["deadline"] is None
    text = res.content[0].text
    assert text.startswith("7 task(s), sorted by deadline.\n- [x] Log loss reasons for Lumen Health\n")
    assert "- [ ] Intro call with Orbital Robotics\n  no deadline; assigned to Tomás Alvarez, Maya Chen;" in text


def test_list_tasks_for_an_assignee_open_only(server):
    res = call(server, "list_tasks", {"assignee": MAYA, "completed": False})
    out = valid("list_tasks", res)
    assert contents(out) == ["Send renewal quote to Kestrel Security",
                             "Send security questionnaire to Brightwave Energy",
                             "Prepare pricing proposal for Atlas Fintech", "Intro call with Orbital Robotics"]
    assert all(not t["is_completed"] and MAYA in [a["email"] for a in t["assignees"]] for t in out["tasks"])
    assert res.content[0].text.startswith(f"4 task(s) assigned to Maya Chen <{MAYA}>, open, sorted by deadline.")


def test_list_tasks_assignee_by_name_ignores_case_and_accents(server):
    out = valid("list_tasks", call(server, "list_tasks", {"assignee": "tomas", "completed": True}))
    assert contents(out) == ["Log loss reasons for Lumen Health", "Book onboarding kick-off with Greenfield"]


def test_list_tasks_linked_to_a_record_names_the_records(server):
    res = call(server, "list_tasks", {"record_id": BRIGHTWAVE})
    [task] = valid("list_tasks", res)["tasks"]
    assert task["id"] == QUESTIONNAIRE and task["deadline"] == "2026-12-01T17:00:00.000000000Z"
    assert [(r["id"].split(":")[0], r["title"]) for r in task["records"]] == [
        ("companies", "Brightwave Energy"), ("people", "Marcus Reyes")]
    assert task["records"][0]["url"].startswith("https://app.attio.com/demo-sales/company/")
    assert "  linked: Brightwave Energy (companies:549937a9-9b09-5351-a4ff-1972c1d8a132, https://" in \
        res.content[0].text


def test_list_tasks_newest_first_with_a_cursor(server):
    first = valid("list_tasks", call(server, "list_tasks", {"sort": "newest", "limit": 4}))
    assert len(first["tasks"]) == 4 and first["next_cursor"]
    rest = valid("list_tasks", call(server, "list_tasks", {"sort": "newest", "limit": 4,
                                                           "cursor": first["next_cursor"]}))
    assert len(rest["tasks"]) == 3 and rest["next_cursor"] is None
    assert contents(first)[0] == "Intro call with Orbital Robotics"
    assert contents(rest)[-1] == "Send security questionnaire to Brightwave Energy"


def test_list_tasks_unknown_assignee_lists_the_members(server):
    res = call(server, "list_tasks", {"assignee": "nobody@example.com"})
    assert res.is_error
    assert res.content[0].text == NO_SUCH_MEMBER


def test_list_tasks_rejects_an_unknown_sort(server):
    res = call(server, "list_tasks", {"sort": "priority"})
    assert res.is_error
    assert res.content[0].text == "Invalid arguments for list_tasks: sort: Must be one of: deadline, newest, oldest."


def test_create_task_with_a_date_deadline(server, reset_demo):
    created, listed = calls(server, ("create_task", {"content": "Send the MSA redlines", "deadline": "2026-12-01",
                                                     "assignees": ["Maya Chen"], "record_ids": [ATLAS_DEAL]}),
                            ("list_tasks", {"record_id": ATLAS_DEAL, "sort": "newest"}))
    task = valid("create_task", created)["task"]
    assert task["deadline"] == "2026-12-01T17:00:00.000000000Z"  # a bare date means 17:00 UTC
    assert task["is_completed"] is False and task["completed_at"] is None
    assert [a["email"] for a in task["assignees"]] == [MAYA]
    assert [r["id"] for r in task["records"]] == [ATLAS_DEAL]
    assert created.content[0].text.startswith(
        "Created task:\n- [ ] Send the MSA redlines\n  due 2026-12-01 17:00 UTC; assigned to Maya Chen;")
    assert contents(valid("list_tasks", listed))[0] == "Send the MSA redlines"


def test_create_task_without_assignees_or_deadline(server, reset_demo):
    task = valid("create_task", call(server, "create_task", {"content": "Tidy the pipeline"}))["task"]
    assert task["assignees"] == [] and task["records"] == [] and task["deadline"] is None


def test_create_task_refuses_a_bad_deadline(server):
    res = call(server, "create_task", {"content": "x", "deadline": "next friday"})
    assert res.is_error
    assert res.content[0].text == (
        "Invalid deadline 'next friday': use a date such as \"2026-12-01\" (meaning 17:00 UTC that day) or an "
        "ISO 8601 date-time such as \"2026-12-01T09:30:00Z\" or \"2026-12-01T09:30:00+02:00\".")


def test_create_task_refuses_long_content_and_unknown_people_and_records(server):
    long, nobody, missing = calls(
        server, ("create_task", {"content": "x" * 2001}),
        ("create_task", {"content": "x", "assignees": ["nobody@example.com"]}),
        ("create_task", {"content": "x", "record_ids": [f"deals:{MISSING}"]}))
    assert long.is_error and nobody.is_error and missing.is_error
    assert long.content[0].text == "Invalid arguments for create_task: content: Length must be between 1 and 2000."
    assert nobody.content[0].text == NO_SUCH_MEMBER
    assert missing.content[0].text == (f"No deals record with id {MISSING} exists in this workspace (it may have "
                                       "been deleted). Search again (search_records or search) to get a current id.")


def test_update_task_completes_and_moves_the_deadline(server, reset_demo):
    res = call(server, "update_task", {"task_id": ATLAS_PRICING, "is_completed": True,
                                       "deadline": "2026-12-05T09:30:00+02:00"})
    task = valid("update_task", res)["task"]
    assert task["is_completed"] is True and task["completed_at"]
    assert task["deadline"] == "2026-12-05T07:30:00.000000000Z"
    assert task["content"] == "Prepare pricing proposal for Atlas Fintech"  # untouched
    assert res.content[0].text.startswith("Updated task:\n- [x] Prepare pricing proposal for Atlas Fintech\n")


def test_update_task_replaces_assignees_and_links_and_clears_the_deadline(server, reset_demo):
    res = call(server, "update_task", {"task_id": QUESTIONNAIRE, "assignees": [TOMAS], "record_ids": [ATLAS_DEAL],
                                       "deadline": None})
    task = valid("update_task", res)["task"]
    assert [a["name"] for a in task["assignees"]] == ["Tomás Alvarez"]
    assert [r["id"] for r in task["records"]] == [ATLAS_DEAL] and task["deadline"] is None
    cleared = valid("update_task", call(server, "update_task", {"task_id": QUESTIONNAIRE, "assignees": []}))
    assert cleared["task"]["assignees"] == []


def test_update_task_refuses_a_content_change(server):
    res = call(server, "update_task", {"task_id": QUESTIONNAIRE, "content": "Reworded"})
    assert res.is_error
    assert res.content[0].text == (
        "A task's content cannot be changed: Attio makes task content immutable once the task exists. To reword "
        "it, create a new task with create_task (and delete or complete this one). update_task changes only "
        "deadline, is_completed, assignees and record_ids.")


def test_update_task_unknown_id_and_empty_change(server):
    gone, empty = calls(server, ("update_task", {"task_id": MISSING, "is_completed": True}),
                        ("update_task", {"task_id": QUESTIONNAIRE}))
    assert gone.is_error and empty.is_error
    assert gone.content[0].text == (f"No task with id {MISSING} exists in this workspace (it may have been "
                                    "deleted). list_tasks shows current task ids.")
    assert empty.content[0].text == ("Nothing to update: pass at least one of deadline, is_completed, assignees "
                                     "or record_ids.")


def test_delete_task_then_again(server, reset_demo):
    first = valid("delete_task", calls(server, ("delete_task", {"task_id": QUESTIONNAIRE}))[0])
    assert first["status"] == "confirmation_required"  # nothing deleted yet (tests/tools/test_confirmation.py)
    token = first["confirmation_token"]
    deleted, listed, again = calls(server, ("delete_task", {"task_id": QUESTIONNAIRE, "confirmation_token": token}),
                                   ("list_tasks", {"record_id": BRIGHTWAVE}),
                                   ("delete_task", {"task_id": QUESTIONNAIRE}))
    out = valid("delete_task", deleted)
    assert out["deleted"] is True and out["task"]["content"] == "Send security questionnaire to Brightwave Energy"
    assert deleted.content[0].text.startswith("Deleted task:\n- [ ] Send security questionnaire")
    assert valid("list_tasks", listed)["tasks"] == []
    assert again.is_error
    assert again.content[0].text == (f"No task with id {QUESTIONNAIRE} exists in this workspace (it may have been "
                                     "deleted already). list_tasks shows current task ids.")
