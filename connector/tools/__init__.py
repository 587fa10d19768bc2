"""The tools, resources and prompts this connector publishes, one module per family."""
from __future__ import annotations

from ..mcp.registry import Registry
from . import (comments, emails, files, lists, meetings, members, notes, prompts, recordings, records, resources,
               schema, search, sql, tasks, views)
from .common import guard


def register_all(registry: Registry) -> None:
    """Register every published tool, resource and prompt."""
    search.register(registry)
    resources.register(registry)
    prompts.register(registry)
    # Tool families (each module's register() adds its tools), in the order tools/list shows them:
    # -- families: start --
    schema.register(registry)
    records.register(registry)
    views.register(registry)
    lists.register(registry)
    members.register(registry)
    notes.register(registry)
    tasks.register(registry)
    comments.register(registry)
    meetings.register(registry)
    recordings.register(registry)
    emails.register(registry)
    files.register(registry)
    sql.register(registry)
    # -- families: end --
    guard(registry)  # Attio failures become readable tool errors, in one place
