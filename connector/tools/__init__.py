"""The tools, resources and prompts this connector publishes, one module per family."""
from __future__ import annotations

from ..mcp.registry import Registry
from . import comments, lists, members, notes, prompts, records, resources, schema, search, tasks
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
    lists.register(registry)
    members.register(registry)
    notes.register(registry)
    tasks.register(registry)
    comments.register(registry)
    # -- families: end --
    guard(registry)  # Attio failures become readable tool errors, in one place
