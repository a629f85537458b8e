"""Hostile inputs for the fuzz suite (``tests/fuzz``) and ``onlive bench fuzz``.

Hypothesis strategies, built from the wire's own schemas so a new event or
command is fuzzed without a change here:

- ``EventCase``: a Socket.IO event on one namespace (``/participant``,
  ``/facilitator``, ``/ops``): known names with values of the wrong type,
  size, range or shape, unknown and reserved names, arbitrary payloads;
- ``FrameCase``: a raw Engine.IO frame that is not a valid Socket.IO packet;
- ``HttpCase``: a request to an HTTP route with hostile paths, headers
  (forged bearer tokens, content encodings that lie) and bodies;
- ``class_texts`` / ``roster_bytes``: class files and rosters for the
  offline readers (tags, aliases, deep nesting, broken encodings).

What the server must do with each is decided by the runner (``fuzz``), not
here.
"""

from __future__ import annotations

import gzip
import json
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from signalling import wire, wirenames

#: Commands a fuzzed facilitator never sends: ending the pass would make every
#: later case an easy refusal.
SPARED_COMMANDS = frozenset({wirenames.Command.END})
RESERVED = ("connect", "disconnect", "connect_error", "disconnecting", "message", "*",
            "newListener")
NAMESPACES = (wirenames.PARTICIPANT, wirenames.FACILITATOR, wirenames.OPS)
ANSWER_KEYS = ("energy", "word", "text", "value", "choices", "words", "rating", "choice")


@dataclass(frozen=True, slots=True)
class EventCase:
    namespace: str
    event: str
    data: Any


@dataclass(frozen=True, slots=True)
class FrameCase:
    frame: bytes | str


@dataclass(frozen=True, slots=True)
class HttpCase:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


Case = EventCase | FrameCase | HttpCase

# -- values ---------------------------------------------------------------------

_TRICKY = ("\x00", "\n", "\r\n", "\u202e", "\u200b", "\ufeff", "\ud7ff", "%s%n", "{0}",
           "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "\\", "Facilitator",
           "onlive_x_main", "💥" * 3, "Å" * 61, "ops", "null", "NaN", "-1", "1e309")


def texts(max_size: int = 40) -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=max_size), st.sampled_from(_TRICKY),
                     st.integers(0, 70_000).map(lambda n: "x" * n),
                     st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Mn"]),
                             max_size=max_size))


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.booleans(), st.integers(-2 ** 63, 2 ** 64 - 1),
                     st.sampled_from([0, -1, 1, 5, 6, 3600, 3601, 10_001, 2 ** 53]),
                     st.floats(allow_nan=True, allow_infinity=True), texts(),
                     st.binary(max_size=40))


def values() -> st.SearchStrategy[Any]:
    return st.recursive(scalars(), lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(texts(12), inner, max_size=5)),
        max_leaves=12)


def _schema_payload(fields: dict[str, wire.Field]) -> st.SearchStrategy[dict[str, Any]]:
    """The event's own fields, each present or not, with any value, plus stray keys."""
    names = sorted(fields)
    field_values: dict[str, st.SearchStrategy[Any]] = {
        name: st.one_of(values(), answer_values()) if name == "value" else values()
        for name in names}
    stray = st.one_of(st.just({}), st.dictionaries(texts(12), values(), max_size=2))
    return st.tuples(st.fixed_dictionaries({}, optional=field_values), stray).map(
        lambda pair: {**pair[1], **pair[0]})


def answer_values() -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(ANSWER_KEYS), values(), max_size=3)


# -- Socket.IO events -------------------------------------------------------------

_PARTICIPANT_EVENTS = sorted(e for e in wire.SCHEMAS)
_NAMESPACE_EVENTS: dict[str, list[str]] = {
    wirenames.PARTICIPANT: _PARTICIPANT_EVENTS,
    wirenames.FACILITATOR: [wirenames.Event.COMMAND, wirenames.Event.SYNC],
    wirenames.OPS: [wirenames.Event.SYNC],
}


def _with_name(name: str) -> st.SearchStrategy[dict[str, Any]]:
    return _schema_payload(wire.COMMAND_SCHEMAS[wirenames.Command(name)]).map(
        lambda args: {**args, "name": name})


def _command_payloads() -> st.SearchStrategy[Any]:
    # Built once per command (a flatmap would build a strategy for every draw).
    known = st.one_of([_with_name(c.value) for c in wirenames.Command if c not in SPARED_COMMANDS])
    return st.one_of(known, known, known, values(), st.fixed_dictionaries({"name": scalars()}))


