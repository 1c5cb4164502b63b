"""The grok processor: a ``match`` checked against the catalogue, compiled once to an RE2
program anchored at both ends (decision T32), and the fields one text yields."""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Final

from cwquery.transformers import grok_patterns as catalogue
from cwquery.transformers.errors import LIMIT, ORDER, SYNTAX, TransformerError
from cwquery.transformers.paths import MAX_DEPTH

_REFERENCE = re.compile(r"%\{([^{}]*)\}")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_@-]+(?:\.[A-Za-z0-9_@-]+)*")
_EXTRA = re.compile(r"\(\?X:(\w+):")
_VALUE = re.compile(r"\(\?V:")
_NAMED_GROUP = re.compile(r"\(\?P?<")

_IPORHOST = "%{IPORHOST}"
#: The common-log formats as whole-line expressions with their fixed output names.
_COMMON: Final[dict[str, str]] = {
    "APACHE_ACCESS_LOG": (
        rf"(?P<c_remote_host>{_IPORHOST}) (?P<c_ident>%{{USER}}|-) (?P<c_auth_user>%{{USER}}|-)"
        r' \[(?P<c_timestamp>%{HTTPDATE})\] "(?P<c_http_method>\w+) (?P<c_request>\S+)'
        r'(?: HTTP/(?P<c_http_version>%{NUMBER}))?" (?P<c_status_code>[0-9]+)'
        r' (?P<c_response_size>[0-9]+|-)(?: "(?P<c_referrer>[^"]*)" "(?P<c_agent>[^"]*)")?'
    ),
    "NGINX_ACCESS_LOG": (
        rf"(?P<c_remote_host>{_IPORHOST}) - (?P<c_auth_user>%{{USER}}|-)"
        r' \[(?P<c_timestamp>%{HTTPDATE})\] "(?P<c_http_method>\w+) (?P<c_request>\S+)'
        r'(?: HTTP/(?P<c_http_version>%{NUMBER}))?" (?P<c_status_code>[0-9]+)'
        r' (?P<c_response_size>[0-9]+|-) "(?P<c_referrer>[^"]*)" "(?P<c_agent>[^"]*)"'
    ),
    "SYSLOG5424": (
        r"<(?P<c_pri>[0-9]{1,3})>(?P<c_version>[0-9]{1,2})"
        r" (?P<c_timestamp>%{TIMESTAMP_ISO8601}|-) (?P<c_hostname>\S+) (?P<c_app>\S+)"
        r" (?P<c_procid>\S+) (?P<c_msg_id>\S+)"
        r" (?P<c_structured_data>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<c_message>.*))?"
    ),
}
_NUMERIC: Final = frozenset({"status_code", "response_size", "pri", "version"})


@dataclass
class Grok:
    """A compiled ``match``: the RE2 program and what each named group becomes."""

    program: Any
    #: group name -> field path
    fields: dict[str, str] = field(default_factory=dict)
    #: field path -> value group names (the first that took part is the value)
    values: dict[str, list[str]] = field(default_factory=dict)
    common: bool = False

    def apply(self, text: str) -> dict[str, Any] | None:
        """The ``path -> value`` pairs for ``text`` in pattern order, ``None`` when the whole
        text does not match (T3)."""
        try:
            found = self.program.fullmatch(text)
        except UnicodeEncodeError:
            found = self.program.fullmatch(text.encode("utf-8", "replace").decode("utf-8"))
        if found is None:
            return None
        groups = found.groupdict()
        out: dict[str, Any] = {}
        for group, path in self.fields.items():
            value = groups.get(group)
            for alternative in self.values.get(group, []):
                if groups.get(alternative) is not None:
                    value = groups[alternative]
                    break
            if value is None:
                continue
            if group.startswith("c_"):
                converted = _common_value(path, value)
                if converted is None:
                    continue
                value = converted
            out[path] = value
        return out


def _common_value(name: str, value: str) -> Any:
    """A common-log field's output value; ``None`` omits it (T6)."""
    if value == "-" and name != "structured_data":
        return None
    if name in _NUMERIC:
        return int(value)
    if name == "timestamp":
        return _iso_utc(value)
    return value


