"""Objects, lists and attributes of the demo workspace, in Attio's API shapes.

The standard objects (people, companies, deals, users, workspaces) are declared as
compact tables; `build_object` / `build_list` turn them into `ObjectDef` / `ListDef`
holding ready-to-serialise metadata, so reads never rebuild it.
"""
from __future__ import annotations

import uuid
from typing import Any

NAMESPACE = uuid.UUID("6f1c2a52-3d4e-4b7a-9c1d-2e5f60718293")


def uid(*parts: str) -> str:
    """A deterministic UUID for the given name parts (uuid5)."""
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


# (slug, title, type, flags, extras). Flags: u=unique m=multiselect r=read-only q=required.
_INTERACTIONS = [(s, s.replace("_", " ").capitalize(), "interaction", "r", {}) for s in (
    "first_calendar_interaction", "last_calendar_interaction", "next_calendar_interaction",
    "first_email_interaction", "last_email_interaction", "first_interaction", "last_interaction",
    "next_interaction")]
_SOCIAL = [(s, s.capitalize(), "text", "", {})
           for s in ("angellist", "facebook", "instagram", "linkedin", "twitter")]
_CONNECTION = [
    ("strongest_connection_strength_legacy", "Strongest connection strength (legacy)", "number", "r", {}),
    ("strongest_connection_strength", "Strongest connection strength", "select", "r",
     {"options": ["Very weak", "Weak", "Good", "Strong", "Very strong"]}),
    ("strongest_connection_user", "Strongest connection user", "actor-reference", "r", {}),
]
_HEAD = [("record_id", "Record ID", "text", "r", {})]
_TAIL = [("created_at", "Created at", "timestamp", "r", {}),
         ("created_by", "Created by", "actor-reference", "r", {})]

SPECS: dict[str, tuple[str, str, list[tuple[str, str, str, str, dict[str, Any]]]]] = {
    "people": ("Person", "People", _HEAD + [
        ("name", "Name", "personal-name", "", {}),
        ("email_addresses", "Email addresses", "email-address", "um", {}),
        ("description", "Description", "text", "", {}),
        ("company", "Company", "record-reference", "", {"target": "companies", "inverse": "team"}),
        ("job_title", "Job title", "text", "", {}),
        ("phone_numbers", "Phone numbers", "phone-number", "m", {}),
        ("primary_location", "Primary location", "location", "", {}),
        ("avatar_url", "Avatar URL", "text", "r", {}),
    ] + _SOCIAL + [("twitter_follower_count", "Twitter follower count", "number", "r", {})] + _INTERACTIONS
        + _CONNECTION + [
        ("associated_deals", "Associated deals", "record-reference", "m",
         {"target": "deals", "inverse": "associated_people"}),
        ("associated_users", "Associated users", "record-reference", "m",
         {"target": "users", "inverse": "person"}),
    ] + _TAIL),
    "companies": ("Company", "Companies", _HEAD + [
        ("name", "Name", "text", "", {}),
        ("domains", "Domains", "domain", "um", {}),
        ("description", "Description", "text", "", {}),
        ("team", "Team", "record-reference", "m", {"target": "people", "inverse": "company"}),
        ("categories", "Categories", "select", "m", {"options": [
            "B2B", "B2C", "SaaS", "Enterprise", "Energy", "Fintech", "Healthcare", "Logistics",
            "Manufacturing", "Media", "Hardware", "Hospitality", "Security", "Retail"]}),
        ("primary_location", "Primary location", "location", "", {}),
        ("logo_url", "Logo URL", "text", "r", {}),
    ] + _SOCIAL + [
        ("twitter_follower_count", "Twitter follower count", "number", "r", {}),
        ("estimated_arr_usd", "Estimated ARR", "select", "r", {"options": [
            "$0-$1M", "$1M-$10M", "$10M-$50M", "$50M-$100M", "$100M-$250M", "$250M-$500M", "$500M-$1B",
            "$1B+"]}),
        ("funding_raised_usd", "Funding raised", "currency", "r", {"currency": "USD"}),
        ("foundation_date", "Foundation date", "date", "", {}),
        ("employee_range", "Employee range", "select", "r", {"options": [
            "1-10", "11-50", "51-250", "251-1K", "1K-5K", "5K-10K", "10K-50K", "50K-100K", "100K+"]}),
    ] + _INTERACTIONS + _CONNECTION + [
        ("associated_deals", "Associated deals", "record-reference", "m",
         {"target": "deals", "inverse": "associated_company"}),
        ("associated_workspaces", "Associated workspaces", "record-reference", "m",
         {"target": "workspaces", "inverse": "company"}),
    ] + _TAIL),
    "deals": ("Deal", "Deals", _HEAD + [
        ("name", "Deal name", "text", "q", {}),
        ("stage", "Deal stage", "status", "q", {"statuses": ["Lead", "In Progress", "Won 🎉", "Lost"]}),
        ("owner", "Deal owner", "actor-reference", "q", {}),
        ("value", "Deal value", "currency", "", {"currency": "USD"}),
        ("associated_people", "Associated people", "record-reference", "m",
         {"target": "people", "inverse": "associated_deals"}),
        ("associated_company", "Associated company", "record-reference", "",
         {"target": "companies", "inverse": "associated_deals"}),
    ] + _TAIL),
    "users": ("User", "Users", _HEAD + [
        ("person", "Person", "record-reference", "", {"target": "people", "inverse": "associated_users"}),
        ("primary_email_address", "Primary email address", "email-address", "u", {}),
        ("user_id", "ID", "text", "u", {}),
        ("workspace", "Workspace", "record-reference", "m", {"target": "workspaces", "inverse": "users"}),
    ] + _TAIL),
    "workspaces": ("Workspace", "Workspaces", _HEAD + [
        ("workspace_id", "Workspace ID", "text", "u", {}),
        ("name", "Name", "text", "", {}),
        ("users", "Users", "record-reference", "m", {"target": "users", "inverse": "workspace"}),
        ("company", "Company", "record-reference", "",
         {"target": "companies", "inverse": "associated_workspaces"}),
        ("avatar_url", "Avatar URL", "text", "", {}),
    ] + _TAIL),
}


