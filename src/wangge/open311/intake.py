"""What a GeoReport ``POST requests`` says, read and checked before a case is filed: the
body (form, multipart or JSON, within its size; ``attribute[CODE]`` answers), the client
its ``api_key`` names, the reporter's name, and the place — coordinates in any of the
systems offered, a building, an address — found in a grid inside the client's area.
Every problem is an ``Open311Error`` in the spec's form."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qsl

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext

from wangge.cases import services
from wangge.core import memo
from wangge.open311.formats import Open311Error, about
from wangge.open311.models import Open311Client
from wangge.open311.public import building_numbered, buildings_at
from wangge.open311.services import open311_key_hash
from wangge.territory import geo
from wangge.territory.choices import CRS
from wangge.territory.locate import get_index
from wangge.territory.models import Node

MAX_BODY = 256 * 1024  # bytes; a report is a few kilobytes of text
MAX_FIELDS = 200
MAX_NAME = 64
MAX_ADDRESS = 200
MAX_IDEMPOTENCY_KEY = 100

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def read_body(request) -> tuple[dict[str, str], dict]:
    """The POST's fields (last value wins) and its ``attribute[CODE]`` answers."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_big = Open311Error(
        413,
        gettext("The request is too large (at most %(n)s KB)") % {"n": MAX_BODY // 1024},
    )
    if length > MAX_BODY:
        raise too_big
    pairs: list[tuple[str, object]] = []
    if request.content_type == "multipart/form-data":
        try:
            pairs = [(key, value) for key, values in request.POST.lists() for value in values]
        except RequestDataTooBig as exc:
            raise too_big from exc
        except MultiPartParserError as exc:
            raise Open311Error(400, gettext("The request cannot be read")) from exc
    else:
        try:
            raw = request.body
        except RequestDataTooBig as exc:
            raise too_big from exc
        if len(raw) > MAX_BODY:
            raise too_big
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Open311Error(400, gettext("The request must be in UTF-8")) from exc
        if request.content_type == "application/json":
            pairs = _json_pairs(text)
        else:
            try:
                pairs = parse_qsl(
                    text,
                    keep_blank_values=True,
                    encoding="utf-8",
                    errors="strict",
                    max_num_fields=MAX_FIELDS,
                )
            except UnicodeDecodeError as exc:
                raise Open311Error(400, gettext("The request must be in UTF-8")) from exc
            except ValueError as exc:
                raise Open311Error(400, _too_many_fields()) from exc
    params: dict[str, str] = {}
    answers: dict[str, list] = {}
    many: set[str] = set()
    for key, value in pairs:
        if any(isinstance(item, str) and "\x00" in item for item in _items(value)):
            raise Open311Error(400, about(key, gettext("has characters that are not valid")))
        match = _ATTRIBUTE.match(key)
        if match:
            code, brackets = match.groups()
            answers.setdefault(code, [])
            if isinstance(value, list):
                answers[code].extend(value)
                many.add(code)
            else:
                answers[code].append(value)
            if brackets:
                many.add(code)
        elif value is not None:
            params[key] = value if isinstance(value, str) else _scalar(key, value)
    attributes = {
        code: values if code in many or len(values) > 1 else values[0]
        for code, values in answers.items()
    }
    if "api_key" not in params and request.GET.get("api_key"):
        params["api_key"] = request.GET["api_key"]
    return params, attributes


def _too_many_fields() -> str:
    return gettext("Too many fields (at most %(n)s)") % {"n": MAX_FIELDS}


def _items(value) -> list:
    return list(value) if isinstance(value, list) else [value]