def _iso_utc(text: str) -> str:
    """An HTTP or ISO-8601 date rewritten as ISO-8601 UTC with milliseconds; unchanged when it
    cannot be read."""
    moment: _dt.datetime | None = None
    with contextlib.suppress(ValueError):
        moment = _dt.datetime.strptime(text, "%d/%b/%Y:%H:%M:%S %z")
    if moment is None:
        try:
            moment = _dt.datetime.fromisoformat(text)
        except ValueError:
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    moment = moment.astimezone(_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _expand(name: str, *, top: bool, counter: list[int], grok: Grok | None, value_of: str) -> str:
    """The RE2 text of pattern ``name``; at the top level its markers become named groups."""
    definition = catalogue.PATTERNS[name]

    def reference(found: re.Match[str]) -> str:
        inner = _expand(found.group(1), top=False, counter=counter, grok=None, value_of="")
        return f"(?:{inner})"

    text = _REFERENCE.sub(reference, definition)

    def extra(found: re.Match[str]) -> str:
        if not top or grok is None:
            return "(?:"
        counter[0] += 1
        group = f"x{counter[0]}"
        grok.fields[group] = found.group(1)
        return f"(?P<{group}>"

    def value(_: re.Match[str]) -> str:
        if not top or grok is None or not value_of:
            return "(?:"
        counter[0] += 1
        group = f"v{counter[0]}"
        grok.values.setdefault(value_of, []).append(group)
        return f"(?P<{group}>"

    return _VALUE.sub(value, _EXTRA.sub(extra, text))


def _tokens(match: str) -> list[tuple[str, str, str | None]]:
    """``("literal", text, None)`` and ``("pattern", NAME, field or None)`` in order."""
    tokens: list[tuple[str, str, str | None]] = []
    position = 0
    for found in _REFERENCE.finditer(match):
        if found.start() > position:
            tokens.append(("literal", match[position : found.start()], None))
        name, _, rest = found.group(1).partition(":")
        if ":" in rest:
            raise TransformerError(
                SYNTAX, f"grok: type suffixes are not supported: %{{{found.group(1)}}}"
            )
        if name not in catalogue.NAMES:
            raise TransformerError(SYNTAX, f"grok: unknown pattern %{{{name}}}")
        if rest and not _FIELD_NAME.fullmatch(rest):
            raise TransformerError(SYNTAX, f"grok: invalid field name {rest!r}")
        if rest and rest.count(".") >= MAX_DEPTH:
            raise TransformerError(
                LIMIT, f"grok: field {rest!r} is nested deeper than {MAX_DEPTH} levels"
            )
        tokens.append(("pattern", name, rest or None))
        position = found.end()
    if position < len(match):
        tokens.append(("literal", match[position:], None))
    return tokens


def _check_counts(names: list[str]) -> None:
    """The per-match pattern quotas of spec §2.6."""
    if len(names) > catalogue.MAX_PATTERNS:
        raise TransformerError(
            LIMIT, f"grok: {len(names)} patterns; at most {catalogue.MAX_PATTERNS} are allowed"
        )
    for name in sorted(set(names)):
        limit = catalogue.USE_LIMITS.get(name, catalogue.DEFAULT_USE_LIMIT)
        if names.count(name) > limit:
            raise TransformerError(LIMIT, f"grok: %{{{name}}} may be used at most {limit} times")
    shared = sum(1 for name in names if name in catalogue.SHARED_LIMIT_GROUP)
    if shared > catalogue.SHARED_LIMIT:
        raise TransformerError(
            LIMIT,
            "grok: URI, URIPARAM, URIPATHPARAM, SPACE, DATA, GREEDYDATA and GREEDYDATA_MULTILINE "
            f"may be used at most {catalogue.SHARED_LIMIT} times together",
        )


def _check_common(tokens: list[tuple[str, str, str | None]]) -> bool:
    """Whether the match starts with a common-log pattern, checking their placement rules."""
    names = [name for kind, name, _ in tokens if kind == "pattern"]
    common = [name for name in names if name in catalogue.COMMON_LOG]
    if not common:
        return False
    if len(common) > 1 or tokens[0][1] not in catalogue.COMMON_LOG:
        raise TransformerError(
            ORDER, "grok: a common-log pattern must be the first element, and only one is allowed"
        )
    if len(names) > 2 or (len(names) == 2 and names[1] not in catalogue.AFTER_COMMON_LOG):
        raise TransformerError(
            ORDER,
            f"grok: %{{{names[0]}}} may be followed only by one %{{DATA}}, %{{GREEDYDATA}} or "
            "%{GREEDYDATA_MULTILINE}",
        )
    return True


@functools.lru_cache(maxsize=256)
def compile_match(match: str) -> Grok:
    """Check ``match`` (raising :class:`TransformerError` without a processor index) and build
    its program.

    >>> compile_match("%{WORD:verb} %{NUMBER:code}").apply("GET 200")
    {'verb': 'GET', 'code': '200'}
    """
    import re2

    tokens = _tokens(match)
    names = [name for kind, name, _ in tokens if kind == "pattern"]
    if not names:
        raise TransformerError(SYNTAX, "grok: the match names no %{PATTERN}")
    _check_counts(names)
    grok = Grok(program=None, common=_check_common(tokens))
    counter = [0]
    parts: list[str] = []
    for kind, name, path in tokens:
        if kind == "literal":
            if _NAMED_GROUP.search(name):
                raise TransformerError(SYNTAX, "grok: named groups are not allowed in the match")
            parts.append(name)
        elif name in catalogue.COMMON_LOG:
            parts.append(_REFERENCE.sub(lambda m: _inline(m.group(1)), _COMMON[name]))
            for group in re.findall(r"\(\?P<(c_\w+)>", _COMMON[name]):
                grok.fields[group] = group[2:]
        else:
            counter[0] += 1
            group = f"f{counter[0]}"
            if path is not None:
                grok.fields[group] = path  # before the extras it adds: pattern order (T2)
            body = _expand(name, top=True, counter=counter, grok=grok, value_of=group)
            parts.append(f"(?:{body})" if path is None else f"(?P<{group}>{body})")
    options = re2.Options()
    options.max_mem = 8 << 20
    options.log_errors = False
    try:
        grok.program = re2.compile("".join(parts), options)
    except re2.error as err:
        reason = err.args[0] if err.args else err
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        reason = str(reason).partition(": ")[0]  # the rest spells cwquery's expansion
        raise TransformerError(
            SYNTAX, f"grok: the match is not a valid expression: {reason}"
        ) from None
    return grok


def _inline(name: str) -> str:
    """A catalogue pattern inside a common-log expression, without capturing groups."""
    return "(?:" + _expand(name, top=False, counter=[0], grok=None, value_of="") + ")"
