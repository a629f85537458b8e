"""Socket.IO namespaces: connect-time auth and thin event handlers.

Each handler validates its payload (``signalling.wire``), calls one service
and returns an ack rendered by ``signalling.views``. Refusals of every kind
become wire errors in exactly one place, ``_Base.trigger_event``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from breakout.errors import CodedError
from orchestrator.errors import AuthError, BadRequest, Busy, OnliveError, ServiceError
from orchestrator.readmodels import RoomAccess
from orchestrator.services import Services
from orchestrator.taskset import TaskSet
from orchestrator.tickets import Claims, Kind
from signalling import views, wire
from signalling.media import EchoBusy, EchoError, EchoPool
from signalling.notifier import OPS_ROOM, pass_room, person_room
from signalling.wire import FACILITATOR, OPS, PARTICIPANT, Event

log = logging.getLogger(__name__)

Handler = Callable[[str, Any], Awaitable[dict[str, Any]]]
#: Whether a failure is a service being away (Redis down): the composition root knows.
Transient = Callable[[BaseException], bool]
#: Seconds the pages wait before sending a refused event again.
RETRY_AFTER_S = 1.0


def _never(error: BaseException) -> bool:
    return False


def try_again() -> ServiceError:
    return ServiceError("the server cannot save anything right now; nothing was stored, "
                        "try again in a moment", code="try_again")


def _refuse(error: OnliveError) -> socketio.exceptions.ConnectionRefusedError:
    # The client's connect_error receives {"message": ..., "data": {"code": ...}}.
    return socketio.exceptions.ConnectionRefusedError(error.message, {"code": error.code})


class _Base(socketio.AsyncNamespace):  # type: ignore[misc]
    kind: Kind
    events: frozenset[str] = frozenset()

    def __init__(self, namespace: str, services: Services, tasks: TaskSet,
                 transient: Transient = _never) -> None:
        super().__init__(namespace)
        self.services = services
        self.tasks = tasks
        self.transient = transient

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid, data = args[0], (args[1] if len(args) > 1 else None)
        handler: Handler | None = getattr(self, f"on_{event}", None) if event in self.events else None
        try:
            if handler is None:
                raise BadRequest(f"unknown event {event!r} in {self.namespace}; known: "
                                 f"{sorted(self.events)}", code="unknown_event")
            return await handler(sid, data)
        except CodedError as error:
            session = await self._session(sid)
            log.info("refused %s: %s", event, error.message,
                     extra={"pass_id": session.get("pass_id"),
                            "participant_id": session.get("person_id"), "code": error.code})
            refusal = wire.error(error.code, error.message)
            if isinstance(error, Busy):
                refusal["error"]["retry_after"] = error.retry_after
            elif error.code in ("try_again", "shutting_down"):
                refusal["error"]["retry_after"] = RETRY_AFTER_S
            return refusal
        except Exception as error:
            if self.transient(error):
                log.warning("refused %s while a service is away: %s", event, error,
                            extra={"namespace": self.namespace})
                refusal = wire.error("try_again", try_again().message)
                refusal["error"]["retry_after"] = RETRY_AFTER_S
                return refusal
            log.exception("handler %s failed", event, extra={"namespace": self.namespace})
            return wire.error("internal", "something went wrong on the server; try again")

    def _refuse_connect(self, error: Exception, role: str) -> Exception:
        """A refused connection: coded; a service being away says try again."""
        if isinstance(error, OnliveError):
            log.info("%s connect refused: %s", role, error.message, extra={"code": error.code})
            refused: Exception = _refuse(error)
            return refused
        if self.transient(error):
            log.warning("%s connect refused while a service is away: %s", role, error)
            again: Exception = _refuse(try_again())
            return again
        raise error

    async def _session(self, sid: str) -> dict[str, Any]:
        try:
            return await self.get_session(sid)  # type: ignore[no-any-return]
        except KeyError:
            return {}

    async def _hold(self, sid: str, claims: Claims) -> None:
        """Join the rooms a revocation of this credential (or its holder) empties."""
        for room in self.services.access.holders(claims):
            await self.enter_room(sid, room)

    def _credential(self, auth: object, field: str) -> str:
        if not isinstance(auth, dict):
            raise AuthError(f"a credential is required: connect with auth {{{field!r}: ...}}",
                            code="missing_credential")
        return auth.get(field)  # type: ignore[return-value]


class ParticipantNamespace(_Base):
    kind = Kind.PARTICIPANT
    events = frozenset({Event.ANSWER, Event.SYNC, Event.TOKEN, Event.HELP, Event.JOURNAL,
                        Event.SET_NAME, Event.QUALITY, Event.ECHO_OFFER, Event.ECHO_REPORT,
                        Event.ECHO_CLOSE})

    def __init__(self, namespace: str, services: Services, tasks: TaskSet,
                 echo: EchoPool, transient: Transient = _never) -> None:
        super().__init__(namespace, services, tasks, transient)
        self.participants = services.participants
        self.echo = echo

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object) -> None:
        try:
            claims = await self.services.access.admit(self._credential(auth, "ticket"),
                                                      Kind.PARTICIPANT)
            assert claims.pass_id is not None
            await self.participants.check_open(claims.pass_id)
        except Exception as error:  # noqa: BLE001 - _refuse_connect re-raises the unknown
            raise self._refuse_connect(error, "participant") from None
        await self.save_session(sid, {"pass_id": claims.pass_id, "person_id": claims.subject,
                                      "claims": claims})
        await self._hold(sid, claims)
        await self.enter_room(sid, pass_room(claims.pass_id))
        await self.enter_room(sid, person_room(claims.pass_id, claims.subject))
        self.tasks.spawn(self._welcome(sid, claims.pass_id, claims.subject), "welcome")

    async def _welcome(self, sid: str, pass_id: str, person_id: str) -> None:
        state = await self.participants.join(pass_id, person_id)
        snapshot = await self.services.publisher.participant_snapshot(pass_id, person_id, state)
        await self.emit(Event.SNAPSHOT, views.participant_snapshot(snapshot), to=sid)

    async def on_disconnect(self, sid: str, reason: object = None) -> None:
        session = await self._session(sid)
        if not session:
            return
        if not await self.services.access.still_admitted(session["claims"]):
            return  # revoked (an erased person leaves nothing behind, not even a leave)
        room = person_room(session["pass_id"], session["person_id"])
        others = [s for s, _ in self.server.manager.get_participants(self.namespace, room)
                  if s != sid]
        if not others:
            self.tasks.spawn(self.participants.leave(session["pass_id"], session["person_id"]),
                             "leave")

    async def on_answer(self, sid: str, data: object) -> dict[str, Any]:
        args = wire.parse_event(Event.ANSWER, data)
        s = await self._session(sid)
        stored = await self.participants.answer(s["pass_id"], s["person_id"], args["step_id"],
                                                args["client_id"], args["value"])
        return wire.ok(stored=True, duplicate=not stored, client_id=args["client_id"])

    async def on_sync(self, sid: str, data: object) -> dict[str, Any]:
        wire.parse_event(Event.SYNC, data)
        s = await self._session(sid)
        snapshot = await self.services.publisher.participant_snapshot(s["pass_id"],
                                                                      s["person_id"])
        return wire.ok(**views.participant_snapshot(snapshot))

    async def on_token(self, sid: str, data: object) -> dict[str, Any]:
        wire.parse_event(Event.TOKEN, data)
        s = await self._session(sid)
        assignment = await self.participants.renew_token(s["pass_id"], s["person_id"])
        return wire.ok(assignment=views.assignment(assignment))

    async def on_set_name(self, sid: str, data: object) -> dict[str, Any]:
        args = wire.parse_event(Event.SET_NAME, data)
        s = await self._session(sid)
        return wire.ok(name=await self.participants.set_name(s["pass_id"], s["person_id"],
                                                             args["name"]))

    async def on_quality(self, sid: str, data: object) -> dict[str, Any]:
        args = wire.parse_event(Event.QUALITY, data)
        s = await self._session(sid)
        await self.participants.set_quality(s["pass_id"], s["person_id"], args["level"])
        return wire.ok()

    async def on_journal(self, sid: str, data: object) -> dict[str, Any]:
        wire.parse_event(Event.JOURNAL, data)
        s = await self._session(sid)
        entries = await self.services.people.journal(s["person_id"])
        return wire.ok(entries=[views.journal_entry(e) for e in entries])

    async def on_echo_offer(self, sid: str, data: object) -> dict[str, Any]:
        """The pre-join echo test: our answer to the browser's offer."""
        args = wire.parse_event(Event.ECHO_OFFER, data)
        if args["type"] != "offer":
            raise BadRequest("echo_offer takes an SDP offer (type 'offer')", code="bad_payload")
        try:
            ticket = await self.echo.open(args["sdp"])
        except EchoBusy as busy:
            raise Busy(f"all {self.echo.capacity} echo tests are in use; try again in "
                       f"{busy.retry_after:.0f} s", retry_after=busy.retry_after) from None
        except EchoError as error:
            raise BadRequest(f"the echo test could not start: {error}",
                             code="echo_failed") from None
        s = await self._session(sid)
        log.info("echo test started", extra={"pass_id": s.get("pass_id"),
                                             "participant_id": s.get("person_id")})
        return wire.ok(session=ticket.session_id, sdp=ticket.answer_sdp, type="answer",
                       report_after=ticket.report_after)

    async def on_echo_report(self, sid: str, data: object) -> dict[str, Any]:
        args = wire.parse_event(Event.ECHO_REPORT, data)
        try:
            report = await self.echo.report(args["session"], timeout=20)
        except EchoError as error:
            raise BadRequest(str(error), code="echo_failed") from None
        return wire.ok(report=report.to_wire())

    async def on_echo_close(self, sid: str, data: object) -> dict[str, Any]:
        args = wire.parse_event(Event.ECHO_CLOSE, data)
        await self.echo.close(args["session"])
        return wire.ok()

    async def on_help(self, sid: str, data: object) -> dict[str, Any]:
        args = wire.parse_event(Event.HELP, data)
        s = await self._session(sid)
        await self.participants.ask_help(s["pass_id"], s["person_id"], args.get("text", ""))
        return wire.ok()


