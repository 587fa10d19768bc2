"""The registry that tools, resources and prompts plug into.

A `Registry` is plain data: the protocol layer (`server.py`) reads it to answer
`tools/list`, `tools/call`, `resources/*`, `prompts/*` and `completion/complete`.
Tests and the conformance build register extra entries through the same calls.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from marshmallow import Schema

from . import confirmation, headers
from .schema_gen import schema_to_json

TOOL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
TASK_SUPPORT = ("forbidden", "optional", "required")


@dataclass
class ToolResult:
    """What a tool returns: content blocks, optional structured content, error flag."""

    content: list[dict[str, Any]]
    structured: dict[str, Any] | None = None
    is_error: bool = False
    meta: dict[str, Any] | None = None

    @classmethod
    def text(cls, text: str, *, is_error: bool = False) -> "ToolResult":
        """A result holding one text block."""
        return cls(content=[{"type": "text", "text": text}], is_error=is_error)

    @classmethod
    def error(cls, message: str) -> "ToolResult":
        """A tool-level failure the model can read and act on."""
        return cls.text(message, is_error=True)

    def to_wire(self) -> dict[str, Any]:
        """The `CallToolResult` object as sent on the wire."""
        out: dict[str, Any] = {"content": self.content, "isError": self.is_error}
        if self.structured is not None:
            out["structuredContent"] = self.structured
        if self.meta:
            out["_meta"] = self.meta
        return out


class ToolError(Exception):
    """Raised inside a tool (or a resource/prompt reader) to end the call with a readable failure: an `isError`
    result for a tool. `kind` says what a resource read or a prompt makes of it: "invalid" (the request named
    something malformed) and "missing" (it named nothing that exists) are resource-not-found; "upstream" (the
    backend failed) is an internal error."""

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Tool:
    """One tool: its descriptor and the function that runs it.

    `args` is a marshmallow schema class (validated, and the JSON Schema comes
    from it) or a raw JSON Schema dict (sent verbatim, not validated here).
    `handler(ctx, args)` returns a `ToolResult`, or a dict for structured-only tools.
    A tool annotated `destructiveHint: true` must call `ctx.confirm(action)` before it changes
    anything: it gets the optional `confirmation_token` argument and the not-done output shape here.
    """

    name: str
    description: str
    handler: Callable[..., Any]
    args: type[Schema] | dict[str, Any] | None = None
    title: str | None = None
    output_schema: dict[str, Any] | None = None
    annotations: dict[str, Any] = field(default_factory=dict)
    scope: str = "attio:read"
    meta: dict[str, Any] | None = None
    # True for tools that send server→client requests or timed notifications while they run: their calls
    # always get a live SSE reply. Others run inline; progress still streams live when a client asks for it.
    streaming: bool = False
    # The tasks extension (2026-07-28 clients that declare it; connector.mcp.tasks): "optional" — a call answers
    # with a task handle once it outlasts a short grace period or calls ctx.start_task(), else inline as usual;
    # "required" — the same, and a client without the extension gets -32021 instead of running it; "forbidden"
    # — never a task. Session (2025) clients always get the ordinary call.
    task_support: str = "forbidden"

    def __post_init__(self) -> None:
        if not TOOL_NAME.match(self.name):
            raise ValueError(f"invalid tool name {self.name!r}")
        if self.task_support not in TASK_SUPPORT:
            raise ValueError(f"task_support of {self.name!r} must be one of {', '.join(TASK_SUPPORT)}")
        self._input_schema = self._build_input_schema()
        # (property path, header name) of each parameter a client mirrors into Mcp-Param-*, checked once here.
        self.mirrored = headers.validate_annotations(self._input_schema)
        self._loader = self.args() if isinstance(self.args, type) else None
        if self.destructive:
            self.streaming = True  # asking the user (elicitation) needs a live stream
            self._input_schema = confirmation.input_schema(self._input_schema)
            if self.output_schema is not None:
                self.output_schema = confirmation.output_schema(self.output_schema)

    @property
    def destructive(self) -> bool:
        """True when the tool may destroy data: its calls go through confirmation."""
        return self.annotations.get("destructiveHint") is True

    def _build_input_schema(self) -> dict[str, Any]:
        if self.args is None:
            return {"type": "object", "properties": {}, "additionalProperties": False}
        if isinstance(self.args, dict):
            return self.args
        return schema_to_json(self.args)

    @property
    def input_schema(self) -> dict[str, Any]:
        """The tool's `inputSchema` (JSON Schema 2020-12)."""
        return self._input_schema

    def load_args(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Validate arguments; raises marshmallow.ValidationError."""
        if self._loader is None:
            return dict(raw)
        return self._loader.load(raw)

    def descriptor(self) -> dict[str, Any]:
        """The entry in `tools/list`."""
        out: dict[str, Any] = {"name": self.name, "description": self.description,
                               "inputSchema": self.input_schema}
        if self.title:
            out["title"] = self.title
        if self.output_schema is not None:
            out["outputSchema"] = self.output_schema
        if self.annotations:
            out["annotations"] = {"title": self.title, **self.annotations} if self.title else dict(self.annotations)
        meta = {"securitySchemes": [{"type": "oauth2", "scopes": [self.scope]}]}
        if self.meta:
            meta.update(self.meta)
        out["_meta"] = meta
        return out


@dataclass
class Resource:
    """A fixed resource: `read(ctx)` returns a list of contents dicts."""

    uri: str
    name: str
    read: Callable[..., list[dict[str, Any]]]
    description: str | None = None
    mime_type: str | None = None
    title: str | None = None
    subscribable: bool = False

    def descriptor(self) -> dict[str, Any]:
        """The entry in `resources/list`."""
        out = {"uri": self.uri, "name": self.name}
        for key, value in (("title", self.title), ("description", self.description),
                           ("mimeType", self.mime_type)):
            if value:
                out[key] = value
        return out


@dataclass
class ResourceTemplate:
    """A URI template; `match(uri)` gives the variables, `read(ctx, **vars)` the contents."""

    uri_template: str
    name: str
    read: Callable[..., list[dict[str, Any]]]
    description: str | None = None
    mime_type: str | None = None
    title: str | None = None
    complete: Callable[..., list[str]] | None = None

    def __post_init__(self) -> None:
        parts = re.split(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", self.uri_template)
        pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
        self._pattern = re.compile(f"^{pattern}$")

    def match(self, uri: str) -> dict[str, str] | None:
        """The template variables if `uri` fits this template."""
        m = self._pattern.match(uri)
        return m.groupdict() if m else None

    def descriptor(self) -> dict[str, Any]:
        """The entry in `resources/templates/list`."""
        out = {"uriTemplate": self.uri_template, "name": self.name}
        for key, value in (("title", self.title), ("description", self.description),
                           ("mimeType", self.mime_type)):
            if value:
                out[key] = value
        return out


@dataclass
class PromptArgument:
    """One named prompt argument."""

    name: str
    description: str = ""
    required: bool = False


@dataclass
class Prompt:
    """A prompt: `render(ctx, args)` returns the `messages` list."""

    name: str
    description: str
    render: Callable[..., list[dict[str, Any]]]
    arguments: list[PromptArgument] = field(default_factory=list)
    title: str | None = None
    complete: Callable[..., list[str]] | None = None

    def descriptor(self) -> dict[str, Any]:
        """The entry in `prompts/list`."""
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.title:
            out["title"] = self.title
        if self.arguments:
            out["arguments"] = [{"name": a.name, "description": a.description, "required": a.required}
                                for a in self.arguments]
        return out


class Registry:
    """Ordered collections of tools, resources, templates and prompts."""

    def __init__(self) -> None:
        self.tools: dict[str, Tool] = {}
        self.resources: dict[str, Resource] = {}
        self.templates: list[ResourceTemplate] = []
        self.prompts: dict[str, Prompt] = {}
        # Set by the app factory (prompt-injection screening, connector.security): every tools/call,
        # resources/read and prompts/get result passes through `result_filter(ctx, source, result)` before
        # it is sent, and `argument_check(tool, arguments)` may refuse structurally abusive arguments.
        self.result_filter: Callable[[Any, str, dict[str, Any]], dict[str, Any]] | None = None
        self.argument_check: Callable[[Tool, Any], str | None] | None = None
        # The change kinds something in this build announces (ctx.changed): "toolsListChanged",
        # "promptsListChanged", "resourcesListChanged", "resourceUpdated". subscriptions/listen offers these.
        self.announces: set[str] = set()

    def add_tool(self, tool: Tool) -> Tool:
        """Register a tool; names are unique."""
        if tool.name in self.tools:
            raise ValueError(f"tool {tool.name!r} is already registered")
        self.tools[tool.name] = tool
        return tool

    def remove_tool(self, name: str) -> None:
        """Unregister a tool (a list change: announce it with ctx.changed("toolsListChanged"))."""
        self.tools.pop(name, None)

    def remove_prompt(self, name: str) -> None:
        """Unregister a prompt."""
        self.prompts.pop(name, None)

    def add_resource(self, resource: Resource) -> Resource:
        """Register a fixed resource."""
        self.resources[resource.uri] = resource
        return resource

    def add_template(self, template: ResourceTemplate) -> ResourceTemplate:
        """Register a resource template."""
        self.templates.append(template)
        return template

    def add_prompt(self, prompt: Prompt) -> Prompt:
        """Register a prompt; names are unique."""
        if prompt.name in self.prompts:
            raise ValueError(f"prompt {prompt.name!r} is already registered")
        self.prompts[prompt.name] = prompt
        return prompt

    def find_template(self, uri: str) -> tuple[ResourceTemplate, dict[str, str]] | None:
        """The first template matching `uri`, with its variables."""
        for template in self.templates:
            found = template.match(uri)
            if found is not None:
                return template, found
        return None
