"""Objects, attributes, options and statuses."""
from __future__ import annotations

from .conftest import Api

ATTRIBUTE_KEYS = {"id", "title", "description", "api_slug", "type", "is_system_attribute", "is_writable",
                  "is_required", "is_unique", "is_multiselect", "is_default_value_enabled", "is_archived",
                  "default_value", "relationship", "created_at", "config"}
STATUS_KEYS = {"id", "title", "is_archived", "target_time_in_status", "celebration_enabled"}


def test_objects_list_and_lookup_by_slug_or_id(api: Api) -> None:
    objs = api.data("GET", "/v2/objects")
    assert [o["api_slug"] for o in objs] == ["people", "companies", "deals", "users", "workspaces"]
    people = api.data("GET", "/v2/objects/people")
    assert people["singular_noun"] == "Person" and people["plural_noun"] == "People"
    assert api.data("GET", f"/v2/objects/{people['id']['object_id']}") == people
    assert people["created_at"].endswith("Z") and len(people["created_at"].split(".")[1]) == 10


def test_unknown_object_is_404_with_attio_text(api: Api) -> None:
    status, err = api.error("GET", "/v2/objects/widgets")
    assert status == 404 and err["code"] == "not_found"
    assert err["message"] == 'Object with slug/ID "widgets" not found.'


def test_attributes_have_full_metadata(api: Api) -> None:
    attrs = api.data("GET", "/v2/objects/people/attributes")
    by_slug = {a["api_slug"]: a for a in attrs}
    email = by_slug["email_addresses"]
    assert email["type"] == "email-address" and email["is_unique"] and email["is_multiselect"]
    assert by_slug["name"]["type"] == "personal-name"
    assert by_slug["company"]["relationship"] is not None
    assert by_slug["avatar_url"]["is_writable"] is False
    assert all(ATTRIBUTE_KEYS <= set(a) for a in attrs)
    page = api.data("GET", "/v2/objects/people/attributes?limit=3&offset=1")
    assert [a["api_slug"] for a in page] == [a["api_slug"] for a in attrs[1:4]]


def test_one_attribute_and_404(api: Api) -> None:
    a = api.data("GET", "/v2/objects/deals/attributes/stage")
    assert a["type"] == "status" and a["is_required"] is True
    assert api.data("GET", f"/v2/objects/deals/attributes/{a['id']['attribute_id']}") == a
    status, err = api.error("GET", "/v2/objects/deals/attributes/nope")
    assert status == 404 and err["message"] == 'Attribute with slug/ID "nope" not found.'


def test_deal_stages_and_category_options(api: Api) -> None:
    stages = api.data("GET", "/v2/objects/deals/attributes/stage/statuses")
    assert [s["title"] for s in stages] == ["Lead", "In Progress", "Won 🎉", "Lost"]
    assert all(set(s) == STATUS_KEYS for s in stages)
    assert stages[2]["celebration_enabled"] is True and "status_id" in stages[0]["id"]
    options = api.data("GET", "/v2/objects/companies/attributes/categories/options")
    assert "Energy" in [o["title"] for o in options] and "option_id" in options[0]["id"]
    status, err = api.error("GET", "/v2/objects/companies/attributes/name/options")
    assert status == 400 and err["code"] == "validation_type"


def test_list_attributes(api: Api) -> None:
    attrs = api.data("GET", "/v2/lists/sales_pipeline/attributes")
    assert [a["api_slug"] for a in attrs] == ["stage", "priority", "next_step", "created_at", "created_by"]
    assert "list_id" in attrs[0]["id"]
    stages = api.data("GET", "/v2/lists/sales_pipeline/attributes/stage/statuses")
    assert [s["title"] for s in stages][0] == "Qualified"
