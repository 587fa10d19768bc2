"""Record/entry queries: the filter grammar of attio-api.md §7.2, sorts and paging.

A filter is compiled once per request into a predicate over stored items (records or
entries). The fuzzy records search of §7.4 lives in `search.py` and is re-exported here.
"""
from __future__ import annotations

from typing import Any, Callable

from .errors import body_error, filter_error
from .values import coerce_date, coerce_timestamp

Pred = Callable[[dict[str, Any]], bool]

DEFAULT_PROP = {"text": "value", "number": "value", "rating": "value", "checkbox": "value", "date": "value",
                "timestamp": "value", "currency": "currency_value", "personal-name": "full_name",
                "email-address": "email_address", "domain": "domain", "phone-number": "phone_number",
                "location": "locality", "record-reference": "target_record_id",
                "actor-reference": "referenced_actor_id", "select": "option", "status": "status",
                "interaction": "interacted_at"}
_LOC = {"line_1", "line_2", "line_3", "line_4", "locality", "region", "postcode", "country_code", "latitude",
        "longitude"}
PROPS = {t: {p} for t, p in DEFAULT_PROP.items()} | {
    "currency": {"currency_value", "currency_code"},
    "personal-name": {"full_name", "first_name", "last_name"},
    "email-address": {"email_address", "original_email_address", "email_domain", "email_root_domain",
                      "email_local_specifier"},
    "domain": {"domain", "root_domain"},
    "phone-number": {"phone_number", "original_phone_number", "country_code"},
    "location": _LOC, "record-reference": {"target_record_id", "target_object"},
    "actor-reference": {"referenced_actor_id", "referenced_actor_type"},
    "select": {"option", "title", "id", "option_id"}, "status": {"status", "title", "id", "status_id"},
    "interaction": {"interacted_at", "interaction_type"}}
_FOLD = {"email_address", "original_email_address", "email_domain", "email_root_domain", "domain",
         "root_domain"}
_STR_OPS = {"$contains", "$starts_with", "$ends_with"}
_CMP_OPS = {"$lt": lambda a, b: a < b, "$lte": lambda a, b: a <= b, "$gt": lambda a, b: a > b,
            "$gte": lambda a, b: a >= b}
OPERATORS = {"$eq", "$in", "$not_empty"} | _STR_OPS | set(_CMP_OPS)


def values_of(item: dict[str, Any]) -> dict[str, list]:
    """The values dict of a record or a list entry."""
    return item["values"] if "values" in item else item["entry_values"]


def _getter(attr: Any, prop: str) -> Callable[[dict[str, Any]], Any]:
    if attr.type in ("select", "status"):
        key = "option" if attr.type == "select" else "status"
        if prop in ("id", "option_id", "status_id"):
            return lambda v: v[key]["id"].get("option_id") or v[key]["id"].get("status_id")
        return lambda v: v[key]["title"]
    return lambda v: v.get(prop)


def _operand(attr: Any, prop: str, x: Any) -> Any:
    """Normalise a filter operand so it compares like the stored value."""
    try:
        if prop == "value" and attr.type == "timestamp" and isinstance(x, str):
            return coerce_timestamp(x)
        if prop == "value" and attr.type == "date" and isinstance(x, str):
            return coerce_date(x)
    except Exception:
        raise filter_error(f'Invalid value "{x}" for attribute "{attr.slug}" in filter.') from None
    return x.casefold() if prop in _FOLD and isinstance(x, str) else x


