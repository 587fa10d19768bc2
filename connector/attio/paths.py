"""Building Attio request paths safely: every identifier is one quoted segment."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .errors import AttioBadRequest

UNSET: Any = object()  # "argument not given", distinct from an explicit None

def segment(value: Any) -> str:
    """Quote one path segment so that no identifier can change the path ('../x', '?', '/')."""
    text = str(value)
    if not text:
        raise AttioBadRequest("An identifier in the request path is empty.", code="invalid_identifier")
    if text in (".", ".."):
        return text.replace(".", "%2E")  # dot segments would be normalised away by urllib3
    return quote(text, safe="")



def path(*segments: Any) -> str:
    """'/v2/' followed by the quoted segments."""
    return "/v2/" + "/".join(segment(s) for s in segments)



def target(target: str) -> str:
    """'objects' or 'lists', the two owners of attributes."""
    if target not in ("objects", "lists"):
        raise ValueError("target must be 'objects' or 'lists'")
    return target



def compact(**fields: Any) -> dict[str, Any]:
    """The given fields without the ones that are None."""
    return {k: v for k, v in fields.items() if v is not None}
