"""Opaque cursors: the one encoding of "where the next page starts", for tools/list and for the tools.

A cursor is URL-safe Base64 of `<kind>:<position>`: kind "o" holds an offset into a list we page ourselves,
kind "a" holds a cursor Attio issued (its newer endpoints page by cursor). Decoding checks the kind, so a
cursor of one kind is never read as the other; callers turn `ValueError` into their audience's error.
"""
from __future__ import annotations

import base64
import binascii

OFFSET, UPSTREAM = "o", "a"


def encode(kind: str, position: str | int) -> str:
    """The opaque cursor for `position` of `kind`."""
    return base64.urlsafe_b64encode(f"{kind}:{position}".encode()).decode()


def decode(cursor: str, kind: str) -> str:
    """The position inside a cursor of `kind`; ValueError when it is not one we issued."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValueError("not a cursor this server issued") from None
    found, sep, position = text.partition(":")
    if not sep or found != kind or not position:
        raise ValueError("not a cursor this server issued")
    return position


def encode_offset(offset: int) -> str:
    """The cursor of the page starting at `offset`."""
    return encode(OFFSET, offset)


def decode_offset(cursor: str) -> int:
    """The offset inside an offset cursor; ValueError when it is malformed or negative."""
    offset = int(decode(cursor, OFFSET))
    if offset < 0:
        raise ValueError("negative offset")
    return offset
