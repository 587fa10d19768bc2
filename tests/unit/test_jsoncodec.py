"""connector/jsoncodec.py: orjson where it agrees with the standard library, the standard library where not."""
from __future__ import annotations

import json
import math

import pytest

from connector import jsoncodec
from connector.jsonbody import JsonBodyError, parse


@pytest.mark.parametrize("text", ['{"a":[1,2.5,"é",null,true]}', '"x"', "[]", '{"id":9223372036854775807}'])
def test_ordinary_json_reads_the_same_as_the_standard_library(text):
    assert jsoncodec.loads(text.encode()) == json.loads(text)
    assert jsoncodec.loads(text) == json.loads(text)


def test_long_integers_are_read_exactly_not_as_doubles():
    big = 123456789012345678901234567890
    assert jsoncodec.loads(f'{{"id":{big}}}'.encode()) == {"id": big}
    assert jsoncodec.dumps({"id": big}) == f'{{"id":{big}}}'.encode()


def test_what_orjson_refuses_to_read_is_read_as_the_standard_library_reads_it():
    assert math.isnan(jsoncodec.loads(b"NaN"))
    assert jsoncodec.loads(b'["\\ud800"]') == ["\ud800"]  # jsonbody refuses it afterwards, as before
    with pytest.raises(ValueError):
        jsoncodec.loads(b'{"a":')


def test_output_is_compact_utf8_and_falls_back_for_what_orjson_refuses():
    assert jsoncodec.dumps({"a": "é", "b": [1, None]}) == '{"a":"é","b":[1,null]}'.encode()
    assert jsoncodec.dumps({1: "x"}) == b'{"1":"x"}'
    assert jsoncodec.dumps(["\ud800"]) == b'["\\ud800"]'  # escaped: still valid JSON
    assert jsoncodec.dumps({"x": float("nan")}) == b'{"x":null}'
    assert jsoncodec.dumps_text({"a": "é"}) == '{"a":"é"}'
    with pytest.raises(TypeError):
        jsoncodec.dumps({"a": object()})


def test_request_bodies_keep_their_limits():
    deep = b"[" * 70 + b"]" * 70
    with pytest.raises(JsonBodyError) as too_deep:
        parse(deep)
    assert too_deep.value.too_deep
    assert parse(b"[" * 60 + b"]" * 60) is not None
    with pytest.raises(JsonBodyError) as lone:
        parse(b'{"a":"\\udc00"}')
    assert not lone.value.too_deep
    flat = b"[" + b",".join([b"[]"] * 100) + b"]"  # many brackets, shallow: accepted
    assert len(parse(flat)) == 100