def event_cases(namespace: str) -> st.SearchStrategy[EventCase]:
    """Events for one namespace: known names with hostile payloads, and hostile names."""
    own = _NAMESPACE_EVENTS[namespace]

    def payload(event: str) -> st.SearchStrategy[Any]:
        if event == wirenames.Event.COMMAND:
            return _command_payloads()
        if event in wire.SCHEMAS:
            return st.one_of(_schema_payload(wire.SCHEMAS[event]), values())
        return values()

    def case(name: str) -> st.SearchStrategy[EventCase]:
        return payload(name).map(lambda data: EventCase(namespace, name, data))

    known = st.one_of([case(name) for name in own])
    others = st.one_of([case(name) for name in [*_PARTICIPANT_EVENTS, wirenames.Event.COMMAND]
                        if name not in own])
    hostile_names = st.tuples(st.one_of(st.sampled_from(RESERVED), texts(70)), values()).map(
        lambda pair: EventCase(namespace, pair[0], pair[1]))
    return st.one_of(known, known, known, others, hostile_names)


# -- raw frames -------------------------------------------------------------------

def _packed(value: Any) -> bytes:
    import msgpack
    return bytes(msgpack.packb(value, use_bin_type=True))


def frame_cases() -> st.SearchStrategy[FrameCase]:
    packet = st.fixed_dictionaries({}, optional={
        "type": st.one_of(st.integers(-1, 9), scalars()), "nsp": st.one_of(
            st.sampled_from(NAMESPACES), texts(70), scalars()),
        "data": values(), "id": st.one_of(st.integers(-5, 2 ** 60), scalars())})
    return st.one_of(
        st.binary(max_size=64),
        packet.map(_packed),
        values().map(_packed),
        st.text(max_size=40).map(lambda t: "4" + t),  # a text message on a msgpack server
        st.binary(max_size=32).map(lambda b: b"\xc1" + b),  # msgpack's never-used byte
    ).map(FrameCase)


# -- HTTP -------------------------------------------------------------------------

#: Every route the server has (placeholders filled), so each meets hostile input.
ROUTES = ("/healthz", "/readyz", "/p", "/f", "/ops", "/m", "/", "/webhooks/livekit",
          "/api/m", "/api/m/choose", "/api/m/cancel", "/api/m/join", "/api/m/calendar",
          "/api/m/export", "/api/m/link", "/assets/participant.js", "/socket.io/",
          "/admin", "/insights", "/classes", "/passes", "/signin", "/metrics",
          "/api/admin", "/api/admin/roster", "/api/admin/programs", "/api/admin/programs/lead",
          "/api/admin/programs/lead/sessions", "/api/admin/programs/lead/invite",
          "/api/admin/programs/lead/dashboard", "/api/admin/programs/lead/breakdown",
          "/api/admin/programs/lead/missing",
          "/api/admin/programs/lead/remind", "/api/admin/sessions/pass-1",
          "/api/admin/settings", "/api/admin/mail", "/api/admin/mail/1/retry",
          "/api/admin/signins", "/api/admin/signins/withdraw", "/api/insights",
          "/api/insights/lead", "/api/classes", "/api/classes/check", "/api/classes/exercises",
          "/api/classes/import", "/api/classes/save", "/api/classes/check-in",
          "/api/classes/check-in/yaml", "/api/facilitator/open", "/api/facilitator/sessions",
          "/api/revoke", "/auth/login", "/auth/callback", "/auth/me", "/auth/credential",
          "/auth/logout")
_PATH_CHARS = string.ascii_letters + string.digits + "-._~%/?=&#;:@!$'()*+,"


def _bodies() -> st.SearchStrategy[tuple[bytes, tuple[tuple[str, str], ...]]]:
    json_body = values().map(lambda v: json.dumps(v, default=repr).encode())
    plain = st.one_of(json_body, st.binary(max_size=200),
                      st.dictionaries(st.sampled_from(["pass_id", "email", "give_up_place",
                                                       "credential", "id", "role", "pass"]),
                                      values(), max_size=3).map(
                          lambda d: json.dumps(d, default=repr).encode()))
    return st.one_of(
        plain.map(lambda b: (b, (("Content-Type", "application/json"),))),
        plain.map(lambda b: (b, (("Content-Encoding", "gzip"),))),  # says gzip, is not
        plain.map(lambda b: (gzip.compress(b), (("Content-Encoding", "gzip"),))),
        plain.map(lambda b: (b, (("Content-Encoding", "deflate"),))),
        plain.map(lambda b: (b, (("Content-Encoding", "br"),))),
        plain.map(lambda b: (b[:-1] if b else b"\x1f\x8b",
                             (("Content-Encoding", "gzip"), ("Content-Type", "application/json")))),
    )


#: Stand-ins the runner replaces with a real credential of that role, so hostile bodies
#: and paths also reach the handlers behind each role's sign-in.
CREDENTIALS = ("{admin}", "{leadership}", "{facilitator-home}", "{facilitator}", "{ops}",
               "{ticket}")


