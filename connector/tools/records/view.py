"""How a record looks to every tool: its title, URL, summary, references by name, and its loading.

One place owns the record's reading: `load` (through the tenant cache) and the one "no such record" error,
`resolver` (referenced records and members by name), `RecordLabels` (id, title and link of records other
things point at: notes, tasks, comments, meetings), and the summary and text renderings the tools return.
"""
from __future__ import annotations

from typing import Any, Callable

from ...attio.errors import AttioNotFound
from ...attio.render import record_title, record_url, render_record, render_value
from ...mcp.context import ToolContext
from ...mcp.registry import ToolError
from .. import workspace
from ..common import no_such, object_schema, parse_record_id, record_key

RECORD_URI = "attio://records/{object}/{record_id}"  # a record as an MCP resource (the template in resources.py)

MAX_RESOLVED = 10  # referenced records named per call (through the tenant cache)
LABEL_BUDGET = 10  # record titles looked up per call for labels (cached); the rest show id + link only
_HIDDEN = frozenset({"record_id"})
SEARCH_AGAIN = "Search again (search_records or search) to get a current id."

RECORD_SUMMARY = object_schema({
    "id": {"type": "string", "description": "'<object>:<record id>', the id every record tool takes."},
    "object": {"type": "string"}, "record_id": {"type": "string"}, "title": {"type": "string"},
    "url": {"type": "string"},
    "values": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
               "description": "Each filled attribute's values as readable text, by attribute slug."},
}, ["id", "object", "record_id", "title", "url", "values"])

HIT_SCHEMA = object_schema({"id": {"type": "string"}, "object": {"type": "string"},
                            "record_id": {"type": "string"}, "title": {"type": "string"},
                            "url": {"type": "string"}}, ["id", "object", "record_id", "title", "url"])

REF_SCHEMA = {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": ["string", "null"]},
                                              "url": {"type": "string"}}, "required": ["id", "title", "url"]}


# -- reading ----------------------------------------------------------------------------------

def not_found(obj: str, rid: str, *, already: bool = False) -> ToolError:
    """The one error for a record that does not exist (or no longer does)."""
    return no_such(f"{obj} record", rid, SEARCH_AGAIN, already=already)


def check_object(ctx: ToolContext, obj: str, raw: str | None = None) -> None:
    """A ToolError listing this workspace's objects when `obj` is not one of them."""
    known = workspace.objects(ctx)
    if obj not in known:
        where = f" in {raw!r}" if raw and raw != obj else ""
        raise ToolError(f"Unknown object {obj!r}{where}: this workspace's objects are "
                        f"{', '.join(sorted(known))}. Use an id exactly as search returns it.")


def peek(ctx: ToolContext, obj: str, rid: str) -> dict[str, Any] | None:
    """One record through the tenant cache, or None when it does not exist."""
    try:
        return ctx.services.cached(ctx.caller, record_key(obj, rid), lambda: ctx.attio.get_record(obj, rid))
    except AttioNotFound as exc:
        if exc.code == "merge_in_progress":  # it exists, Attio is still making it: its own error says so
            raise
        return None


def named(ctx: ToolContext, obj: str, rid: str) -> dict[str, Any] | None:
    """A record only to name it (a reference, a label): None when it cannot be read now, even mid-merge."""
    try:
        return peek(ctx, obj, rid)
    except AttioNotFound:
        return None


def load(ctx: ToolContext, obj: str, rid: str) -> dict[str, Any]:
    """One record through the tenant cache, or the ToolError saying it does not exist."""
    record = peek(ctx, obj, rid)
    if record is None:
        raise not_found(obj, rid)
    return record


def load_id(ctx: ToolContext, raw_id: str) -> tuple[str, str, dict[str, Any]]:
    """(object, record id, record) for a '<object>:<uuid>' id: its format, its object, then the record."""
    obj, rid = parse_record_id(raw_id)
    check_object(ctx, obj, raw_id)
    return obj, rid, load(ctx, obj, rid)


# -- naming -----------------------------------------------------------------------------------

def title(ctx: ToolContext, record: dict[str, Any], obj: str) -> str:
    """The record's human title (a person's name, a company's name or domain, …)."""
    return record_title(record, obj, singular=workspace.singular(ctx, obj))


def url(ctx: ToolContext, obj: str, rid: str, record: dict[str, Any] | None = None) -> str:
    """The record's page in the Attio web app (its web_url when Attio gave one)."""
    if record and record.get("web_url"):
        return record["web_url"]
    slug = workspace.workspace(ctx).get("workspace_slug", "")
    return record_url(slug, obj, rid, workspace.singular(ctx, obj))


def linker(ctx: ToolContext) -> Callable[[str, str], str]:
    """`url` for many records of one call: the workspace slug and the object nouns are looked up once."""
    slug = workspace.workspace(ctx).get("workspace_slug", "")
    nouns: dict[str, str] = {}

    def link(obj: str, rid: str) -> str:
        noun = nouns.get(obj)
        if noun is None:
            noun = nouns[obj] = workspace.singular(ctx, obj)
        return record_url(slug, obj, rid, noun)
    return link


