"""Attio's endpoints as one-call methods, mixed into `AttioClient` (which supplies `request`).

The newer surfaces live beside this module: engagement.py (meetings, call recordings, emails), files.py,
views.py, sql.py.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, NamedTuple

from .errors import AttioError
from .pages import MAX_PAGES, next_cursor
from .paths import UNSET as _UNSET, compact as _compact, path as _path, target as _target


class MergeResult(NamedTuple):
    """What a merge produced: the new record's id, and whether Attio had applied the merge when it answered
    (False after a 202: until it has, reading the new record raises `AttioMergeInProgress`)."""

    new_record_id: str
    completed: bool


class AttioEndpoints:
    """Thin typed wrappers: each method is exactly one HTTP call through `self.request`."""

    request: Callable[..., Any]  # AttioClient.request: (method, path, *, params=None, json=None) -> body
    request_whole: Callable[..., Any]  # the same, the whole body (`data` not unwrapped)
    request_with_status: Callable[..., tuple[int, Any]]  # the same, with the HTTP status: (status, body)

    # -- workspace, objects, attributes (each method: one HTTP call) ------------------

    def self_info(self) -> dict[str, Any]:
        """GET /v2/self: the token's workspace, scopes and member (flat, not in `data`)."""
        return self.request("GET", "/v2/self")

    def list_objects(self) -> list[dict[str, Any]]:
        """Every object in the workspace."""
        return self.request("GET", "/v2/objects")

    def get_object(self, obj: str) -> dict[str, Any]:
        """One object by slug or id."""
        return self.request("GET", _path("objects", obj))

    def list_attributes(self, obj: str, *, target: str = "objects", limit: int | None = None,
                        offset: int | None = None, show_archived: bool | None = None) -> list[dict[str, Any]]:
        """The attributes of an object (`target="objects"`) or a list (`target="lists"`)."""
        params = _compact(limit=limit, offset=offset, show_archived=show_archived)
        return self.request("GET", _path(_target(target), obj, "attributes"), params=params)

    def list_options(self, obj: str, attr: str, *, target: str = "objects") -> list[dict[str, Any]]:
        """The options of a select attribute."""
        return self.request("GET", _path(_target(target), obj, "attributes", attr, "options"))

    def list_statuses(self, obj: str, attr: str, *, target: str = "objects") -> list[dict[str, Any]]:
        """The statuses of a status attribute (e.g. deal stages)."""
        return self.request("GET", _path(_target(target), obj, "attributes", attr, "statuses"))

    # -- records -----------------------------------------------------------------------

    def search_records(self, query: str, objects: Iterable[str], limit: int = 25,
                       request_as: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Fuzzy search across objects in one call (POST /v2/objects/records/search)."""
        body = {"query": query, "objects": list(objects), "request_as": request_as or {"type": "workspace"},
                "limit": limit}
        return self.request("POST", "/v2/objects/records/search", json=body)

    def query_records(self, obj: str, filter: dict[str, Any] | None = None, sorts: list[Any] | None = None,
                      limit: int | None = None, offset: int | None = None, *,
                      view_id: str | None = None) -> list[dict[str, Any]]:
        """Records of an object matching a filter, sorted, paginated by limit/offset; `view_id` (a saved view of
        the object, `list_object_views`) applies that view's filter and sort too."""
        body = _compact(filter=filter, sorts=sorts, limit=limit, offset=offset, filter_view_id=view_id)
        return self.request("POST", _path("objects", obj, "records", "query"), json=body)

    def get_record(self, obj: str, record_id: str) -> dict[str, Any]:
        """One record."""
        return self.request("GET", _path("objects", obj, "records", record_id))

    def create_record(self, obj: str, values: dict[str, Any]) -> dict[str, Any]:
        """Create a record."""
        return self.request("POST", _path("objects", obj, "records"), json={"data": {"values": values}})

    def assert_record(self, obj: str, matching_attribute: str, values: dict[str, Any]) -> dict[str, Any]:
        """Create or update the record matching a unique attribute (PUT …/records?matching_attribute=)."""
        return self.request("PUT", _path("objects", obj, "records"), json={"data": {"values": values}},
                            params={"matching_attribute": matching_attribute})

    def update_record(self, obj: str, record_id: str, values: dict[str, Any], *,
                      overwrite: bool = False) -> dict[str, Any]:
        """Update a record: PATCH appends multiselect values, PUT (`overwrite=True`) replaces them."""
        return self.request("PUT" if overwrite else "PATCH", _path("objects", obj, "records", record_id),
                            json={"data": {"values": values}})

    def delete_record(self, obj: str, record_id: str) -> Any:
        """Delete a record."""
        return self.request("DELETE", _path("objects", obj, "records", record_id))

    def merge_records(self, obj: str, primary_record_id: str, secondary_record_id: str) -> MergeResult:
        """Merge two records of an object into a NEW record (the primary's values win where both have one).

        Not idempotent: both originals are gone afterwards, so a repeat raises `AttioMergeNotFound`; a lost
        answer is therefore never retried. Merging a record with itself is a 400 (`self_merge`).
        """
        body = {"data": {"primary_record_id": primary_record_id, "secondary_record_id": secondary_record_id}}
        status, data = self.request_with_status("POST", _path("objects", obj, "records", "merge"), json=body)
        new_id = data.get("new_record_id") if isinstance(data, dict) else None
        if not isinstance(new_id, str) or not new_id:
            raise AttioError("Attio's merge answer has no new_record_id.", status=status, code="invalid_response")
        return MergeResult(new_id, status != 202)

    def record_entries(self, obj: str, record_id: str, limit: int | None = None,
                       offset: int | None = None) -> list[dict[str, Any]]:
        """The list entries whose parent is this record."""
        return self.request("GET", _path("objects", obj, "records", record_id, "entries"),
                            params=_compact(limit=limit, offset=offset))

    # -- notes and tasks -------------------------------------------------------------------

    def list_notes(self, parent_object: str | None = None, parent_record_id: str | None = None,
                   limit: int | None = None, offset: int | None = None) -> list[dict[str, Any]]:
        """Notes, optionally of one record (limit max 50; Attio allows 10 listings a second)."""
        params = _compact(parent_object=parent_object, parent_record_id=parent_record_id, limit=limit,
                          offset=offset)
        return self.request("GET", "/v2/notes", params=params)

    def get_note(self, note_id: str) -> dict[str, Any]:
        """One note."""
        return self.request("GET", _path("notes", note_id))

    def create_note(self, parent_object: str, parent_record_id: str, title: str, content: str, *,
                    format: str = "plaintext", created_at: str | None = None,
                    meeting_id: str | None = None) -> dict[str, Any]:
        """Create a note on a record ("plaintext" or "markdown")."""
        data = {"parent_object": parent_object, "parent_record_id": parent_record_id, "title": title,
                "format": format, "content": content}
        data.update(_compact(created_at=created_at, meeting_id=meeting_id))
        return self.request("POST", "/v2/notes", json={"data": data})

    def update_note(self, note_id: str, *, title: str | None = None, content: str | None = None,
                    format: str | None = None) -> dict[str, Any]:
        """Change a note (PATCH): only the fields given change; `content` replaces the whole body and is read as
        `format` ("plaintext" or "markdown"). The parent record cannot change."""
        data = _compact(title=title, format=format, content=content)
        return self.request("PATCH", _path("notes", note_id), json={"data": data})

    def delete_note(self, note_id: str) -> Any:
        """Delete a note."""
        return self.request("DELETE", _path("notes", note_id))

    def list_tasks(self, *, limit: int | None = None, offset: int | None = None, sort: str | None = None,
                   linked_object: str | None = None, linked_record_id: str | None = None,
                   assignee: str | None = None, is_completed: bool | None = None) -> list[dict[str, Any]]:
        """Tasks, filtered by Attio's query parameters (None means no filter)."""
        params = _compact(limit=limit, offset=offset, sort=sort, linked_object=linked_object,
                          linked_record_id=linked_record_id, assignee=assignee, is_completed=is_completed)
        return self.request("GET", "/v2/tasks", params=params)

    def get_task(self, task_id: str) -> dict[str, Any]:
        """One task."""
        return self.request("GET", _path("tasks", task_id))

    def create_task(self, content: str, *, deadline_at: str | None = None, is_completed: bool = False,
                    linked_records: list[dict[str, Any]] | None = None,
                    assignees: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Create a task; Attio requires all six fields, so all are sent."""
        data = {"content": content, "format": "plaintext", "deadline_at": deadline_at,
                "is_completed": is_completed, "linked_records": linked_records or [],
                "assignees": assignees or []}
        return self.request("POST", "/v2/tasks", json={"data": data})

    def update_task(self, task_id: str, *, deadline_at: str | None = _UNSET, is_completed: bool | None = None,
                    linked_records: list[dict[str, Any]] | None = None,
                    assignees: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Update deadline (None clears it), completion, links or assignees; content is immutable."""
        data = _compact(is_completed=is_completed, linked_records=linked_records, assignees=assignees)
        if deadline_at is not _UNSET:
            data["deadline_at"] = deadline_at
        return self.request("PATCH", _path("tasks", task_id), json={"data": data})

    def delete_task(self, task_id: str) -> Any:
        """Delete a task."""
        return self.request("DELETE", _path("tasks", task_id))

    # -- lists and entries -------------------------------------------------------------

    def list_lists(self) -> list[dict[str, Any]]:
        """Every list the credential can see."""
        return self.request("GET", "/v2/lists")

    def get_list(self, list_id: str) -> dict[str, Any]:
        """One list by slug or id."""
        return self.request("GET", _path("lists", list_id))

    def query_entries(self, list_id: str, filter: dict[str, Any] | None = None,
                      sorts: list[Any] | None = None, limit: int | None = None,
                      offset: int | None = None, *, view_id: str | None = None) -> list[dict[str, Any]]:
        """Entries of a list matching a filter; `view_id` (a saved view of the list, `list_list_views`) applies
        that view's filter and sort too."""
        body = _compact(filter=filter, sorts=sorts, limit=limit, offset=offset, filter_view_id=view_id)
        return self.request("POST", _path("lists", list_id, "entries", "query"), json=body)

    def add_entry(self, list_id: str, parent_object: str, parent_record_id: str,
                  entry_values: dict[str, Any] | None = None) -> dict[str, Any]:
        """Add a record to a list."""
        data = {"parent_object": parent_object, "parent_record_id": parent_record_id,
                "entry_values": entry_values or {}}
        return self.request("POST", _path("lists", list_id, "entries"), json={"data": data})

    def update_entry(self, list_id: str, entry_id: str, entry_values: dict[str, Any], *,
                     overwrite: bool = False) -> dict[str, Any]:
        """Update an entry's values: PATCH appends, PUT (`overwrite=True`) replaces."""
        return self.request("PUT" if overwrite else "PATCH", _path("lists", list_id, "entries", entry_id),
                            json={"data": {"entry_values": entry_values}})

    def get_entry(self, list_id: str, entry_id: str) -> dict[str, Any]:
        """One list entry."""
        return self.request("GET", _path("lists", list_id, "entries", entry_id))

    def delete_entry(self, list_id: str, entry_id: str) -> Any:
        """Remove an entry from a list."""
        return self.request("DELETE", _path("lists", list_id, "entries", entry_id))

    # -- members, threads, comments ----------------------------------------------------

    def list_members(self) -> list[dict[str, Any]]:
        """Every workspace member (not paginated)."""
        return self.request("GET", "/v2/workspace_members")

    def get_member(self, member_id: str) -> dict[str, Any]:
        """One workspace member."""
        return self.request("GET", _path("workspace_members", member_id))

    def list_threads(self, *, obj: str | None = None, record_id: str | None = None,
                     list_id: str | None = None, entry_id: str | None = None, limit: int | None = None,
                     offset: int | None = None) -> list[dict[str, Any]]:
        """Comment threads on a record (obj + record_id) or an entry (list_id + entry_id)."""
        params = _compact(object=obj, record_id=record_id, list=list_id, entry_id=entry_id, limit=limit,
                          offset=offset)
        return self.request("GET", "/v2/threads", params=params)

    def create_comment(self, content: str, author_member_id: str, *, thread_id: str | None = None,
                       record: tuple[str, str] | None = None,
                       entry: tuple[str, str] | None = None) -> dict[str, Any]:
        """Comment on a thread, a record (obj, record_id) or an entry (list, entry_id): exactly one."""
        if sum(x is not None for x in (thread_id, record, entry)) != 1:
            raise ValueError("give exactly one of thread_id, record or entry")
        data: dict[str, Any] = {"format": "plaintext", "content": content,
                                "author": {"type": "workspace-member", "id": author_member_id}}
        if thread_id is not None:
            data["thread_id"] = thread_id
        elif record is not None:
            data["record"] = {"object": record[0], "record_id": record[1]}
        elif entry is not None:
            data["entry"] = {"list": entry[0], "entry_id": entry[1]}
        return self.request("POST", "/v2/comments", json={"data": data})

    def get_thread(self, thread_id: str, *, max_comments: int = 2000) -> dict[str, Any]:
        """One comment thread with its comments, oldest first (at most `max_comments`).

        Attio pages a thread's comments by cursor (250 a page): the pages are followed and their comments joined.
        """
        body = self.request_whole("GET", _path("threads", thread_id))
        thread = body.get("data") if isinstance(body, dict) else None
        if not isinstance(thread, dict) or not isinstance(thread.get("comments"), list):
            return thread if thread is not None else body
        comments, cursor, seen = list(thread["comments"]), next_cursor(body), set()
        for _ in range(MAX_PAGES):
            if cursor is None or cursor in seen or len(comments) >= max_comments:
                break
            seen.add(cursor)
            body = self.request_whole("GET", _path("threads", thread_id), params={"cursor": cursor})
            page = body.get("data") if isinstance(body, dict) else None
            comments += page.get("comments", []) if isinstance(page, dict) else []
            cursor = next_cursor(body)
        return {**thread, "comments": comments[:max_comments]}

    def get_comment(self, comment_id: str) -> dict[str, Any]:
        """One comment."""
        return self.request("GET", _path("comments", comment_id))

    def delete_comment(self, comment_id: str) -> Any:
        """Delete a comment; deleting a thread's first comment deletes the whole thread."""
        return self.request("DELETE", _path("comments", comment_id))