class FacilitatorNamespace(_Base):
    kind = Kind.FACILITATOR
    events = frozenset({Event.COMMAND, Event.SYNC})

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object) -> None:
        try:
            claims = await self.services.access.admit(self._credential(auth, "credential"),
                                                      Kind.FACILITATOR)
            assert claims.pass_id is not None
            await self.services.store.load(claims.pass_id)
        except Exception as error:  # noqa: BLE001 - _refuse_connect re-raises the unknown
            raise self._refuse_connect(error, "facilitator") from None
        await self.save_session(sid, {"pass_id": claims.pass_id, "actor": claims.subject})
        await self._hold(sid, claims)
        await self.enter_room(sid, pass_room(claims.pass_id))
        self.tasks.spawn(self._welcome(sid, claims.pass_id), "welcome")

    async def _welcome(self, sid: str, pass_id: str) -> None:
        view = await self.services.publisher.facilitator_snapshot(pass_id)
        await self.emit(Event.SNAPSHOT, views.facilitator_view(view), to=sid)

    async def on_command(self, sid: str, data: object) -> dict[str, Any]:
        command = wire.parse_command(data)
        s = await self._session(sid)
        result = await self.services.passes.command(s["pass_id"], command, s["actor"])
        if isinstance(result, RoomAccess):
            return wire.ok(**views.room_access(result))
        return wire.ok(version=result)

    async def on_sync(self, sid: str, data: object) -> dict[str, Any]:
        wire.parse_event(Event.SYNC, data)
        s = await self._session(sid)
        view = await self.services.publisher.facilitator_snapshot(s["pass_id"])
        return wire.ok(**views.facilitator_view(view))