def resolver(ctx: ToolContext) -> Callable[[str, str], str | None]:
    """Names referenced records (up to MAX_RESOLVED, cached) and workspace members."""
    members = workspace.member_names(ctx)
    budget = [MAX_RESOLVED]

    def resolve(target: str, target_id: str) -> str | None:
        if target == "workspace-member":
            return members.get(target_id)
        if budget[0] <= 0:
            return None
        budget[0] -= 1
        found = named(ctx, target, target_id)
        return record_title(found, target) if found is not None else None
    return resolve


class RecordLabels:
    """'<object>:<uuid>' → {"id", "title", "url"}, naming at most LABEL_BUDGET records per call."""

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx, self.budget, self.seen = ctx, LABEL_BUDGET, {}

    def add(self, obj: str, rid: str, record: dict[str, Any]) -> dict[str, Any]:
        """Remember a record already read."""
        self.seen[(obj, rid)] = {"id": f"{obj}:{rid}", "title": record_title(record, obj),
                                 "url": url(self.ctx, obj, rid, record)}
        return self.seen[(obj, rid)]

    def __call__(self, obj: str, rid: str) -> dict[str, Any]:
        if (obj, rid) in self.seen:
            return self.seen[(obj, rid)]
        if self.budget > 0 and obj in workspace.objects(self.ctx):
            self.budget -= 1
            record = named(self.ctx, obj, rid)
            if record is not None:
                return self.add(obj, rid, record)
        self.seen[(obj, rid)] = {"id": f"{obj}:{rid}", "title": None, "url": url(self.ctx, obj, rid)}
        return self.seen[(obj, rid)]


def ref_text(ref: dict[str, Any]) -> str:
    """'Brightwave Energy (companies:<uuid>, <url>)'."""
    inner = f"{ref['id']}, {ref['url']}"
    return f"{ref['title']} ({inner})" if ref.get("title") else inner


# -- the shapes tools return --------------------------------------------------------------------

def hit(ctx: ToolContext, obj: str, rid: str, name: str, record: dict[str, Any] | None = None) -> dict[str, Any]:
    """The short form of a record: id, object, record id, title and url."""
    return {"id": f"{obj}:{rid}", "object": obj, "record_id": rid, "title": name, "url": url(ctx, obj, rid, record)}


def hit_line(item: dict[str, Any]) -> str:
    """One line per record in list results."""
    return f"- {item['title']} ({item['id']}) {item['url']}"


def summarize(ctx: ToolContext, record: dict[str, Any], obj: str,
              resolve: Callable[[str, str], str | None] | None = None) -> dict[str, Any]:
    """A record as the tools return it: id, title, url and every filled attribute as readable text."""
    rid = (record.get("id") or {}).get("record_id", "")
    values: dict[str, list[str]] = {}
    members = workspace.member_names(ctx)  # cached: owners and creators read as names
    for slug, items in (record.get("values") or {}).items():
        if slug in _HIDDEN or not items:
            continue
        shown = [render_value(i, resolve=resolve, resolve_actor=members.get) for i in items if isinstance(i, dict)]
        shown = [s for s in shown if s]
        if shown:
            values[slug] = shown
    return {**hit(ctx, obj, rid, title(ctx, record, obj), record), "values": values}


def summary_text(ctx: ToolContext, summary: dict[str, Any], heading: str | None = None) -> str:
    """A summary as text: a heading line, then '<Attribute title>: <values>' per filled attribute."""
    titles = workspace.attribute_titles(ctx, summary["object"])
    lines = [heading or f"{workspace.singular(ctx, summary['object'])}: {summary['title']}",
             f"id: {summary['id']}", f"url: {summary['url']}"]
    for slug, shown in summary["values"].items():
        lines.append(f"{titles.get(slug, slug)}: {', '.join(shown)}".replace("\n", "\n  "))
    return "\n".join(lines)


def document(ctx: ToolContext, obj: str, rid: str) -> tuple[dict[str, Any], str, str]:
    """One record as a readable document (fetch, the record resource, prompts): (record, title, text).

    The rendering is derived from the cached record and workspace facts and kept with them (`derived`): it is
    made again when one of them is read anew or a write of the tenant (a referenced record's name) passes."""
    record = load(ctx, obj, rid)
    facts = (record, workspace.objects(ctx), workspace.attribute_titles(ctx, obj), workspace.members(ctx))

    def render() -> tuple[str, str]:
        text = render_record(record, obj, singular=workspace.singular(ctx, obj),
                             attribute_titles=workspace.attribute_titles(ctx, obj), resolve=resolver(ctx))
        return record_title(record, obj), text
    name, text = ctx.services.derived(ctx.caller, f"doc:{obj}:{rid}", facts, render)
    return record, name, text