def _same(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _follow(ws: Any, item: dict[str, Any], akey: str) -> list[dict[str, Any]]:
    """The records an item points to through a reference attribute (or `parent_record`)."""
    if akey == "parent_record":
        refs = [{"target_object": item.get("parent_object", ""),
                 "target_record_id": item.get("parent_record_id")}]
    else:
        refs = values_of(item).get(akey, ())
    out = []
    for v in refs:
        obj = ws.objects_by_key.get(v.get("target_object", ""))
        rec = obj.records.get(v.get("target_record_id")) if obj else None
        if rec is not None:
            out.append(rec)
    return out


def _test(attr: Any, prop: str, op: str, x: Any) -> Callable[[dict[str, Any]], bool]:
    get = _getter(attr, prop)
    fold = prop in _FOLD
    by_title = attr.type in ("select", "status") and prop in ("option", "status", "title")
    ids = _getter(attr, "id") if by_title else None  # a title filter also matches the option's id
    if op in ("$eq", "$in"):
        if op == "$in" and not isinstance(x, list):
            raise filter_error(f'The "$in" operator for attribute "{attr.slug}" expects an array.')
        wanted = [_operand(attr, prop, y) for y in (x if op == "$in" else [x])]
        if any(isinstance(w, (dict, list)) for w in wanted):
            raise filter_error(f'Invalid value for "{op}" on attribute "{attr.slug}".')

        def eq(v: dict[str, Any]) -> bool:
            got = get(v)
            got = got.casefold() if fold and isinstance(got, str) else got
            return any(_same(got, w) for w in wanted) or (ids is not None and ids(v) in wanted)
        return eq
    if op in _STR_OPS:
        if not isinstance(x, str):
            raise filter_error(f'The "{op}" operator for attribute "{attr.slug}" expects a string.')
        needle = x.casefold()
        fn = {"$contains": str.__contains__, "$starts_with": str.startswith, "$ends_with": str.endswith}[op]
        return lambda v: isinstance(get(v), str) and fn(get(v).casefold(), needle)
    if op in _CMP_OPS:
        y = _operand(attr, prop, x)
        if isinstance(y, bool) or not isinstance(y, (int, float, str)):
            raise filter_error(f'The "{op}" operator for attribute "{attr.slug}" expects a number or date.')
        cmp, num = _CMP_OPS[op], not isinstance(y, str)

        def compare(v: dict[str, Any]) -> bool:
            got = get(v)
            if num:
                return isinstance(got, (int, float)) and not isinstance(got, bool) and cmp(got, y)
            return isinstance(got, str) and cmp(got, y)
        return compare
    raise filter_error(f'Unknown operator "{op}" in filter for attribute "{attr.slug}".')


def _attr_pred(container: Any, key: str, spec: Any) -> Pred:
    attr = container.attr(key)
    if attr is None:
        raise filter_error(f'Unknown attribute "{key}" in filter.')
    default = DEFAULT_PROP[attr.type]
    whole: list[bool] = []
    tests: list[Callable[[dict[str, Any]], bool]] = []

    def add(prop: str, op: str, x: Any, top: bool) -> None:
        if op == "$not_empty":
            if not isinstance(x, bool):
                raise filter_error(f'The "$not_empty" operator for attribute "{attr.slug}" '
                                   "expects true or false.")
            if top:
                whole.append(x)
            else:
                get = _getter(attr, prop)
                tests.append(lambda v: (get(v) not in (None, "")) == x)
            return
        if op not in OPERATORS:
            raise filter_error(f'Unknown operator "{op}" in filter for attribute "{attr.slug}".')
        tests.append(_test(attr, prop, op, x))

    if isinstance(spec, dict):
        for k, v in spec.items():
            if k.startswith("$"):
                add(default, k, v, True)
            elif k not in PROPS[attr.type]:
                raise filter_error(f'Unknown property "{k}" for attribute "{attr.slug}" '
                                   f'of type "{attr.type}".')
            elif isinstance(v, dict):
                for op, x in v.items():
                    add(k, op, x, False)
            else:
                add(k, "$in" if isinstance(v, list) else "$eq", v, False)
    else:
        add(default, "$in" if isinstance(spec, list) else "$eq", spec, True)
    slug = attr.slug

    def pred(item: dict[str, Any]) -> bool:
        vals = values_of(item).get(slug, ())
        if any(bool(vals) != w for w in whole):
            return False
        return not tests or any(all(t(v) for t in tests) for v in vals)
    return pred


def _path_pred(ws: Any, flt: dict[str, Any]) -> Pred:
    path, constraints = flt.get("path"), flt.get("constraints")
    if not isinstance(path, list) or not path or not isinstance(constraints, dict) or not all(
            isinstance(h, list) and len(h) == 2 and all(isinstance(s, str) for s in h) for h in path):
        raise filter_error('A path filter needs "path" (an array of [object, attribute] pairs) '
                           'and "constraints".')
    hops = []
    for ckey, akey in path:
        container = ws.objects_by_key.get(ckey) or ws.lists_by_key.get(ckey)
        if container is None:
            raise filter_error(f'Unknown object or list "{ckey}" in filter path.')
        if akey != "parent_record" and container.attr(akey) is None:
            raise filter_error(f'Unknown attribute "{akey}" in filter path.')
        hops.append((container, akey))
    last_container, last_key = hops[-1]
    final = _attr_pred(last_container, last_key, constraints)

    def pred(item: dict[str, Any]) -> bool:
        items = [item]
        for _, akey in hops[:-1]:
            items = [r for it in items for r in _follow(ws, it, akey)]
        return any(final(it) for it in items)
    return pred


def compile_filter(ws: Any, container: Any, flt: Any) -> Pred:
    """Compile a filter (shorthand, verbose, logical, path) into a predicate."""
    if not isinstance(flt, dict):
        raise filter_error("A filter must be an object.")
    preds: list[Pred] = []
    for k, v in flt.items():
        if k in ("$and", "$or"):
            if not isinstance(v, list) or not all(isinstance(f, dict) for f in v):
                raise filter_error(f'The "{k}" operator expects an array of filters.')
            subs = [compile_filter(ws, container, f) for f in v]
            preds.append((lambda s: lambda i: all(p(i) for p in s))(subs) if k == "$and"
                         else (lambda s: lambda i: any(p(i) for p in s))(subs))
        elif k == "$not":
            sub = compile_filter(ws, container, v)
            preds.append(lambda i, sub=sub: not sub(i))
        elif k == "path":
            preds.append(_path_pred(ws, flt))
        elif k == "constraints":
            if "path" not in flt:
                raise filter_error('"constraints" is only valid together with "path".')
        elif k.startswith("$"):
            raise filter_error(f'Unknown operator "{k}" in filter.')
        else:
            preds.append(_attr_pred(container, k, v))
    return preds[0] if len(preds) == 1 else lambda i: all(p(i) for p in preds)


def _sort_value(v: Any) -> tuple[int, Any]:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, v)
    return (1, v.casefold()) if isinstance(v, str) else (2, str(v))


