"""Render docs/tools.md from the registry, so the document cannot drift from the code.

`python -m connector.tools.docs > docs/tools.md` regenerates it; a test compares.
"""
from __future__ import annotations

import json
from typing import Any

from ..mcp.registry import Registry

HEADER = """# Tools, resources and prompts

Generated from the registry by `python -m connector.tools.docs > docs/tools.md`; a test fails
when this file and the code disagree. Every tool returns `structuredContent` matching its
`outputSchema` plus the same JSON in one text block; failures come back as `isError` results
with a message that says how to fix the call. Writes are read back: their `differences` list
every value Attio did not store as sent (a silent default shows up there, not as a success).

## Destructive tools ask first

Every tool annotated `destructiveHint: true` (the deletes, `remove_from_list` and `merge_records`) goes
through one mechanism (`connector/mcp/confirmation.py`) and changes nothing on a first call, whatever the
client:

- **The client supports elicitation**: the user is asked, with the exact action; a decline or cancel
  returns `{"status": "declined" | "cancelled", "action", "arguments"}` and nothing changed.
- **Otherwise** the first call returns (not as an error) `{"status": "confirmation_required",
  "action", "arguments", "confirmation_token", "expires_at", "expires_in_seconds"}`. The model asks
  the user; only if they agree it repeats the call with the same arguments plus
  `confirmation_token`. The token is signed, bound to the caller (subject and OAuth client), the
  tool and every other argument, lasts `CONFIRMATION_TTL_SECONDS` (default 300) and works once.
  A token for another target, tool or caller, an expired, used or altered one is refused with an
  `isError` result that says to call again without the token.

Why a token and not a `confirm: true` flag: a flag is something a model (or text injected into
its context) can set on the first call; the token exists only after the first call has shown the
exact action, and only for that caller, tool and target. The same token will serve as the
`requestState` of an `input_required` result (MCP 2026-07-28). Each destructive tool's
`outputSchema` is `anyOf` its own result and this not-done result.
"""


def _hints(annotations: dict[str, Any]) -> str:
    keys = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
    return ", ".join(f"`{k}: {str(annotations[k]).lower()}`" for k in keys if k in annotations)


def _args(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type", "any")
        kind = "/".join(kind) if isinstance(kind, list) else kind
        rows.append(f"| `{name}` | {kind} | {'yes' if name in required else 'no'} | {prop.get('description', '')} |")
    return rows


def render(registry: Registry) -> str:
    """The whole markdown document."""
    out = [HEADER, "## Tools\n"]
    for tool in registry.tools.values():
        out.append(f"### `{tool.name}` — {tool.title or tool.name}\n")
        out.append(f"{tool.description}\n")
        out.append(f"- Scope: `{tool.scope}`")
        out.append(f"- Annotations: {_hints(tool.annotations)}\n")
        rows = _args(tool.input_schema)
        if rows:
            out += ["| argument | type | required | description |", "| --- | --- | --- | --- |", *rows, ""]
        if tool.output_schema:
            out.append("Output schema:\n\n```json\n" + json.dumps(tool.output_schema, indent=2) + "\n```\n")
    out.append("## Resources\n")
    out += [f"- `{r.uri}` ({r.mime_type}): {r.description}" for r in registry.resources.values()]
    out += [f"- `{t.uri_template}` ({t.mime_type}): {t.description}" for t in registry.templates]
    out.append("\n## Prompts\n")
    for p in registry.prompts.values():
        args = ", ".join(f"`{a.name}`{'' if a.required else ' (optional)'}" for a in p.arguments)
        out.append(f"- `{p.name}`({args}): {p.description}")
    return "\n".join(out) + "\n"


def published_registry() -> Registry:
    """The registry exactly as the product publishes it."""
    from . import register_all

    registry = Registry()
    register_all(registry)
    return registry


if __name__ == "__main__":
    print(render(published_registry()), end="")
