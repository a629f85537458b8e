"""The wire's names: the Socket.IO namespaces, event names and command names.

Defined once, here, with the standard library only, so that every side
speaks the same words: the edge (``signalling.wire`` checks each inbound
event by these names, ``namespaces`` and ``notifier`` use them), the
synthetic participants in ``signalling.media`` (a Socket.IO client of their
own) and the pages, through the generated ``web/src/contract.js``.

Server -> client events: ``snapshot`` (full view on (re)connect or ``sync``),
``state`` (shared view after each change, with ``version``), ``assignment``
(personal room, token, members), ``facilitator`` (roster, groups, results),
``cue`` (time up, turn warning, switch roles, recall, message), ``help``,
``alert`` (ops and facilitators), ``follow_up`` (a participant's own last
commitment, when a follow-up step begins), ``results`` (a plenary step's
answers so far, without names, to every participant), ``service`` (a coded
notice about the server itself: ``restarting``, ``store_down``/``store_up``,
``media_down``/``media_up``; pages translate the code).
"""

from __future__ import annotations

from enum import StrEnum

#: The Socket.IO namespaces, one per role.
PARTICIPANT = "/participant"
FACILITATOR = "/facilitator"
OPS = "/ops"


class Event(StrEnum):
    # client -> server
    ANSWER = "answer"
    SYNC = "sync"
    TOKEN = "token"
    HELP = "help"  # also server -> client: a new help request, to facilitators
    COMMAND = "command"
    JOURNAL = "journal"
    SET_NAME = "set_name"
    QUALITY = "quality"
    ECHO_OFFER = "echo_offer"
    ECHO_REPORT = "echo_report"
    ECHO_CLOSE = "echo_close"
    # server -> client
    SNAPSHOT = "snapshot"
    STATE = "state"
    ASSIGNMENT = "assignment"
    FACILITATOR = "facilitator"
    CUE = "cue"
    ALERT = "alert"
    FOLLOW_UP = "follow_up"
    SERVICE = "service"
    RESULTS = "results"


class Command(StrEnum):
    START = "start"
    NEXT = "next"
    BACK = "back"
    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    OPEN_BREAKOUTS = "open_breakouts"
    BROADCAST = "broadcast"
    RECALL = "recall"
    MOVE = "move"
    SWAP = "swap"
    END = "end"
    EDIT_STEP = "edit_step"
    JOIN_ROOM = "join_room"
    HELP_DONE = "help_done"


__all__ = ["FACILITATOR", "OPS", "PARTICIPANT", "Command", "Event"]
