"""The OpenAPI document: valid OpenAPI 3.1, complete (every route is in it), built from the schemas the
endpoints use, true to what the endpoints answer, and rendered into docs/api.md without drift."""
from __future__ import annotations

from pathlib import Path

import jsonschema
import jsonschema_rs
import pytest
import schemathesis

from connector.auth.clients import RegistrationSchema
from connector.mcp.jsonrpc import MessageSchema
from connector.ops.api_docs import render
from connector.apidoc import spec as build_spec
from tests.oauth import flow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def app(make_oauth_app):
    return make_oauth_app()


@pytest.fixture()
def doc(app):
    resp = app.test_client().get("/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.get_json()


def conforms(doc, name, instance):
    """Validate `instance` against components.schemas[name] of `doc` (JSON Schema 2020-12, refs resolved)."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    jsonschema.Draft202012Validator(schema).validate(instance)


def test_served_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"] == "3.1.0" and doc["info"]["title"] == "Attio Connector"
    assert doc["servers"] == [{"url": "http://localhost"}]
    schemathesis.openapi.from_dict(doc).validate()  # the OpenAPI 3.1 meta-schema
    broken = {**doc, "paths": {**doc["paths"], "/mcp": {"post": {"responses": {"200": "not an object"}}}}}
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


def test_public_url_is_the_server(make_oauth_app):
    doc = make_oauth_app(PUBLIC_URL="https://connector.example.com").test_client().get("/openapi.json").get_json()
    assert doc["servers"] == [{"url": "https://connector.example.com"}]
    flow_urls = doc["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"]
    assert flow_urls["tokenUrl"] == "https://connector.example.com/oauth/token"


def test_every_route_is_documented(app, doc):
    """A new endpoint without an entry in connector/ops/openapi.py fails here."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static") or (rule.rule.endswith("/") and rule.rule != "/"):
            continue  # static files; trailing-slash aliases of documented paths
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method.lower(), rule.rule))
    documented = {(method, path) for path, item in doc["paths"].items() for method in item}
    assert routes == documented


def test_bodies_come_from_the_validating_schemas(doc):
    schemas = doc["components"]["schemas"]
    assert set(schemas["JsonRpcMessage"]["properties"]) == set(MessageSchema._declared_fields)
    assert schemas["JsonRpcMessage"]["properties"]["id"]["type"] == ["string", "integer"]
    assert set(schemas["ClientRegistration"]["properties"]) == set(RegistrationSchema._declared_fields)
    assert schemas["ClientRegistration"]["required"] == ["redirect_uris"]
    mcp = doc["paths"]["/mcp"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert mcp["oneOf"][0] == {"$ref": "#/components/schemas/JsonRpcMessage"}
    register = doc["paths"]["/oauth/register"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert register == {"$ref": "#/components/schemas/ClientRegistration"}
    token = doc["paths"]["/oauth/token"]["post"]["requestBody"]["content"]
    assert token == {"application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/TokenRequest"}}}


def test_real_answers_match_their_documented_schemas(app, doc):
    client = app.test_client()
    reg = client.post("/oauth/register", json={"redirect_uris": [flow.REDIRECT], "client_name": "doc",
                                               "token_endpoint_auth_method": "client_secret_basic"})
    assert reg.status_code == 201
    conforms(doc, "RegisteredClient", reg.get_json())
    tokens = flow.authorized(client, flow.register(client)["client_id"])
    conforms(doc, "TokenResponse", tokens)
    conforms(doc, "OAuthError", client.post("/oauth/token", data={"grant_type": "password"}).get_json())
    conforms(doc, "JsonRpcError", flow.mcp_initialize(client, None).get_json())
    conforms(doc, "JsonRpcMessage", flow.mcp_initialize(client, tokens["access_token"]).get_json())
    conforms(doc, "Health", client.get("/healthz").get_json())
    conforms(doc, "Health", client.get("/").get_json())
    conforms(doc, "AuthorizationServerMetadata", client.get("/.well-known/oauth-authorization-server").get_json())
    conforms(doc, "ProtectedResourceMetadata", client.get("/.well-known/oauth-protected-resource/mcp").get_json())
    with pytest.raises(jsonschema.ValidationError):
        conforms(doc, "TokenResponse", {**tokens, "expires_in": "soon"})


def test_docs_api_md_matches_the_code():
    expected = render(build_spec())
    current = (ROOT / "docs" / "api.md").read_text()
    assert current == expected, "docs/api.md is stale: run `python -m connector.apidoc > docs/api.md`"
