"""A record's files and folders: list them, get one, read a text file's content (size-capped; reference §6)."""
from __future__ import annotations

import codecs
from typing import Any

from marshmallow import Schema, fields, validate

from ..attio.errors import AttioNotFound
from ..mcp.context import ToolContext
from ..mcp.registry import Registry, Tool, ToolError, ToolResult
from .activity import actor_name, one_line
from .common import READ, READ_SCOPE, check_uuid, no_such, object_schema, result
from .paging import NEXT_CURSOR, CursorPageArgs, collect
from .records.view import REF_SCHEMA, RecordLabels, load_id, ref_text

FILE_IDS = "list_files shows a record's file ids."
READ_DEFAULT, READ_MAX = 100_000, 1_000_000  # bytes of a file's content read_file returns
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-ndjson", "application/yaml",
              "application/x-yaml", "application/csv", "application/javascript", "application/sql",
              "application/markdown", "application/x-sh", "image/svg+xml")

FILE_SCHEMA = object_schema({
    "id": {"type": "string"}, "type": {"type": "string", "enum": ["file", "folder", "connected-file",
                                                                  "connected-folder"]},
    "name": {"type": ["string", "null"], "description": "Null for connected files (Attio does not name them)."},
    "content_type": {"type": ["string", "null"]}, "size": {"type": ["integer", "null"]},
    "parent_folder_id": {"type": ["string", "null"]}, "storage_provider": {"type": "string"},
    "record": REF_SCHEMA, "created_at": {"type": "string"}, "created_by": {"type": "string"},
    "has_children": {"type": ["boolean", "null"], "description": "Folders read with get_file: whether they hold "
                                                                 "anything."}},
    ["id", "type", "name", "content_type", "size", "parent_folder_id", "storage_provider", "record", "created_at",
     "created_by", "has_children"])
LIST_OUTPUT = object_schema({"record": REF_SCHEMA, "files": {"type": "array", "items": FILE_SCHEMA},
                             "next_cursor": NEXT_CURSOR}, ["record", "files", "next_cursor"])
ONE_OUTPUT = object_schema({"file": FILE_SCHEMA}, ["file"])
READ_OUTPUT = object_schema({
    "file": FILE_SCHEMA, "content": {"type": "string"}, "bytes_read": {"type": "integer"},
    "truncated": {"type": "boolean", "description": "True when the file is longer than max_bytes."}},
    ["file", "content", "bytes_read", "truncated"])
_FILE = {"description": "The file's id, as list_files returns it (a UUID)."}


class ListFilesArgs(CursorPageArgs):
    """Arguments of `list_files`."""

    record_id = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "The record whose files to list, as search returns it, e.g. \"companies:<uuid>\"."})
    folder_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "Only what is directly in this folder; leave out for every file and folder at any depth."})


class FileIdArgs(Schema):
    """Arguments of `get_file`."""

    file_id = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata=_FILE)


class ReadFileArgs(FileIdArgs):
    """Arguments of `read_file`."""

    max_bytes = fields.Integer(load_default=READ_DEFAULT, validate=validate.Range(min=1000, max=READ_MAX), metadata={
        "description": "Read at most this many bytes (1000-1000000, default 100000)."})


def entry(ctx: ToolContext, f: dict[str, Any], labels: RecordLabels) -> dict[str, Any]:
    """A file or folder as the tools return it."""
    return {"id": (f.get("id") or {}).get("file_id", ""), "type": f.get("file_type") or "file",
            "name": f.get("name"), "content_type": f.get("content_type"), "size": f.get("content_size"),
            "parent_folder_id": f.get("parent_folder_id"), "storage_provider": f.get("storage_provider") or "",
            "record": labels(f.get("object_slug") or "", f.get("record_id") or ""),
            "created_at": f.get("created_at") or "", "created_by": actor_name(ctx, f.get("created_by_actor")),
            "has_children": f.get("has_children")}


def entry_text(f: dict[str, Any]) -> str:
    """'- report.txt (file, text/plain, 1,024 bytes) · file id …'."""
    facts = [f["type"], f["content_type"] or "", f"{f['size']:,} bytes" if f["size"] is not None else "",
             f"on {f['storage_provider']}" if f["storage_provider"] not in ("", "attio") else "",
             "empty" if f["has_children"] is False else ""]
    name = one_line(f["name"]) if f["name"] else "(connected, unnamed)"
    inside = f" · in folder {f['parent_folder_id']}" if f["parent_folder_id"] else ""
    return f"- {name} ({', '.join(x for x in facts if x)}) · file id {f['id']}{inside}"


def _load(ctx: ToolContext, raw_id: str) -> dict[str, Any]:
    fid = check_uuid(raw_id, "file_id")
    try:
        return ctx.attio.get_file(fid)
    except AttioNotFound:
        raise no_such("file", fid, FILE_IDS) from None


