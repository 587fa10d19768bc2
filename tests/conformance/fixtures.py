"""The fixture tools, resources and prompts the MCP conformance suite names.

Registered through the public registry only, into a conformance build of the
real app (see `wsgi.py` beside this file). Never part of the product.
"""
from __future__ import annotations

import base64
import io
import struct
import wave
from typing import Any

import gevent

from connector.mcp.registry import (Prompt, PromptArgument, Registry, Resource, ResourceTemplate, Tool,
                                    ToolError, ToolResult)

from .fixtures_tasks import register_tasks

# A 1×1 transparent PNG.
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
SILENT = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False}


def _wav() -> str:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(struct.pack("<" + "h" * 80, *([0] * 80)))
    return base64.b64encode(buf.getvalue()).decode()


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _tool(registry: Registry, name: str, handler: Any, args: dict[str, Any] | None = None,
          description: str | None = None, streaming: bool = False) -> None:
    registry.add_tool(Tool(name=name, description=description or f"Conformance fixture {name}",
                           handler=handler, args=args, annotations=SILENT, streaming=streaming))


def _string_args(*names: str) -> dict[str, Any]:
    return {"type": "object", "properties": {n: {"type": "string"} for n in names}, "required": list(names)}


def logging_tool(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Three info log messages about 50 ms apart."""
    for i, text in enumerate(("Tool execution started", "Tool processing data", "Tool execution completed")):
        if i:
            gevent.sleep(0.05)
        ctx.log("info", text)
    return ToolResult.text("Tool with logging executed successfully")


def progress_tool(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Progress 0, 50, 100 of 100."""
    for i, value in enumerate((0, 50, 100)):
        if i:
            gevent.sleep(0.05)
        ctx.progress(value, 100, f"Completed step {i + 1} of 3")
    return ToolResult.text("Tool with progress executed successfully")


def sampling_tool(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Ask the client's model through sampling/createMessage."""
    if not ctx.client_supports("sampling"):
        raise ToolError("The client does not support sampling")
    answer = ctx.request("sampling/createMessage", {
        "messages": [{"role": "user", "content": _text(args.get("prompt", ""))}], "maxTokens": 100})
    content = answer.get("content") or {}
    return ToolResult.text(f"LLM response: {content.get('text', '') if isinstance(content, dict) else content}")


def _elicit(ctx: Any, message: str, schema: dict[str, Any]) -> dict[str, Any]:
    if not ctx.client_supports("elicitation"):
        raise ToolError("The client does not support elicitation")
    return ctx.request("elicitation/create", {"message": message, "requestedSchema": schema})


def elicitation_tool(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Ask the user for a username and an email."""
    answer = _elicit(ctx, args.get("message", ""), {
        "type": "object", "properties": {"username": {"type": "string", "description": "User's response"},
                                         "email": {"type": "string", "description": "User's email address"}},
        "required": ["username", "email"]})
    return ToolResult.text(f"User response: action={answer.get('action')}, content={answer.get('content')}")


def defaults_tool(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """SEP-1034: every primitive type with a default."""
    answer = _elicit(ctx, "Please review and update the form fields with defaults", {
        "type": "object", "properties": {
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {"type": "string", "description": "User status", "enum": ["active", "inactive", "pending"],
                       "default": "active"},
            "verified": {"type": "boolean", "description": "Verification status", "default": True}},
        "required": []})
    return ToolResult.text(f"Elicitation completed: action={answer.get('action')}, content={answer.get('content')}")


def enums_tool(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """SEP-1330: the five enum forms."""
    answer = _elicit(ctx, "Please select options from the enum fields", {
        "type": "object", "properties": {
            "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {"type": "string", "oneOf": [{"const": "value1", "title": "First Option"},
                                                         {"const": "value2", "title": "Second Option"},
                                                         {"const": "value3", "title": "Third Option"}]},
            "legacyEnum": {"type": "string", "enum": ["opt1", "opt2", "opt3"],
                           "enumNames": ["Option One", "Option Two", "Option Three"]},
            "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
            "titledMulti": {"type": "array", "items": {"anyOf": [{"const": "value1", "title": "First Choice"},
                                                                  {"const": "value2", "title": "Second Choice"},
                                                                  {"const": "value3", "title": "Third Choice"}]}}},
        "required": []})
    return ToolResult.text(f"Elicitation completed: action={answer.get('action')}, content={answer.get('content')}")


SCHEMA_2020 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
    "$defs": {"address": {"$anchor": "addressDef", "type": "object",
                          "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
    "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"},
                   "contactMethod": {"type": "string", "enum": ["phone", "email"]},
                   "phone": {"type": "string"}, "email": {"type": "string"}},
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]}, "else": {"required": ["email"]},
    "additionalProperties": False,
}


def register_tools(registry: Registry) -> None:
    """The tools of the tools-call-* scenarios."""
    wav = _wav()
    _tool(registry, "test_simple_text", lambda ctx, a: ToolResult.text("This is a simple text response for testing."))
    _tool(registry, "test_image_content",
          lambda ctx, a: ToolResult([{"type": "image", "data": PNG, "mimeType": "image/png"}]))
    _tool(registry, "test_audio_content",
          lambda ctx, a: ToolResult([{"type": "audio", "data": wav, "mimeType": "audio/wav"}]))
    _tool(registry, "test_embedded_resource", lambda ctx, a: ToolResult([{"type": "resource", "resource": {
        "uri": "test://embedded-resource", "mimeType": "text/plain",
        "text": "This is an embedded resource content."}}]))
    _tool(registry, "test_multiple_content_types", lambda ctx, a: ToolResult([
        _text("Multiple content types test:"), {"type": "image", "data": PNG, "mimeType": "image/png"},
        {"type": "resource", "resource": {"uri": "test://mixed-content-resource", "mimeType": "application/json",
                                          "text": '{"test":"data","value":123}'}}]))
    _tool(registry, "test_tool_with_logging", logging_tool, streaming=True)
    _tool(registry, "test_tool_with_progress", progress_tool)
    _tool(registry, "test_error_handling",
          lambda ctx, a: ToolResult.error("This tool intentionally returns an error for testing"))
    _tool(registry, "test_sampling", sampling_tool, _string_args("prompt"), streaming=True)
    _tool(registry, "test_elicitation", elicitation_tool, _string_args("message"), streaming=True)
    _tool(registry, "test_elicitation_sep1034_defaults", defaults_tool, streaming=True)
    _tool(registry, "test_elicitation_sep1330_enums", enums_tool, streaming=True)
    _tool(registry, "json_schema_2020_12_tool", lambda ctx, a: ToolResult.text(f"Received: {a}"), SCHEMA_2020,
          "Tool with JSON Schema 2020-12 features")
    _tool(registry, "test_reconnection", lambda ctx, a: ToolResult.text("Reconnection test completed successfully"))


def register_resources(registry: Registry) -> None:
    """The resources of the resources-* scenarios."""
    registry.add_resource(Resource(
        uri="test://static-text", name="static-text", description="A static text resource", mime_type="text/plain",
        read=lambda ctx: [{"uri": "test://static-text", "mimeType": "text/plain",
                           "text": "This is the content of the static text resource."}]))
    registry.add_resource(Resource(
        uri="test://static-binary", name="static-binary", description="A static binary resource (PNG)",
        mime_type="image/png",
        read=lambda ctx: [{"uri": "test://static-binary", "mimeType": "image/png", "blob": PNG}]))
    registry.add_resource(Resource(
        uri="test://watched-resource", name="watched-resource", description="A resource that can be subscribed to",
        mime_type="text/plain", subscribable=True,
        read=lambda ctx: [{"uri": "test://watched-resource", "mimeType": "text/plain", "text": "Watched content"}]))
    registry.add_template(ResourceTemplate(
        uri_template="test://template/{id}/data", name="template-data", description="Data by id",
        mime_type="application/json",
        read=lambda ctx, id: [{"uri": f"test://template/{id}/data", "mimeType": "application/json",
                               "text": f'{{"id":"{id}","templateTest":true,"data":"Data for ID: {id}"}}'}]))


def register_prompts(registry: Registry) -> None:
    """The prompts of the prompts-* scenarios."""
    registry.add_prompt(Prompt(
        name="test_simple_prompt", description="A simple prompt without arguments",
        render=lambda ctx, a: [{"role": "user", "content": _text("This is a simple prompt for testing.")}]))
    registry.add_prompt(Prompt(
        name="test_prompt_with_arguments", description="A prompt with arguments",
        arguments=[PromptArgument("arg1", "First test argument", True),
                   PromptArgument("arg2", "Second test argument", True)],
        render=lambda ctx, a: [{"role": "user", "content": _text(
            f"Prompt with arguments: arg1='{a.get('arg1')}', arg2='{a.get('arg2')}'")}],
        complete=lambda ctx, name, value, context: [v for v in ("paris", "park", "party", "test", "testing")
                                                    if v.startswith(value)]))
    registry.add_prompt(Prompt(
        name="test_prompt_with_embedded_resource", description="A prompt with an embedded resource",
        arguments=[PromptArgument("resourceUri", "URI of the resource to embed", True)],
        render=lambda ctx, a: [
            {"role": "user", "content": {"type": "resource", "resource": {
                "uri": a["resourceUri"], "mimeType": "text/plain", "text": "Embedded resource content for testing."}}},
            {"role": "user", "content": _text("Please process the embedded resource above.")}]))
    registry.add_prompt(Prompt(
        name="test_prompt_with_image", description="A prompt with an image",
        render=lambda ctx, a: [{"role": "user", "content": {"type": "image", "data": PNG, "mimeType": "image/png"}},
                               {"role": "user", "content": _text("Please analyze the image above.")}]))


def _elicit_request(message: str, prop: str, kind: str = "string") -> dict[str, Any]:
    return {"method": "elicitation/create", "params": {"mode": "form", "message": message, "requestedSchema": {
        "type": "object", "properties": {prop: {"type": kind}}, "required": [prop]}}}


def _sampling_request(text: str, max_tokens: int) -> dict[str, Any]:
    return {"method": "sampling/createMessage", "params": {
        "messages": [{"role": "user", "content": _text(text)}], "maxTokens": max_tokens}}


ROOTS_REQUEST = {"method": "roots/list", "params": {}}


def _content(answer: dict[str, Any]) -> dict[str, Any]:
    return answer.get("content") if isinstance(answer.get("content"), dict) else {}


def mrtr_elicitation(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """One elicitation round (input-required-result-basic-elicitation and friends)."""
    answer = ctx.ask({"user_name": _elicit_request("What is your name?", "name")})["user_name"]
    return ToolResult.text(f"Hello, {_content(answer).get('name', 'there')}!")


def mrtr_sampling(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """One sampling round."""
    answer = ctx.ask({"capital_question": _sampling_request("What is the capital of France?", 100)})
    content = answer["capital_question"].get("content")
    return ToolResult.text(f"LLM said: {content.get('text', '') if isinstance(content, dict) else content}")


def mrtr_roots(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """One roots/list round."""
    roots = ctx.ask({"client_roots": ROOTS_REQUEST})["client_roots"].get("roots") or []
    return ToolResult.text(f"Client roots: {', '.join(str(r.get('uri')) for r in roots) or 'none'}")


def mrtr_request_state(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """An elicitation whose round carries requestState."""
    answer = ctx.ask({"confirm": _elicit_request("Please confirm", "ok", "boolean")})["confirm"]
    return ToolResult.text(f"Confirmed: {_content(answer).get('ok')}")


def mrtr_multiple(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Elicitation, sampling and roots in one round."""
    answers = ctx.ask({"user_name": _elicit_request("What is your name?", "name"),
                       "greeting": _sampling_request("Generate a greeting", 50), "client_roots": ROOTS_REQUEST})
    greeting = answers["greeting"].get("content")
    return ToolResult.text(f"{greeting.get('text') if isinstance(greeting, dict) else greeting}, "
                           f"{_content(answers['user_name']).get('name')}; roots: "
                           f"{len(answers['client_roots'].get('roots') or [])}")


def mrtr_multi_round(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Two rounds, one question each; the first answer travels in requestState."""
    name = _content(ctx.ask({"step1": _elicit_request("Step 1: What is your name?", "name")})["step1"]).get("name")
    color = _content(ctx.ask({"step2": _elicit_request("Step 2: What is your favorite color?", "color")})["step2"])
    return ToolResult.text(f"{name} likes {color.get('color')}")


def mrtr_capabilities(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Asks only for what the client declared."""
    wanted: dict[str, Any] = {}
    if ctx.client_supports("elicitation"):
        wanted["user_name"] = _elicit_request("What is your name?", "name")
    if ctx.client_supports("sampling"):
        wanted["greeting"] = _sampling_request("Generate a greeting", 50)
    if ctx.client_supports("roots"):
        wanted["client_roots"] = ROOTS_REQUEST
    answers = ctx.ask(wanted) if wanted else {}
    return ToolResult.text(f"Answered: {', '.join(sorted(answers)) or 'nothing to ask'}")


def missing_capability(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Needs sampling: a client that did not declare it gets MissingRequiredClientCapability (-32021)."""
    answer = ctx.ask({"completion": _sampling_request("Say hello", 20)})
    return ToolResult.text(f"Sampled: {answer['completion'].get('content')}")


def streaming_elicitation(ctx: Any, args: dict[str, Any]) -> ToolResult:
    """Reports progress, then asks the user: the question comes back as input_required, never as a request."""
    ctx.progress(0, 1, "About to ask")
    answer = ctx.ask({"user_name": _elicit_request("What is your name?", "name")})["user_name"]
    return ToolResult.text(f"Hello, {_content(answer).get('name')}!")


def _toggle_tool(ctx: Any, args: dict[str, Any]) -> ToolResult:
    registry = ctx.registry
    if "test_dynamic_tool" in registry.tools:
        registry.remove_tool("test_dynamic_tool")
    else:
        _tool(registry, "test_dynamic_tool", lambda c, a: ToolResult.text("dynamic"))
    ctx.changed("toolsListChanged")
    return ToolResult.text("Tool list changed")


def _toggle_prompt(ctx: Any, args: dict[str, Any]) -> ToolResult:
    registry = ctx.registry
    if "test_dynamic_prompt" in registry.prompts:
        registry.remove_prompt("test_dynamic_prompt")
    else:
        registry.add_prompt(Prompt(name="test_dynamic_prompt", description="Appears and disappears",
                                   render=lambda c, a: [{"role": "user", "content": _text("dynamic")}]))
    ctx.changed("promptsListChanged")
    return ToolResult.text("Prompt list changed")


HEADER_ARGS = {"type": "object", "properties": {
    "region": {"type": "string", "description": "Where to run (mirrored as Mcp-Param-Region)",
               "x-mcp-header": "Region"},
    "query": {"type": "string"}}, "required": ["region"]}


def register_stateless(registry: Registry) -> None:
    """The fixtures of the 2026-07-28 scenarios (server-stateless, input-required-result-*, SEP-2243)."""
    _tool(registry, "test_input_required_result_elicitation", mrtr_elicitation)
    _tool(registry, "test_input_required_result_sampling", mrtr_sampling)
    _tool(registry, "test_input_required_result_list_roots", mrtr_roots)
    _tool(registry, "test_input_required_result_request_state", mrtr_request_state)
    _tool(registry, "test_input_required_result_multiple_inputs", mrtr_multiple)
    _tool(registry, "test_input_required_result_multi_round", mrtr_multi_round)
    _tool(registry, "test_input_required_result_tampered_state", mrtr_request_state)
    _tool(registry, "test_input_required_result_capabilities", mrtr_capabilities)
    _tool(registry, "test_missing_capability", missing_capability)
    _tool(registry, "test_streaming_elicitation", streaming_elicitation)
    _tool(registry, "test_logging_tool", logging_tool, streaming=True)
    _tool(registry, "test_trigger_tool_change", _toggle_tool)
    _tool(registry, "test_trigger_prompt_change", _toggle_prompt)
    _tool(registry, "test_custom_headers", lambda ctx, a: ToolResult.text(f"Region: {a.get('region')}"), HEADER_ARGS)
    registry.add_prompt(Prompt(
        name="test_input_required_result_prompt", description="A prompt that asks the user for context first",
        render=lambda ctx, a: [{"role": "user", "content": _text("Use this context: " + str(_content(ctx.ask(
            {"user_context": _elicit_request("What context should the prompt use?", "context")})["user_context"]
        ).get("context")))}]))
    registry.announces |= {"toolsListChanged", "promptsListChanged", "resourcesListChanged", "resourceUpdated"}


def register_all(registry: Registry) -> None:
    """Every conformance fixture."""
    register_tools(registry)
    register_resources(registry)
    register_prompts(registry)
    register_stateless(registry)
    register_tasks(registry)
