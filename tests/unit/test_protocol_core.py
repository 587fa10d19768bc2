"""The protocol core without HTTP: schemas, registry, envelopes, configuration."""
from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from marshmallow import Schema, fields, validate

from connector.config import ConfigError, load_settings
from connector.mcp import jsonrpc
from connector.mcp.registry import Registry, ResourceTemplate, Tool
from connector.mcp.schema_gen import schema_to_json
from connector.tools.docs import published_registry, render

ROOT = Path(__file__).resolve().parents[2]


def test_every_published_schema_is_valid_2020_12():
    registry = published_registry()
    assert registry.tools
    for tool in registry.tools.values():
        Draft202012Validator.check_schema(tool.input_schema)
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is not None
        Draft202012Validator.check_schema(tool.output_schema)
        assert set(tool.annotations) == {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"}
        assert tool.scope in ("attio:read", "attio:write")


def test_docs_tools_md_matches_the_registry():
    assert (ROOT / "docs" / "tools.md").read_text() == render(published_registry())


class Example(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=5), metadata={"description": "who"})
    count = fields.Integer(load_default=3, validate=validate.Range(min=1, max=10))
    kind = fields.String(validate=validate.OneOf(["a", "b"]), allow_none=True)
    tags = fields.List(fields.String())


def test_schema_generation_from_marshmallow():
    js = schema_to_json(Example)
    assert js["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert js["required"] == ["name"] and js["additionalProperties"] is False
    assert js["properties"]["name"] == {"type": "string", "minLength": 1, "maxLength": 5, "description": "who"}
    assert js["properties"]["count"] == {"type": "integer", "minimum": 1, "maximum": 10, "default": 3}
    assert js["properties"]["kind"] == {"type": ["string", "null"], "enum": ["a", "b"]}
    assert js["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    Draft202012Validator.check_schema(js)


def test_registry_rejects_bad_and_duplicate_names():
    registry = Registry()
    registry.add_tool(Tool(name="ok.tool-1", description="d", handler=lambda c, a: {}))
    with pytest.raises(ValueError):
        registry.add_tool(Tool(name="ok.tool-1", description="d", handler=lambda c, a: {}))
    with pytest.raises(ValueError):
        Tool(name="has space", description="d", handler=lambda c, a: {})


def test_template_matching():
    t = ResourceTemplate(uri_template="attio://records/{object}/{record_id}", name="r", read=lambda ctx, **kw: [])
    assert t.match("attio://records/people/abc") == {"object": "people", "record_id": "abc"}
    assert t.match("attio://records/people/abc/extra") is None
    assert t.match("attio://records/people") is None


@pytest.mark.parametrize("raw,code,fragment", [
    (b"{", -32700, "not valid JSON"),
    (b"[" * 100 + b"]" * 100, -32600, "nested deeper"),
])
def test_load_json_errors(raw, code, fragment):
    with pytest.raises(jsonrpc.JsonRpcError) as err:
        jsonrpc.load_json(raw)
    assert err.value.code == code and fragment in err.value.message


@pytest.mark.parametrize("msg,fragment", [
    ([], "JSON object"),
    ({"jsonrpc": "2.0"}, "needs a method"),
    ({"jsonrpc": "2.0", "id": True, "method": "x"}, "id"),
    ({"jsonrpc": "2.0", "id": 1, "method": "x", "result": {}}, "both"),
    ({"jsonrpc": "2.0", "result": {}}, "needs an id"),
    ({"jsonrpc": "2.0", "id": 1, "method": "x", "params": [1]}, "params"),
])
def test_validate_message_names_the_problem(msg, fragment):
    with pytest.raises(jsonrpc.JsonRpcError) as err:
        jsonrpc.validate_message(msg)
    assert err.value.code == -32600 and fragment in err.value.message


@pytest.mark.parametrize("env,fragment", [
    ({"MAX_STREAMS": "lots"}, "MAX_STREAMS='lots' is invalid"),
    ({"MAX_STREAMS": "0"}, "between 1 and"),
    ({"PUBLIC_URL": "connector.example.com"}, "PUBLIC_URL"),
    ({"ATTIO_CLIENT_ID": "x"}, "must be set together"),
    ({"PRODUCTION": "true"}, "APP_ENV=production needs real Attio settings"),
    ({"PRODUCTION": "true", "ATTIO_API_KEY": "k"}, "SECRET_KEY is required"),
    ({"SECRET_KEY": "short"}, "too short"),
    ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
    ({"PRODUCTION": "maybe"}, "true or false"),
])
def test_bad_settings_fail_with_a_named_message(env, fragment):
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    assert fragment in str(err.value)


def test_secrets_are_not_echoed_in_config_errors():
    with pytest.raises(ConfigError) as err:
        load_settings({"SECRET_KEY": "sup3r-secret"})
    assert "sup3r-secret" not in str(err.value)


def test_modes():
    assert load_settings({})["MODE"] == "demo"
    assert load_settings({"ATTIO_API_KEY": "k"})["MODE"] == "api_key"
    assert load_settings({"ATTIO_CLIENT_ID": "i", "ATTIO_CLIENT_SECRET": "s"})["MODE"] == "attio_oauth"