def apply_sorts(ws: Any, container: Any, items: list[dict[str, Any]], sorts: Any) -> list[dict[str, Any]]:
    """Sort items by Attio sort specs (attribute or path, optional field); empties last."""
    if not isinstance(sorts, list) or not all(isinstance(s, dict) for s in sorts):
        raise body_error('"sorts" must be an array of objects.')
    for spec in reversed(sorts):
        direction = spec.get("direction", "asc")
        if direction not in ("asc", "desc"):
            raise body_error('sort "direction" must be "asc" or "desc".')
        target, key, hop = container, spec.get("attribute"), []
        path = spec.get("path")
        if isinstance(path, list) and path and all(
                isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in path):
            target = ws.objects_by_key.get(path[-1][0]) or ws.lists_by_key.get(path[-1][0])
            key, hop = path[-1][1], path[:-1]
        attr = target.attr(key) if target is not None and isinstance(key, str) else None
        if attr is None:
            raise filter_error(f'Unknown attribute "{key}" in sorts.')
        field = spec.get("field") or DEFAULT_PROP[attr.type]
        if field not in PROPS[attr.type]:
            raise filter_error(f'Unknown field "{field}" for attribute "{attr.slug}" in sorts.')
        get = _getter(attr, field)

        def first(item: dict[str, Any] | None) -> Any:
            for _, akey in hop:  # a sort path follows the first reference of each hop
                item = next(iter(_follow(ws, item, akey)), None) if item is not None else None
            vals = values_of(item).get(attr.slug, ()) if item is not None else ()
            return get(vals[0]) if vals else None
        keyed = [(first(i), i) for i in items]
        present = [(k, i) for k, i in keyed if k not in (None, "")]
        present.sort(key=lambda p: _sort_value(p[0]), reverse=direction == "desc")
        items = [i for _, i in present] + [i for k, i in keyed if k in (None, "")]
    return items


def _int(body: dict[str, Any], name: str, default: int) -> int:
    v = body.get(name, default)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or v != int(v):
        raise body_error(f'"{name}" must be a non-negative integer.')
    return int(v)


def run_query(ws: Any, container: Any, items: list[dict[str, Any]], body: Any) -> list[dict[str, Any]]:
    """Filter, sort and page items per a records/entries query body."""
    if not isinstance(body, dict):
        raise body_error("the request body must be a JSON object.")
    limit, offset = _int(body, "limit", 500), _int(body, "offset", 0)
    flt, sorts = body.get("filter"), body.get("sorts")
    if flt:
        pred = compile_filter(ws, container, flt)
        items = [i for i in items if pred(i)]
    elif flt is not None and not isinstance(flt, dict):
        raise filter_error("A filter must be an object.")
    if sorts:
        items = apply_sorts(ws, container, items, sorts)
    return items[offset:offset + limit]


from .search import run_search, search_entry  # noqa: E402,F401  (§7.4 search, re-exported here)
