"""The scalar functions of spec §5 (I14, I23-I28, I64, I68): one Python function per name,
each taking evaluated arguments (``case``/``if``/``coalesce`` get them all, already evaluated,
which is the same since evaluation has no side effects).

>>> call("substr", ["xyZfooxyZ", 3.0, 3.0]), call("decToHex", [255.0])
('foo', '0xff')
>>> call("concat", ["a", None, 2.0])
'a2'
"""

from __future__ import annotations

import base64
import binascii
import calendar
import ipaddress
import json
import math
import urllib.parse
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from cwquery.insights.values import (
    Timestamp,
    is_structure,
    number,
    text,
    truth,
    unsupported,
    utf8_size,
)

__all__ = ["PERIOD_CAPS", "call", "ceil_period", "floor_period"]

#: I64: the largest count a period may have in its unit; larger counts are replaced by it
PERIOD_CAPS = {"ms": 1000, "s": 60, "m": 60, "h": 24}
_MILLIS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
#: I37: weeks start on Monday; the epoch (1970-01-01) was a Thursday
_MONDAY = 4 * 86_400_000


def floor_period(millis: int, count: int, unit: str) -> int:
    """The start of the period holding ``millis`` (I37, I64)."""
    count = max(1, min(count, PERIOD_CAPS.get(unit, count)))
    if unit in _MILLIS:
        size = _MILLIS[unit] * count
        offset = _MONDAY if unit == "w" else 0
        return (millis - offset) // size * size + offset
    moment = datetime.fromtimestamp(millis // 1000, timezone.utc)
    months = {"mo": 1, "q": 3, "y": 12}[unit] * count
    index = (moment.year * 12 + moment.month - 1) // months * months
    return calendar.timegm((index // 12, index % 12 + 1, 1, 0, 0, 0)) * 1000


def ceil_period(millis: int, count: int, unit: str) -> int:
    """The end of that period; a value on a boundary is unchanged (I26)."""
    start = floor_period(millis, count, unit)
    if start == millis:
        return millis
    count = max(1, min(count, PERIOD_CAPS.get(unit, count)))
    if unit in _MILLIS:
        return start + _MILLIS[unit] * count
    moment = datetime.fromtimestamp(start // 1000, timezone.utc)
    index = moment.year * 12 + moment.month - 1 + {"mo": 1, "q": 3, "y": 12}[unit] * count
    return calendar.timegm((index // 12, index % 12 + 1, 1, 0, 0, 0)) * 1000


def _string(value: Any) -> str | None:
    """A string argument: MAP/LIST → null (§4.4)."""
    return None if is_structure(value) else text(value)


def _num(function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any) -> Any:
        numbers = [number(arg) for arg in args]
        if any(value is None for value in numbers):
            return None
        try:
            result = function(*numbers)
        except (ValueError, OverflowError, ZeroDivisionError):
            return None
        return None if isinstance(result, float) and math.isnan(result) else result

    return wrapped


def _str(function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any) -> Any:
        texts = [_string(arg) for arg in args]
        if any(value is None for value in texts):
            return None
        return function(*texts)

    return wrapped


def _trim(strip: Callable[[str, str | None], str]) -> Callable[..., Any]:
    return _str(lambda value, chars=None: strip(value, chars))


def _substr(value: str, start: str, length: str | None = None) -> str:
    begin = max(0, int(float(start)))
    if length is None:
        return value[begin:]
    size = int(float(length))
    return "" if size < 0 else value[begin : begin + size]


def _address(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    candidate = _string(value)
    if candidate is None:
        return None
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        return None


def _in_subnet(version: int | None) -> Callable[..., Any]:
    def test(value: Any, cidr: Any) -> Any:
        if value is None or cidr is None:
            return None
        address = _address(value)
        try:
            network = ipaddress.ip_network(str(text(cidr)), strict=False)
        except ValueError:
            return False
        if address is None or (version and address.version != version):
            return False
        return address.version == network.version and address in network

    return test


def _is_ip(version: int | None) -> Callable[..., Any]:
    def test(value: Any) -> Any:
        if value is None:
            return None
        address = _address(value)
        return address is not None and (version is None or address.version == version)

    return test


def _ip_class(kind: str) -> Callable[..., Any]:
    def test(value: Any) -> Any:
        if value is None:
            return None
        address = _address(value)
        if address is None:
            return False
        if kind == "private":
            return address.is_private and not address.is_loopback and not address.is_link_local
        if kind == "public":
            return address.is_global
        return address.is_reserved or address.is_multicast or address.is_unspecified

    return test


def _json_parse(value: Any) -> Any:
    if is_structure(value):
        return value
    source = _string(value)
    if source is None:
        return None
    try:
        document = json.loads(source)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict | list) else None


def _json_array(value: Any) -> list[Any] | None:
    document = value if isinstance(value, list) else _json_parse(value)
    return document if isinstance(document, list) else None


def _json_contains(value: Any, member: Any) -> Any:
    items = _json_array(value)
    if not items:
        return False
    wanted = text(member)
    return any(text(_scalar(item)) == wanted for item in items)


def _scalar(item: Any) -> Any:
    if isinstance(item, bool):
        return "true" if item else "false"
    return item


def _int(bits: int) -> Callable[..., Any]:
    def convert(value: Any) -> Any:
        numeric = number(value)
        if numeric is None or math.isinf(numeric):
            return None
        result = int(numeric)  # truncates toward zero (I68)
        return result if -(2 ** (bits - 1)) <= result < 2 ** (bits - 1) else None

    return convert


def _round(value: float, places: float = 0.0) -> float:
    factor = 10 ** int(places)
    scaled = abs(value) * factor
    rounded = math.floor(scaled + 0.5) / factor  # halves away from zero (I68)
    return math.copysign(rounded, value)


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371 * math.asin(min(1.0, math.sqrt(h)))


def _hex_to_dec(value: str) -> Any:
    try:
        return int(value.strip(), 16)
    except ValueError:
        return None


def _dec_to_hex(value: float) -> str:
    whole = int(value)
    return ("-0x" if whole < 0 else "0x") + format(abs(whole), "x")


def _hex_to_ascii(value: str) -> Any:
    digits = value[2:] if value.lower().startswith("0x") else value
    try:
        return bytes.fromhex(digits).decode("utf-8")
    except ValueError:
        return None


def _b64decode(value: str) -> Any:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _ipv4_number(value: str) -> Any:
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        return None
    return int(address)


def _time(value: Any) -> int | None:
    """A timestamp argument as epoch ms."""
    if isinstance(value, Timestamp):
        return int(value)
    numeric = number(value)
    return None if numeric is None else int(numeric)


def _zone(name: Any) -> Any:
    if name is None:
        return timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(str(text(name)))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _format_date(value: Any, pattern: Any, zone: Any = None) -> Any:
    millis, tz = _time(value), _zone(zone)
    if millis is None or pattern is None or tz is None:
        return None
    moment = datetime.fromtimestamp(0, timezone.utc) + timedelta(milliseconds=millis)
    return moment.astimezone(tz).strftime(str(text(pattern)))


#: Java DateTimeFormatter letters → strptime directives (the common ones)
_JAVA = [
    ("yyyy", "%Y"),
    ("MM", "%m"),
    ("dd", "%d"),
    ("HH", "%H"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("SSS", "%f"),
    ("XXX", "%z"),
    ("Z", "%z"),
    ("'T'", "T"),
]


def _parse_date(value: Any, pattern: Any, zone: Any = None) -> Any:
    source, tz = _string(value), _zone(zone)
    if source is None or pattern is None or tz is None:
        return None
    directive = str(text(pattern))
    for java, python in _JAVA:
        directive = directive.replace(java, python)
    try:
        moment = datetime.strptime(source, directive)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp() * 1000)


def _split(value: str, delimiter: str) -> Any:
    return value.split(delimiter) if delimiter else list(value)


def _case(*args: Any) -> Any:
    pairs = len(args) // 2
    for index in range(pairs):
        if truth(args[2 * index]):
            return args[2 * index + 1]
    return args[-1] if len(args) % 2 else None


def _greatest(pick: Callable[..., float]) -> Callable[..., Any]:
    def choose(*args: Any) -> Any:
        numbers = [value for value in map(number, args) if value is not None]
        return pick(numbers) if numbers else None  # I23

    return choose


_SCALARS: dict[str, Callable[..., Any]] = {
    "abs": _num(abs),
    "ceil": _num(math.ceil),
    "floor": _num(math.floor),
    "log": _num(lambda a: math.log(a) if a > 0 else None),
    "sqrt": _num(lambda a: math.sqrt(a) if a >= 0 else None),
    "greatest": _greatest(max),
    "least": _greatest(min),
    "coalesce": lambda *args: next((arg for arg in args if arg is not None), None),
    "ispresent": lambda value: value is not None,
    "isempty": lambda value: value is None or text(value) == "",
    "isblank": lambda value: value is None or str(text(value)).strip() == "",
    "concat": lambda *args: "".join(str(text(arg)) for arg in args if arg is not None),
    "ltrim": _trim(lambda value, chars: value.lstrip(chars)),
    "rtrim": _trim(lambda value, chars: value.rstrip(chars)),
    "trim": _trim(lambda value, chars: value.strip(chars)),
    "strlen": _str(len),
    "toupper": _str(str.upper),
    "tolower": _str(str.lower),
    "substr": _str(_substr),
    "replace": _str(lambda value, old, new: value.replace(old, new) if old else value),
    "strcontains": lambda value, part, fold=False: (
        None
        if _string(value) is None or _string(part) is None
        else (
            str(text(part)).lower() in str(text(value)).lower()
            if truth(fold)
            else str(text(part)) in str(text(value))
        )
    ),
    "startsWith": _str(lambda value, prefix: value.startswith(prefix)),
    "endsWith": _str(lambda value, suffix: value.endswith(suffix)),
    "fromMillis": lambda value: None if number(value) is None else Timestamp(int(number(value))),  # type: ignore[arg-type]
    "toMillis": lambda value: _time(value),
    "isValidIp": _is_ip(None),
    "isValidIpV4": _is_ip(4),
    "isValidIpV6": _is_ip(6),
    "isIpInSubnet": _in_subnet(None),
    "isIpv4InSubnet": _in_subnet(4),
    "isIpv6InSubnet": _in_subnet(6),
    "isPrivateIP": _ip_class("private"),
    "isPublicIP": _ip_class("public"),
    "isReservedIP": _ip_class("reserved"),
    "jsonParse": _json_parse,
    "jsonStringify": lambda value: text(value) if is_structure(value) else None,
    "round": _num(_round),
    "haversine": _num(_haversine),
    "toNumber": lambda value: number(value),
    "toDouble": lambda value: number(value),
    "toInt": _int(32),
    "toLong": _int(64),
    "formatDate": _format_date,
    "strftime": _format_date,
    "parseDate": _parse_date,
    "case": _case,
    "if": lambda condition, yes, no: yes if truth(condition) else no,
    "isNumeric": lambda value: None if value is None else number(value) is not None,
    "messageSize": _str(utf8_size),
    "jsonArraySize": lambda value: None if _json_array(value) is None else len(_json_array(value)),  # type: ignore[arg-type]
    "jsonArrayContains": _json_contains,
    "ipv4ToNumber": _str(_ipv4_number),
    "urlencode": _str(lambda value: urllib.parse.quote(value, safe="")),
    "urldecode": _str(lambda value: urllib.parse.unquote(value, errors="strict")),
    "base64encode": _str(lambda value: base64.b64encode(value.encode("utf-8")).decode("ascii")),
    "base64decode": _str(_b64decode),
    "split": _str(_split),
    "hexToAscii": _str(_hex_to_ascii),
    "hexToDec": _str(_hex_to_dec),
    "decToHex": _num(_dec_to_hex),
}


def call(name: str, args: list[Any]) -> Any:
    """The value of scalar function ``name`` over evaluated arguments."""
    function = _SCALARS.get(name)
    if function is None:
        raise unsupported(f"the function {name}() is not run locally")
    try:
        return function(*args)
    except (UnicodeDecodeError, ValueError, OverflowError):
        return None
