"""Tags: a list of themes, or a mapping of themes and the organisation's goals,
values and leadership philosophy (each kept with its own prefix)."""

from __future__ import annotations

import yaml

from exercises.classfile.limits import MAX_TAG_CHARS
from exercises.classfile.reader import Reader, join_path, line_of

__all__ = ["read_tags"]

_TAG_GROUPS = {"themes": "", "goals": "goal:", "values": "value:", "philosophy": "philosophy:"}


def read_tags(r: Reader, node: yaml.Node, path: str) -> tuple[str, ...] | None:
    """The tags, prefixed by group and without repeats; None when any is invalid."""
    def plain(items_node: yaml.Node, where: str, prefix: str) -> list[str] | None:
        items = r.sequence(items_node, where, "a list of tags")
        if items is None:
            return None
        out: list[str] = []
        for i, item in enumerate(items):
            value = r.scalar(item, f"{where}[{i}]", "a tag")
            if value is not None and not 0 < len(value.strip()) <= MAX_TAG_CHARS:
                r.add(line_of(item), f"{where}[{i}]", f"expected a tag of 1 to {MAX_TAG_CHARS} "
                      f"characters, got {value!r}", "too_long", limit=MAX_TAG_CHARS)
            elif value is not None:
                out.append(prefix + value.strip())
        return out if len(out) == len(items) else None

    if isinstance(node, yaml.MappingNode):
        groups = r.mapping(node, path, tuple(_TAG_GROUPS))
        if groups is None:
            return None
        tags: list[str] = []
        for group, items_node in groups.items():
            found = plain(items_node, join_path(path, group), _TAG_GROUPS[group])
            if found is None:
                return None
            tags += found
        return tuple(dict.fromkeys(tags))
    found = plain(node, path, "")
    return None if found is None else tuple(dict.fromkeys(found))
