"""Notes, tasks, members, threads and comments."""
from __future__ import annotations

import pytest

from .conftest import Api, rid

TASK_KEYS = {"id", "content_plaintext", "deadline_at", "is_completed", "completed_at", "linked_records",
             "assignees", "created_by_actor", "created_at"}


@pytest.fixture
def members(api: Api) -> dict:
    """Member ids by first name."""
    return {m["first_name"]: m["id"]["workspace_member_id"] for m in api.data("GET", "/v2/workspace_members")}


def note_body(**over: object) -> dict:
    """A note-create body on Siobhan."""
    body = {"parent_object": "people", "parent_record_id": rid("people", "siobhan"), "title": "Note",
            "format": "markdown", "content": "# Heading\n- **bold** point\n- a [link](https://example.com)"}
    return {"data": {**body, **over}}


def test_seeded_notes_and_default_limit(api: Api) -> None:
    notes = api.data("GET", "/v2/notes")
    assert len(notes) == 8
    assert all(n["content_markdown"] and n["content_plaintext"] for n in notes)
    for i in range(60):
        api.data("POST", "/v2/notes", note_body(title=f"Note {i}"))
    assert len(api.data("GET", "/v2/notes")) == 10
    assert len(api.data("GET", "/v2/notes?limit=500")) == 50  # max 50
    assert len(api.data("GET", "/v2/notes?limit=50&offset=50")) == 18


def test_notes_filter_by_parent(api: Api) -> None:
    on_deal = api.data("GET", f"/v2/notes?parent_object=deals&parent_record_id={rid('deals', 'atlas')}")
    assert [n["title"] for n in on_deal] == ["Procurement notes"]
    assert len(api.data("GET", "/v2/notes?parent_object=companies")) == 3
    status, err = api.error("GET", "/v2/notes?parent_object=widgets")
    assert status == 404


def test_note_create_get_delete(api: Api) -> None:
    note = api.data("POST", "/v2/notes", note_body())
    assert note["content_plaintext"] == "Heading\nbold point\na link"
    assert note["content_markdown"].startswith("# Heading")
    assert note["created_by_actor"]["type"] == "api-token" and note["parent_object"] == "people"
    nid = note["id"]["note_id"]
    assert api.data("GET", f"/v2/notes/{nid}") == note
    assert api.call("PUT", f"/v2/notes/{nid}", {"data": {"title": "x"}}).status_code == 405  # PATCH only
    assert api.call("DELETE", f"/v2/notes/{nid}").get_json() == {}
    status, err = api.error("GET", f"/v2/notes/{nid}")
    assert status == 404 and err["message"] == f'Note with ID "{nid}" was not found.'


def test_note_validation(api: Api) -> None:
    status, err = api.error("POST", "/v2/notes", {"data": {"parent_object": "people"}})
    assert status == 400 and err["code"] == "validation_type"
    status, err = api.error("POST", "/v2/notes", note_body(parent_record_id=rid("people", "nobody")))
    assert status == 404 and err["message"].startswith("Record with ID")
    status, _ = api.error("POST", "/v2/notes", note_body(content="x" * 100_001))
    assert status == 413


def test_task_read_shape_uses_target_object_id(api: Api) -> None:
    tasks = api.data("GET", "/v2/tasks")
    assert len(tasks) == 7
    people_id = api.data("GET", "/v2/objects/people")["id"]["object_id"]
    first = tasks[0]
    assert first["content_plaintext"] == "Send security questionnaire to Brightwave Energy"
    marcus = {"target_object_id": people_id, "target_record_id": rid("people", "marcus")}
    assert marcus in first["linked_records"]
    assert all("target_object" not in link for t in tasks for link in t["linked_records"])
    assert set(first) == TASK_KEYS
    done = [t for t in tasks if t["is_completed"]]
    assert len(done) == 2 and all(t["completed_at"] for t in done)


def test_task_filters_and_sort(api: Api, members: dict) -> None:
    assert len(api.data("GET", "/v2/tasks?is_completed=false")) == 5
    assert len(api.data("GET", "/v2/tasks?assignee=maya.chen@demo-sales.example")) == 4
    assert len(api.data("GET", f"/v2/tasks?assignee={members['Tomás']}")) == 4
    kestrel = rid("deals", "kestrel")
    linked = api.data("GET", f"/v2/tasks?linked_object=deals&linked_record_id={kestrel}")
    assert [t["content_plaintext"] for t in linked] == ["Send renewal quote to Kestrel Security"]
    newest = api.data("GET", "/v2/tasks?sort=created_at:desc&limit=1")
    assert newest[0]["content_plaintext"] == "Intro call with Orbital Robotics"
    assert api.error("GET", "/v2/tasks?sort=deadline")[0] == 400