class Attr:
    """One attribute of an object or list, with its API metadata precomputed."""

    __slots__ = ("id", "slug", "title", "type", "is_unique", "is_multiselect", "is_writable", "is_required",
                 "target", "inverse", "currency", "options", "option_by_key", "meta", "ids", "owner_key")

    def __init__(self, ws_id: str, owner_key: str, owner_id: str, spec: tuple, created_at: str) -> None:
        slug, title, type_, flags, extra = spec
        self.slug, self.title, self.type, self.owner_key = slug, title, type_, owner_key
        self.id = uid(ws_id, owner_id, "attr", slug)
        self.is_unique, self.is_multiselect = "u" in flags, "m" in flags
        self.is_writable, self.is_required = "r" not in flags, "q" in flags
        self.target: str | None = extra.get("target")
        self.inverse: str | None = extra.get("inverse")
        self.currency: str | None = extra.get("currency")
        self.ids = {"workspace_id": ws_id, owner_key: owner_id, "attribute_id": self.id}
        base = {"workspace_id": ws_id, "object_id": owner_id, "attribute_id": self.id}
        self.options: list[dict[str, Any]] = []
        if type_ == "select":
            self.options = [{"id": {**base, "option_id": uid(self.id, "opt", t)}, "title": t,
                             "is_archived": False}
                            for t in extra.get("options", [])]
        elif type_ == "status":
            self.options = [{"id": {**base, "status_id": uid(self.id, "status", t)}, "title": t,
                             "is_archived": False,
                             "target_time_in_status": None, "celebration_enabled": "🎉" in t}
                            for t in extra.get("statuses", [])]
        self.option_by_key = {}
        for o in self.options:
            self.option_by_key[o["title"]] = o
            self.option_by_key[o["id"].get("option_id") or o["id"]["status_id"]] = o
        self.meta: dict[str, Any] = {
            "id": self.ids, "title": title, "description": None, "api_slug": slug, "type": type_,
            "is_system_attribute": owner_key == "object_id" and not extra.get("custom"),
            "is_writable": self.is_writable, "is_required": self.is_required, "is_unique": self.is_unique,
            "is_multiselect": self.is_multiselect, "is_default_value_enabled": False, "is_archived": False,
            "default_value": None, "relationship": None, "created_at": created_at,
            "config": {"currency": {"default_currency_code": self.currency,
                                    "display_type": "symbol" if self.currency else None},
                       "record_reference": {"allowed_object_ids": None}},
        }


class Container:
    """What objects and lists share: an id, a slug and ordered attributes."""

    def __init__(self, ws_id: str, owner_key: str, id_: str, api_slug: str, specs: list,
                 created_at: str) -> None:
        self.id, self.api_slug, self.owner_key, self.created_at = id_, api_slug, owner_key, created_at
        self.attrs = [Attr(ws_id, owner_key, id_, s, created_at) for s in specs]
        self.by_key: dict[str, Attr] = {}
        for a in self.attrs:
            self.by_key[a.slug] = a
            self.by_key[a.id] = a

    def attr(self, key: str) -> Attr | None:
        """The attribute with this slug or UUID, if any."""
        return self.by_key.get(key)


class ObjectDef(Container):
    """An Attio object (people, companies, …) and its records."""

    def __init__(self, ws_id: str, api_slug: str, singular: str, plural: str, specs: list,
                 created_at: str) -> None:
        super().__init__(ws_id, "object_id", uid(ws_id, "object", api_slug), api_slug, specs, created_at)
        self.singular, self.plural = singular, plural
        self.url_noun = singular.lower().replace(" ", "-")
        self.meta = {"id": {"workspace_id": ws_id, "object_id": self.id}, "api_slug": api_slug,
                     "singular_noun": singular, "plural_noun": plural, "created_at": created_at}
        self.records: dict[str, dict[str, Any]] = {}
        self.search: dict[str, Any] = {}


class ListDef(Container):
    """An Attio list and its entries."""

    def __init__(self, ws_id: str, api_slug: str, name: str, parent: str, specs: list, created_at: str,
                 creator: dict[str, Any]) -> None:
        super().__init__(ws_id, "list_id", uid(ws_id, "list", api_slug), api_slug, specs + _TAIL, created_at)
        self.name, self.parent = name, parent
        self.meta = {"id": {"workspace_id": ws_id, "list_id": self.id}, "api_slug": api_slug, "name": name,
                     "parent_object": [parent], "workspace_access": "full-access",
                     "workspace_member_access": [],
                     "created_by_actor": creator, "created_at": created_at}
        self.entries: dict[str, dict[str, Any]] = {}


def build_objects(ws_id: str, created_at: str) -> dict[str, ObjectDef]:
    """The standard objects, keyed by slug, with record-reference relationships wired."""
    objs = {slug: ObjectDef(ws_id, slug, sing, plur, specs, created_at)
            for slug, (sing, plur, specs) in SPECS.items()}
    for obj in objs.values():
        for a in obj.attrs:
            if a.target:
                target = objs[a.target]
                a.meta["config"]["record_reference"]["allowed_object_ids"] = [target.id]
                inv = target.attr(a.inverse) if a.inverse else None
                if inv is not None:
                    a.meta["relationship"] = {"id": inv.ids}
    return objs