def http_cases() -> st.SearchStrategy[HttpCase]:
    path = st.one_of(st.sampled_from(ROUTES), st.tuples(
        st.sampled_from(ROUTES), st.text(alphabet=_PATH_CHARS, max_size=30)).map("".join))
    token = st.one_of(st.text(alphabet=string.printable.strip(), max_size=60),
                      st.integers(0, 9000).map(lambda n: "x" * n),
                      st.sampled_from(CREDENTIALS))
    auth = st.one_of(st.just(()), token.map(lambda t: (("Authorization", "Bearer " + t),)))
    return st.builds(
        lambda method, path, auth, body: HttpCase(method, path, auth + body[1], body[0]),
        st.sampled_from(["GET", "POST", "POST", "PUT", "DELETE", "PATCH"]), path, auth,
        _bodies())


# -- everything -------------------------------------------------------------------

def cases() -> st.SearchStrategy[Case]:
    """The mix a run draws from: mostly events, some HTTP requests, a few raw frames."""
    events = st.one_of(event_cases(wirenames.PARTICIPANT), event_cases(wirenames.PARTICIPANT),
                       event_cases(wirenames.PARTICIPANT), event_cases(wirenames.FACILITATOR),
                       event_cases(wirenames.FACILITATOR), event_cases(wirenames.OPS))
    http, frames = http_cases(), frame_cases()
    # A branch by a uniform draw: one_of's own choice leans to its first branches.
    return st.one_of(events, events, events, events, events, http, frames)


def variants(case: Case) -> list[Case]:
    """``case``, and for an event its payload sent as every other event of its namespace
    too (a payload made for one handler is hostile to the others). Cheap cases: drawing
    a case costs far more than sending it."""
    if not isinstance(case, EventCase):
        return [case]
    return [case, *(EventCase(case.namespace, name, case.data)
                    for name in _NAMESPACE_EVENTS[case.namespace] if name != case.event)]


def batches(size: int) -> st.SearchStrategy[list[Case]]:
    """``size`` cases a batch: 80 % events, 15 % HTTP requests, 5 % raw frames (a fixed
    share: one_of's own choice leans to its first branches)."""
    events = st.one_of(event_cases(wirenames.PARTICIPANT), event_cases(wirenames.PARTICIPANT),
                       event_cases(wirenames.FACILITATOR), event_cases(wirenames.OPS))
    n_http, n_frames = max(1, size * 15 // 100), max(1, size // 20)
    n_events = max(1, size - n_http - n_frames)
    return st.tuples(st.lists(events, min_size=n_events, max_size=n_events),
                     st.lists(http_cases(), min_size=n_http, max_size=n_http),
                     st.lists(frame_cases(), min_size=n_frames, max_size=n_frames)).map(
        lambda parts: [*parts[0], *parts[1], *parts[2]])


# -- offline readers --------------------------------------------------------------

_YAML_BITS = ("!!python/object/apply:os.system ['id']", "!custom x", "!!binary aGk=", "&a [1]",
              "*a", "{", "}", "[", "- ", ": ", "? ", "|", ">", "%YAML 1.1\n", "---\n", "...\n",
              "'", '"', "\t", "0x1F", "1_000", "yes", "~", "90", "3m", "!!str", "&a [*a]",
              "<<: *a", "\x00", "\ufeff", "\u2028")


def class_texts(seed_text: str) -> st.SearchStrategy[str]:
    """Mutations of a valid class file: cut, spliced with YAML's sharp edges, nested."""
    def mutate(cuts: list[tuple[int, str]]) -> str:
        text = seed_text
        for at, bit in cuts:
            i = at % (len(text) + 1)
            text = text[:i] + bit + text[i:]
        return text
    cut = st.tuples(st.integers(0, 10 ** 6), st.one_of(st.sampled_from(_YAML_BITS), texts(12)))
    deep = st.integers(1, 200).map(lambda n: "a: " + "[" * n + "]" * n + "\n")
    return st.one_of(st.lists(cut, max_size=6).map(mutate), deep, st.text(max_size=200))


def roster_bytes(seed: bytes) -> st.SearchStrategy[bytes]:
    def mutate(cuts: list[tuple[int, bytes]]) -> bytes:
        data = seed
        for at, bit in cuts:
            i = at % (len(data) + 1)
            data = data[:i] + bit + data[i:]
        return data
    bits = st.one_of(st.sampled_from([b",", b";", b"\n", b'"', b"\r", b"\xff\xfe", b"\xef\xbb\xbf",
                                      b"\x00", b"\xe5", b"=cmd|' /C calc'!A0"]),
                     st.binary(max_size=12))
    return st.one_of(st.lists(st.tuples(st.integers(0, 10 ** 6), bits), max_size=6).map(mutate),
                     st.binary(max_size=300))