class OpsNamespace(_Base):
    kind = Kind.OPS
    events = frozenset({Event.SYNC})

    def __init__(self, namespace: str, services: Services, tasks: TaskSet,
                 overview: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        super().__init__(namespace, services, tasks)
        self.overview = overview

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object) -> None:
        try:
            claims = await self.services.access.admit(self._credential(auth, "credential"),
                                                      Kind.OPS)
        except Exception as error:  # noqa: BLE001 - _refuse_connect re-raises the unknown
            raise self._refuse_connect(error, "ops") from None
        await self._hold(sid, claims)
        await self.enter_room(sid, OPS_ROOM)
        self.tasks.spawn(self._welcome(sid), "welcome")

    async def _welcome(self, sid: str) -> None:
        await self.emit(Event.SNAPSHOT, await self.overview(), to=sid)

    async def on_sync(self, sid: str, data: object) -> dict[str, Any]:
        wire.parse_event(Event.SYNC, data)
        return wire.ok(**await self.overview())


def register(sio: socketio.AsyncServer, services: Services, tasks: TaskSet, echo: EchoPool,
             overview: Callable[[], Awaitable[dict[str, Any]]],
             transient: Transient = _never) -> None:
    """Register the three namespaces on ``sio``; ``transient`` tells a service being
    away (refused with ``try_again``) from a fault (``internal``)."""
    sio.register_namespace(ParticipantNamespace(PARTICIPANT, services, tasks, echo, transient))
    sio.register_namespace(FacilitatorNamespace(FACILITATOR, services, tasks, transient))
    sio.register_namespace(OpsNamespace(OPS, services, tasks, overview))


__all__ = ["ParticipantNamespace", "FacilitatorNamespace", "OpsNamespace", "register"]
