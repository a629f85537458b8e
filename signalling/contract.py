"""The figures and names the browser pages share with the server, as one ES module.

The pages check a name or an answer before they send it, explain the echo
test's verdict and name the events they send: all of that repeats what the
server defines. ``contract()`` gathers it from the Python definitions
(``exercises.answers``, ``signalling.wire`` and ``signalling.wirenames``,
the echo ``Thresholds``) and ``render_js`` writes it as
``web/src/contract.js``, which ``onlive contract`` keeps in step and a test
compares with the committed file.

Exports, in this order: ``LIMITS`` (characters, seconds and bytes the server
accepts), ``ECHO_THRESHOLDS`` (upper bounds for "good" and "fair"),
``EVENTS`` and ``COMMANDS`` (member name -> wire name), ``NAMESPACES`` and
``NAME_REFUSALS`` (the codes a chosen name can be refused with; the pages
translate each).
Keys keep the order of their definitions, so the output is deterministic.

Errors: ``ValueError`` when a schema no longer holds a figure the pages need
(a limit removed, or two fields that should share one limit disagree).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from exercises.answers import MAX_TEXT_CHARS, MAX_WORD_CHARS
from exercises.classfile.limits import MAX_DURATION_SECONDS
from exercises.names import REFUSALS
from signalling import wire
from signalling.media.verdict import Thresholds
from signalling.wire import COMMAND_SCHEMAS, SCHEMAS, Field
from signalling.wirenames import FACILITATOR, OPS, PARTICIPANT, Command, Event

#: The generated module, beside the page scripts that import it.
WEB_CONTRACT = Path(__file__).resolve().parent.parent / "web" / "src" / "contract.js"

HEADER = ("// Generated from the Python definitions by `onlive contract`; do not edit. "
          "A test fails when it drifts.\n")

#: contract() key -> the name the module exports, in output order.
_EXPORTS = {
    "limits": "LIMITS",
    "echo_thresholds": "ECHO_THRESHOLDS",
    "events": "EVENTS",
    "commands": "COMMANDS",
    "namespaces": "NAMESPACES",
    "name_refusals": "NAME_REFUSALS",
}


def _max_len(schema: Mapping[str, Field], *names: str) -> int:
    """The length limit the fields ``names`` share."""
    limits = {schema[name].max_len for name in names}
    limit = limits.pop() if len(limits) == 1 else None
    if limit is None:
        raise ValueError(f"fields {list(names)} do not share one length limit; "
                         "give them one, or give the pages one limit each")
    return limit


def _high(field: Field, name: str) -> int | float:
    if field.high is None:
        raise ValueError(f"{name} has no upper bound for the pages to show")
    return _number(field.high)


def _number(value: float) -> int | float:
    # 150.0 ms reads as 150 in the generated module (and in JS it is the same number).
    return int(value) if float(value).is_integer() else value


def contract() -> dict[str, Any]:
    """The contract, read from the Python definitions; never a re-typed number."""
    edit = COMMAND_SCHEMAS[Command.EDIT_STEP]
    limits = {
        "answerWordChars": MAX_WORD_CHARS,
        "answerTextChars": MAX_TEXT_CHARS,
        "nameChars": _max_len(SCHEMAS[Event.SET_NAME], "name"),
        "helpTextChars": _max_len(SCHEMAS[Event.HELP], "text"),
        "broadcastChars": _max_len(COMMAND_SCHEMAS[Command.BROADCAST], "text"),
        "editTitleChars": _max_len(edit, "title_sv", "title_en"),
        "editPromptChars": _max_len(edit, "prompt_sv", "prompt_en"),
        "recallSeconds": _high(COMMAND_SCHEMAS[Command.RECALL]["countdown"], "recall countdown"),
        "stepSeconds": _number(MAX_DURATION_SECONDS),
        "eventBytes": wire.MAX_EVENT_BYTES,
    }
    t = Thresholds()
    thresholds = {
        "good": {"rttMs": _number(t.good_rtt_ms), "jitterMs": _number(t.good_jitter_ms),
                 "loss": _number(t.good_loss)},
        "fair": {"rttMs": _number(t.fair_rtt_ms), "jitterMs": _number(t.fair_jitter_ms),
                 "loss": _number(t.fair_loss)},
    }
    return {
        "limits": limits,
        "echo_thresholds": thresholds,
        "events": {e.name: e.value for e in Event},
        "commands": {c.name: c.value for c in Command},
        "namespaces": {"PARTICIPANT": PARTICIPANT, "FACILITATOR": FACILITATOR, "OPS": OPS},
        "name_refusals": list(REFUSALS),
    }


def _js(value: object, indent: str = "") -> str:
    """``value`` as a JS literal; objects frozen, so a page cannot change the contract."""
    if isinstance(value, Mapping):
        inner = indent + "  "
        items = "".join(f"{inner}{_key(k)}: {_js(v, inner)},\n" for k, v in value.items())
        return f"Object.freeze({{\n{items}{indent}}})"
    if isinstance(value, list):
        return f"Object.freeze({json.dumps(value, ensure_ascii=False)})"
    return json.dumps(value, ensure_ascii=False)


def _key(key: object) -> str:
    text = str(key)
    return text if text.isidentifier() else json.dumps(text)


def render_js(contract: Mapping[str, Any]) -> str:
    """The ES module for ``contract``: the header, then one export per part."""
    if set(contract) != set(_EXPORTS):
        raise ValueError(f"the contract has parts {sorted(contract)}; "
                         f"the module exports {list(_EXPORTS)}")
    exports = [f"export const {name} = {_js(contract[part])};\n"
               for part, name in _EXPORTS.items()]
    return HEADER + "\n" + "\n".join(exports)
