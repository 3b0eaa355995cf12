"""Open311 GeoReport v2 output: the same data as JSON or as XML, and the spec's error bodies.

The views build plain Python values (dicts, lists, strings, numbers, booleans, ``None``);
``render`` writes them in the asked format. XML follows the spec's shapes: a list becomes
its element with one child per item (``<services><service>…``), ``None`` an empty element,
booleans ``true``/``false``. Text is UTF-8 with the XML declaration, and characters XML 1.0
cannot carry (control characters a client may have sent) are dropped.

A view (or what it calls) raises ``Open311Error`` to answer with the spec's error body;
``about`` names the field a problem is with.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse
from django.utils.translation import gettext

FORMATS = {
    "xml": "text/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
DEFAULT_FORMAT = "xml"  # the spec's required format

# The element of each item of a list, by the list's element.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "category_path": "category",
}

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value) -> str | None:
    """``value`` as the text of an element (``None``: an empty element)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        item_tag = ITEM_TAGS.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, item_tag), item)
    else:
        element.text = xml_text(value)


def to_xml(root: str, value) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def to_json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def render(fmt: str, root: str, value, *, status: int = 200) -> HttpResponse:
    """``value`` in ``fmt``; ``root`` is the XML root element (JSON has none)."""
    if fmt == "json":
        content = to_json(value)
    else:
        fmt = "xml"
        content = to_xml(root, value)
    return HttpResponse(content, status=status, content_type=FORMATS[fmt])


def errors(fmt: str, status: int, *descriptions: str, headers: dict | None = None):
    """The spec's error body: ``[{"code", "description"}]`` / ``<errors><error>…``."""
    body = [{"code": status, "description": text} for text in descriptions]
    response = render(fmt if fmt in FORMATS else DEFAULT_FORMAT, "errors", body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class Open311Error(Exception):
    """An answer in the spec's error format: ``status`` and one description per problem."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = descriptions


def about(name: str, message) -> str:
    """A problem with one of the request's fields: ``name：message``."""
    return gettext("%(where)s: %(message)s") % {"where": name, "message": message}
