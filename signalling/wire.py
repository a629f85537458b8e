"""The Socket.IO wire protocol: inbound schemas, acks, errors, commands decoded.

Namespaces: ``/participant``, ``/facilitator``, ``/ops``. Every inbound event
is checked here against its schema and the 64 KB size cap before it reaches
the service; a refusal is an ack ``{"ok": false, "error": {"code",
"message"}}`` and changes nothing. Success is ``{"ok": true, ...}``.

The names of the namespaces, events and commands are in
``signalling.wirenames``.

An event refused because a service is away (Redis) is
``{"ok": false, "error": {"code": "try_again", "retry_after": s}}``: nothing was
stored; send it again (answers carry a client id, so a retry never duplicates).

``parse_command`` turns a facilitator's command into the value the
application takes (``orchestrator.commands.Command``: mostly the domain's own
events), so the application never sees the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgpack

from exercises import events as ev
from exercises.classfile.limits import MAX_TEXT_CHARS, MAX_TITLE_CHARS
from exercises.names import MAX_NAME_CHARS
from orchestrator import commands
from orchestrator.errors import BadRequest
from signalling.wirenames import Command, Event

MAX_EVENT_BYTES = 64 * 1024
MAX_ID_CHARS = 64


@dataclass(frozen=True, slots=True)
class Field:
    kind: type | tuple[type, ...]
    required: bool = True
    max_len: int | None = None
    low: float | None = None
    high: float | None = None


_ID = Field(str, max_len=MAX_ID_CHARS)

#: Fields of each inbound event (participant and facilitator namespaces).
SCHEMAS: dict[str, dict[str, Field]] = {
    Event.ANSWER: {"step_id": _ID, "client_id": _ID, "value": Field(dict)},
    Event.SYNC: {},
    Event.TOKEN: {"room": Field(str, required=False, max_len=128)},
    Event.HELP: {"text": Field(str, required=False, max_len=500)},
    Event.JOURNAL: {},
    Event.SET_NAME: {"name": Field(str, max_len=MAX_NAME_CHARS)},
    Event.QUALITY: {"level": Field(str, max_len=16)},
    Event.ECHO_OFFER: {"sdp": Field(str, max_len=60_000), "type": Field(str, max_len=16)},
    Event.ECHO_CLOSE: {"session": _ID},
    Event.ECHO_REPORT: {"session": _ID},
}

COMMAND_SCHEMAS: dict[str, dict[str, Field]] = {
    Command.START: {}, Command.NEXT: {}, Command.BACK: {}, Command.PAUSE: {},
    Command.RESUME: {}, Command.END: {}, Command.OPEN_BREAKOUTS: {},
    Command.EXTEND: {"seconds": Field(int, low=1, high=3600)},
    Command.BROADCAST: {"text": Field(str, max_len=500)},
    Command.RECALL: {"countdown": Field(int, required=False, low=0, high=600)},
    Command.MOVE: {"person_id": _ID, "to_group": Field(int, low=0, high=10_000)},
    Command.SWAP: {"person_id": _ID, "other_id": _ID},
    Command.EDIT_STEP: {
        "step_id": _ID,
        "title_sv": Field(str, required=False, max_len=MAX_TITLE_CHARS),
        "title_en": Field(str, required=False, max_len=MAX_TITLE_CHARS),
        "prompt_sv": Field(str, required=False, max_len=MAX_TEXT_CHARS),
        "prompt_en": Field(str, required=False, max_len=MAX_TEXT_CHARS),
        "duration": Field((int, float, str), required=False, max_len=16),
    },
    Command.JOIN_ROOM: {"room": Field(str, max_len=128)},
    Command.HELP_DONE: {"help_id": Field(str, max_len=128)},
}


def check_size(data: object) -> None:
    try:
        size = len(msgpack.packb(data, use_bin_type=True))
    except (TypeError, ValueError, OverflowError):
        raise BadRequest("the payload cannot be encoded", code="bad_payload") from None
    if size > MAX_EVENT_BYTES:
        raise BadRequest(f"the payload is {size} bytes; the limit is {MAX_EVENT_BYTES}",
                         code="too_large")


def _check(fields: Mapping[str, Field], data: object, what: str) -> dict[str, Any]:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise BadRequest(f"{what} takes an object, not {type(data).__name__}", code="bad_payload")
    unknown = set(data) - set(fields)
    if unknown:
        raise BadRequest(f"{what}: unknown field(s) {sorted(map(str, unknown))}; "
                         f"expected {sorted(fields)}", code="bad_payload")
    out: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in data or data[name] is None:
            if spec.required:
                raise BadRequest(f"{what}: field {name!r} is required", code="bad_payload")
            continue
        raw = data[name]
        if isinstance(raw, bool) or not isinstance(raw, spec.kind):
            expected = spec.kind.__name__ if isinstance(spec.kind, type) else "number"
            raise BadRequest(f"{what}: field {name!r} must be {expected}, "
                             f"not {type(raw).__name__}", code="bad_payload")
        value: Any = raw
        if spec.max_len is not None and isinstance(value, str) and len(value) > spec.max_len:
            raise BadRequest(f"{what}: field {name!r} is longer than {spec.max_len}",
                             code="out_of_range")
        numeric = isinstance(value, (int, float))
        if numeric and (spec.low is not None and value < spec.low
                        or spec.high is not None and value > spec.high):
            raise BadRequest(f"{what}: field {name!r} must be from {spec.low:g} to "
                             f"{spec.high:g}, not {value}", code="out_of_range")
        out[name] = value
    return out


def parse_event(event: str, data: object) -> dict[str, Any]:
    """The validated fields of an inbound event; ``BadRequest`` otherwise."""
    check_size(data)
    if event not in SCHEMAS:
        raise BadRequest(f"unknown event {event!r}", code="unknown_event")
    return _check(SCHEMAS[event], data, event)


_BUILD: dict[Command, Callable[[dict[str, Any]], commands.Command]] = {
    Command.START: lambda a: ev.Start(),
    Command.NEXT: lambda a: ev.Next(),
    Command.BACK: lambda a: ev.Back(),
    Command.PAUSE: lambda a: ev.Pause(),
    Command.RESUME: lambda a: ev.Resume(),
    Command.END: lambda a: ev.End(),
    Command.EXTEND: lambda a: ev.Extend(a["seconds"]),
    Command.BROADCAST: lambda a: ev.Broadcast(a["text"]),
    Command.RECALL: lambda a: ev.Recall(a["countdown"]) if "countdown" in a else ev.Recall(),
    Command.MOVE: lambda a: ev.MovePerson(a["person_id"], a["to_group"]),
    Command.SWAP: lambda a: ev.SwapPeople(a["person_id"], a["other_id"]),
    Command.OPEN_BREAKOUTS: lambda a: commands.PlanBreakouts(),
    Command.EDIT_STEP: lambda a: commands.EditStepText(**a),
    Command.JOIN_ROOM: lambda a: commands.JoinRoom(a["room"]),
    Command.HELP_DONE: lambda a: commands.ResolveHelp(a["help_id"]),
}


def parse_command(data: object) -> commands.Command:
    """The command a facilitator sent, checked against its schema; ``BadRequest`` otherwise."""
    check_size(data)
    if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
        raise BadRequest("a command is an object with a 'name'", code="bad_payload")
    try:
        name = Command(data["name"])
    except ValueError:
        raise BadRequest(f"unknown command {data['name']!r}; known: "
                         f"{sorted(c.value for c in Command)}", code="unknown_command") from None
    args = {k: v for k, v in data.items() if k != "name"}
    return _BUILD[name](_check(COMMAND_SCHEMAS[name], args, f"command {name.value}"))


def ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}
