"""The string mutators (spec §2.3) and JSON mutators (spec §2.4). Missing keys and values of
the wrong type are skipped (T11)."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable
from typing import Any

from cwquery.transformers import paths
from cwquery.transformers.event import Event


def _each_string(config: dict[str, Any], event: Event, change: Callable[[str], str]) -> None:
    for path in config["withKeys"]:
        value = paths.lookup(event.fields, path)
        if isinstance(value, str):
            event.put(path, change(value))


def lower_case(config: dict[str, Any], event: Event) -> None:
    """lowerCaseString."""
    _each_string(config, event, str.lower)


def upper_case(config: dict[str, Any], event: Event) -> None:
    """upperCaseString."""
    _each_string(config, event, str.upper)


def trim(config: dict[str, Any], event: Event) -> None:
    """trimString: leading and trailing whitespace."""
    _each_string(config, event, str.strip)


def split_string(config: dict[str, Any], event: Event) -> None:
    """splitString: the string becomes the list of pieces around a literal delimiter."""
    for entry in config["entries"]:
        value = paths.lookup(event.fields, entry["source"])
        if isinstance(value, str):
            event.put(entry["source"], value.split(entry["delimiter"]))


_JAVA_NAMED = re.compile(r"(?<!\\)\(\?<(?=[A-Za-z])")
_REFERENCE = re.compile(r"\\(.)|\$\{([A-Za-z][A-Za-z0-9]*)\}|\$([0-9])")


def java_pattern(source: str) -> re.Pattern[str]:
    """``from`` as a Python pattern (T12): Java's ``(?<name>`` is read as ``(?P<name>``.
    Raises ``re.error``."""
    return re.compile(_JAVA_NAMED.sub("(?P<", source))


def replacement_references(template: str) -> list[str]:
    """The groups a ``to`` template refers to, in order (``$1``, ``${name}``)."""
    return [named or number for _, named, number in _REFERENCE.findall(template) if named or number]


@functools.lru_cache(maxsize=256)
def _substitution(source: str, template: str) -> tuple[re.Pattern[str], str]:
    def convert(found: re.Match[str]) -> str:
        escaped, named, number = found.groups()
        if escaped is not None:
            return escaped.replace("\\", "\\\\")
        return f"\\g<{named or number}>"

    parts: list[str] = []
    position = 0
    for found in _REFERENCE.finditer(template):
        parts.append(template[position : found.start()].replace("\\", "\\\\"))
        parts.append(convert(found))
        position = found.end()
    parts.append(template[position:].replace("\\", "\\\\"))
    return java_pattern(source), "".join(parts)


def substitute(config: dict[str, Any], event: Event) -> None:
    """substituteString: every match of ``from`` replaced by ``to``."""
    for entry in config["entries"]:
        value = paths.lookup(event.fields, entry["source"])
        if not isinstance(value, str):
            continue
        pattern, template = _substitution(entry["from"], entry["to"])
        try:
            event.put(entry["source"], pattern.sub(template, value))
        except (re.error, IndexError):
            continue


def add_keys(config: dict[str, Any], event: Event) -> None:
    """addKeys: a string value per key, existing keys kept unless ``overwriteIfExists``."""
    for entry in config["entries"]:
        event.put(entry["key"], entry["value"], overwrite=bool(entry.get("overwriteIfExists")))


def delete_keys(config: dict[str, Any], event: Event) -> None:
    """deleteKeys: missing keys are ignored."""
    for path in config["withKeys"]:
        paths.remove(event.fields, path)


def move_keys(config: dict[str, Any], event: Event) -> None:
    """moveKeys: the key goes into the ``target`` object under its own name (T13)."""
    for entry in config["entries"]:
        source = entry["source"]
        name = paths.split(source)[-1]
        destination = f"{entry['target']}.{name}"
        target = paths.lookup(event.fields, entry["target"])
        if not paths.has(event.fields, source):
            continue
        if target is not paths.MISSING and not isinstance(target, dict):
            continue
        overwrite = bool(entry.get("overwriteIfExists"))
        if paths.has(event.fields, destination) and not overwrite:
            continue
        if destination == source:
            continue
        value = paths.remove(event.fields, source)
        event.put(destination, value)


def rename_keys(config: dict[str, Any], event: Event) -> None:
    """renameKeys: ``key`` becomes ``renameTo`` in the same object (T20)."""
    for entry in config["entries"]:
        found = paths.parent(event.fields, entry["key"], create=False)
        if found is None:
            continue
        node, name = found
        new = entry["renameTo"]
        if name not in node or new == name:
            continue
        if new in node and not entry.get("overwriteIfExists"):
            continue
        node[new] = node.pop(name)
        event.structured = True


def copy_value(config: dict[str, Any], event: Event) -> None:
    """copyValue: a deep copy of a field or a metadata key (T21)."""
    for entry in config["entries"]:
        value = event.value(entry["source"])
        if value is paths.MISSING:
            continue
        event.put(
            entry["target"], copy.deepcopy(value), overwrite=bool(entry.get("overwriteIfExists"))
        )


def list_to_map(config: dict[str, Any], event: Event) -> None:
    """listToMap: a map keyed by each object's ``key`` member; the source list stays."""
    items = paths.lookup(event.fields, config["source"])
    if not isinstance(items, list):
        return
    key, value_key = config["key"], config.get("valueKey")
    flatten = bool(config.get("flatten"))
    last = config.get("flattenedElement") == "last"
    built: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict) or key not in item:
            continue
        if value_key is not None and value_key not in item:
            continue
        name = item[key] if isinstance(item[key], str) else _text(item[key])
        value = item[value_key] if value_key is not None else item
        if flatten:
            if last or name not in built:
                built[name] = value
        else:
            built.setdefault(name, []).append(value)
    if not built:
        return
    target = config.get("target")
    if target:
        existing = paths.lookup(event.fields, target)
        if isinstance(existing, dict):
            existing.update(built)
            event.structured = True
        else:
            event.put(target, built)
    else:
        event.merge(built, None, overwrite=True)


def _text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