def _scalar(key: str, value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise Open311Error(400, about(key, gettext("should be text or a number")))
    return str(value)


def _json_pairs(text: str) -> list[tuple[str, object]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise Open311Error(400, gettext("Not valid JSON")) from exc
    if not isinstance(data, dict):
        raise Open311Error(400, gettext("The JSON body should be an object"))
    if len(data) > MAX_FIELDS:
        raise Open311Error(400, _too_many_fields())
    pairs = []
    for key, value in data.items():
        if key == "attribute" and isinstance(value, dict):
            for code, answer in value.items():
                pairs.append((f"attribute[{code}]", answer))
        else:
            pairs.append((key, value))
    return pairs


def client_for(params: dict) -> Open311Client:
    key = (params.get("api_key") or "").strip()
    if not key:
        raise Open311Error(403, gettext("No api_key"))
    key_hash = open311_key_hash(key)
    client = memo.kept(
        ("open311.client", key_hash),
        lambda: (
            Open311Client.objects.filter(key_hash=key_hash, is_active=True)
            .select_related("node")
            .first()
        ),
    )
    if client is None:
        raise Open311Error(403, gettext("The api_key is not valid or switched off"))
    return client


def full_name(first: str, last: str) -> str:
    if not (first and last):
        return first or last
    if _CJK.search(first + last):
        return f"{last}{first}"  # the family name first
    return f"{first} {last}"


def _coordinate(value: str) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _located(lng: float, lat: float) -> Node | None:
    found = int(get_index().locate_many([lng], [lat])[0])
    return services.grid_by_id(found) if found >= 0 else None


def place_for(params: dict, client: Open311Client, problems: list[str]) -> dict:
    """Where the request is, as ``report()`` keywords; the client's area checked (403)."""
    lat_text = (params.get("lat") or "").strip()
    lng_text = (params.get("long") or "").strip()
    crs = (params.get("crs") or CRS.WGS84).strip().lower()
    address = (params.get("address_string") or "").strip()
    address_id = (params.get("address_id") or "").strip()
    if crs not in CRS.values:
        problems.append(
            about(
                "crs",
                gettext("unknown coordinate system “%(crs)s” (there are wgs84, gcj02, bd09)")
                % {"crs": crs},
            )
        )
    if len(address) > MAX_ADDRESS:
        problems.append(
            about(
                "address_string",
                gettext("the address may have at most %(n)s characters") % {"n": MAX_ADDRESS},
            )
        )
    building = None
    if address_id:
        if not address_id.isdigit():
            problems.append(about("address_id", gettext("should be a building's number")))
        else:
            building = building_numbered(int(address_id))
            if building is None:
                problems.append(
                    about(
                        "address_id",
                        gettext("no building numbered %(number)s") % {"number": address_id},
                    )
                )
    lng = lat = None
    if lat_text or lng_text:
        lat, lng = _coordinate(lat_text), _coordinate(lng_text)
        if not (lat_text and lng_text):
            problems.append(
                about("lat/long", gettext("give both the latitude lat and the longitude long"))
            )
        elif lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
            problems.append(about("lat/long", gettext("not a valid latitude and longitude")))
    elif not address and not address_id:
        problems.append(
            gettext(
                "Give the place: latitude lat and longitude long, or the address address_string,"
                " or the building address_id"
            )
        )
    if problems:
        raise Open311Error(400, *problems)

    place = {"address": address, "building": building, "crs": CRS.WGS84}
    if lng is not None and lat is not None:
        lng, lat = (float(value) for value in geo.to_wgs84(lng, lat, crs))
        grid = _located(lng, lat)
        if grid is None:
            raise Open311Error(
                400,
                about(
                    "lat/long",
                    gettext("the place is in none of this platform's grids: it cannot be taken"),
                ),
            )
        place.update(lng=lng, lat=lat)
    elif building is not None:
        grid = building.grid
        if building.lng is not None and building.lat is not None:
            grid = _located(building.lng, building.lat) or building.grid
            place["grid"] = grid
    else:
        matches = buildings_at(address)
        if len(matches) == 1:
            place["building"] = building = matches[0]
            grid = building.grid
            if building.lng is not None and building.lat is not None:
                grid = _located(building.lng, building.lat) or building.grid
            place["grid"] = grid
        elif client.node is not None and client.node.is_grid:
            grid = place["grid"] = client.node
        else:
            raise Open311Error(
                400,
                about(
                    "address_string",
                    gettext(
                        "the address alone does not tell the grid: give the latitude and"
                        " longitude (lat/long) or the building (address_id) too"
                    ),
                ),
            )
    if client.node is not None and not grid.path.startswith(client.node.path):
        raise Open311Error(
            403,
            gettext("The place is outside this client's area (%(place)s)")
            % {"place": client.node.name},
        )
    return place


_FIELD_NAMES = {
    "lng": "lat/long",
    "lat": "lat/long",
    "grid": "address_string",
    "building": "address_id",
    "reporter_phone": "phone",
    "reporter_name": "first_name/last_name",
    "category": "service_code",
}


def describe(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    described = []
    for field, messages in exc.message_dict.items():
        if field.startswith("attributes."):
            name = f"attribute[{field.removeprefix('attributes.')}]"
        else:
            name = _FIELD_NAMES.get(field, field)
        described += [about(name, message) for message in messages]
    return described