def list_files(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """A record's files and folders; Attio's cursor pages."""
    labels = RecordLabels(ctx)
    obj, rid, record = load_id(ctx, args["record_id"])
    ref = labels.add(obj, rid, record)
    folder = check_uuid(args["folder_id"], "folder_id") if args["folder_id"] else None
    items, next_cursor = collect(lambda c, n: ctx.attio.list_files(obj, rid, parent_folder_id=folder, limit=n,
                                                                   cursor=c), args["cursor"], args["limit"])
    files = [entry(ctx, f, labels) for f in items]
    where = f"folder {folder} of {ref_text(ref)}" if folder else ref_text(ref)
    head = f"{len(files)} file(s) and folder(s) in {where}" + (" (more: pass next_cursor)." if next_cursor else ".")
    return result(ctx, {"record": ref, "files": files, "next_cursor": next_cursor},
                  "\n".join([head, *map(entry_text, files)]))


def get_file(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """One file or folder."""
    f = entry(ctx, _load(ctx, args["file_id"]), RecordLabels(ctx))
    return result(ctx, {"file": f}, f"{entry_text(f)}\n  on {ref_text(f['record'])}")


def is_text(content_type: str | None, data: bytes) -> bool:
    """A text file by its type, or, when the type says nothing, by its bytes (UTF-8 without NUL)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind.startswith(TEXT_TYPES) or kind.endswith(("+json", "+xml")):
        return True
    if kind not in ("", "application/octet-stream"):
        return False
    try:  # a prefix may end inside a character: decode it as the start of a stream
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return b"\0" not in data


def read_file(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    """A text file's content, up to max_bytes."""
    f = entry(ctx, _load(ctx, args["file_id"]), RecordLabels(ctx))
    if f["type"] != "file":
        hint = "list_files with folder_id lists what it holds." if f["type"] == "folder" else (
            f"Its content stays with {f['storage_provider'] or 'the storage provider'}; Attio only links it.")
        raise ToolError(f"{f['id']} is a {f['type']}, not a file stored in Attio: there is no content to read. "
                        f"{hint}")
    data, truncated, _ = ctx.attio.download_file(f["id"], max_bytes=args["max_bytes"])
    if not is_text(f["content_type"], data[:4096]):
        raise ToolError(f"{one_line(f['name'] or f['id'])} is a binary file ({f['content_type'] or 'unknown type'}, "
                        f"{f['size'] or len(data):,} bytes): read_file returns text files only. Its page in Attio: "
                        f"{f['record']['url']}.")
    text = data.decode("utf-8", errors="replace")
    if truncated and text.endswith("\ufffd"):
        text = text.rstrip("\ufffd")  # a character cut by the cap
    out = {"file": f, "content": text, "bytes_read": len(data), "truncated": truncated}
    head = (f"{one_line(f['name'] or f['id'])} ({f['content_type'] or 'text'}, {len(data):,} bytes"
            + (f" of {f['size']:,}; the rest was not read: raise max_bytes" if truncated and f["size"] else
               "; cut at max_bytes" if truncated else "") + "):")
    return result(ctx, out, f"{head}\n{text}")


def register(registry: Registry) -> None:
    """Add `list_files`, `get_file` and `read_file`."""
    registry.add_tool(Tool(
        name="list_files", title="List a record's files", handler=list_files, args=ListFilesArgs,
        output_schema=LIST_OUTPUT, annotations=READ, scope=READ_SCOPE,
        description=("List the files and folders attached to an Attio record (record_id from search): name, type "
                     "(file, folder, connected-file from Google Drive, Dropbox, …), content type and size. Pass "
                     "folder_id for one folder's contents. Read a text file with read_file. Returns {\"record\","
                     "\"files\":[{\"id\",\"type\",\"name\",\"content_type\",\"size\",\"parent_folder_id\"}],"
                     "\"next_cursor\"}. Example: "
                     "{\"record_id\": \"companies:549937a9-9b09-5351-a4ff-1972c1d8a132\"}.")))
    registry.add_tool(Tool(
        name="get_file", title="Get a file", handler=get_file, args=FileIdArgs, output_schema=ONE_OUTPUT,
        annotations=READ, scope=READ_SCOPE,
        description=("Read one file's or folder's details by id (from list_files): name, type, size, the record "
                     "it belongs to, and for a folder whether it holds anything. Example: {\"file_id\": "
                     "\"a1b2c3d4-e5f6-7890-abcd-ef1234567890\"}.")))
    registry.add_tool(Tool(
        name="read_file", title="Read a text file", handler=read_file, args=ReadFileArgs, output_schema=READ_OUTPUT,
        annotations=READ, scope=READ_SCOPE,
        description=("Read the content of a text file stored in Attio (text, CSV, JSON, markdown, …), up to "
                     "max_bytes (default 100000); binary files (PDF, images) and connected files are refused with "
                     "a reason. Returns {\"file\",\"content\",\"bytes_read\",\"truncated\"}. Example: "
                     "{\"file_id\": \"a1b2c3d4-e5f6-7890-abcd-ef1234567890\"}.")))