def test_task_create_patch_delete(api: Api, members: dict) -> None:
    links = [{"target_object": "people", "target_record_id": rid("people", "siobhan")},
             {"target_object": "companies", "domains": [{"domain": "northpeak.io"}]}]
    body = {"content": "Call Siobhan", "format": "plaintext", "deadline_at": "2027-01-05T09:00:00+01:00",
            "is_completed": False, "linked_records": links,
            "assignees": [{"workspace_member_email_address": "maya.chen@demo-sales.example"}]}
    for missing in body:
        partial = {k: v for k, v in body.items() if k != missing}
        status, err = api.error("POST", "/v2/tasks", {"data": partial})
        assert status == 400 and missing in err["message"]
    task = api.data("POST", "/v2/tasks", {"data": body})
    assert task["deadline_at"] == "2027-01-05T08:00:00.000000000Z"
    assert task["linked_records"][1]["target_record_id"] == rid("companies", "northpeak")
    maya = {"referenced_actor_type": "workspace-member", "referenced_actor_id": members["Maya"]}
    assert task["assignees"] == [maya]
    tid = task["id"]["task_id"]
    status, err = api.error("PATCH", f"/v2/tasks/{tid}", {"data": {"content": "changed"}})
    assert status == 400 and "content" in err["message"]
    done = api.data("PATCH", f"/v2/tasks/{tid}", {"data": {"is_completed": True}})
    assert done["is_completed"] is True and done["completed_at"]
    assert done["content_plaintext"] == "Call Siobhan"
    assert api.call("DELETE", f"/v2/tasks/{tid}").get_json() == {}
    status, err = api.error("GET", f"/v2/tasks/{tid}")
    assert status == 404 and err["message"] == f'Could not find Task with ID "{tid}".'


def test_task_linking_a_list_is_rejected(api: Api) -> None:
    link = {"target_object": "sales_pipeline", "target_record_id": rid("deals", "atlas")}
    status, err = api.error("POST", "/v2/tasks", {"data": {
        "content": "x", "format": "plaintext", "deadline_at": None, "is_completed": False,
        "linked_records": [link], "assignees": []}})
    assert status == 400 and err["message"] == "Only standard or custom object records can be linked to."


def test_members(api: Api, members: dict) -> None:
    listed = api.data("GET", "/v2/workspace_members")
    emails = [m["email_address"] for m in listed]
    assert emails == ["maya.chen@demo-sales.example", "tomas.alvarez@demo-sales.example"]
    assert {m["access_level"] for m in listed} == {"admin", "member"}
    assert api.data("GET", f"/v2/workspace_members/{members['Maya']}")["first_name"] == "Maya"
    ghost = "50cf242c-7fa3-4cad-87d0-75b1af71c57b"
    status, err = api.error("GET", f"/v2/workspace_members/{ghost}")
    assert status == 404 and err["message"] == f'Workspace member with ID "{ghost}" not found.'


def test_threads_and_comments(api: Api, members: dict) -> None:
    threads = api.data("GET", f"/v2/threads?record_id={rid('deals', 'atlas')}&object=deals")
    assert len(threads) == 1 and len(threads[0]["comments"]) == 2
    assert threads[0]["comments"][0]["content_plaintext"] == "Oliver wants the MSA redlines by Friday."

    def comment(content: str, **target: object) -> dict:
        author = {"type": "workspace-member", "id": members["Maya"]}
        return {"data": {"format": "plaintext", "content": content, "author": author, **target}}

    sam = {"object": "people", "record_id": rid("people", "sam")}
    c = api.data("POST", "/v2/comments", comment("New thread", record=sam))
    reply = api.data("POST", "/v2/comments", comment("Reply", thread_id=c["thread_id"]))
    thread = api.data("GET", f"/v2/threads/{c['thread_id']}")
    assert [x["content_plaintext"] for x in thread["comments"]] == ["New thread", "Reply"]
    assert reply["record"] == c["record"]
    assert api.data("GET", f"/v2/comments/{reply['id']['comment_id']}") == reply
    assert api.call("DELETE", f"/v2/comments/{c['id']['comment_id']}").get_json() == {}
    status, err = api.error("GET", f"/v2/threads/{c['thread_id']}")
    assert status == 404 and err["message"] == f'Thread with ID "{c["thread_id"]}" was not found.'
    status, err = api.error("GET", f"/v2/comments/{reply['id']['comment_id']}")
    assert status == 404 and err["message"].endswith("was not found.")
    status, err = api.error("POST", "/v2/comments", comment("x", thread_id=c["thread_id"]), status_key="statusCode")
    assert status == 400 and err["code"] == "value_not_found"  # this endpoint's 400s say statusCode (§0.3)
