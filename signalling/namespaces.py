"""Socket.IO namespaces: connect-time auth and thin event handlers.

Each handler validates its payload (``signalling.wire``), calls one service
and returns an ack rendered by ``signalling.views``. Refusals of every kind
become wire errors in exactly one place, ``_Base.trigger_event``; each is
counted and logged as one throttled line by the worker's ``Guard`` (a
client's mistake never writes a traceback). A verified connection takes a
seat of its credential (``Guard.admit``); one over the limit is refused
with ``too_many_connections``. Frames, reserved event names and rates are
checked before any of this, by ``signalling.guard.GuardedServer``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from breakout.errors import CodedError
from exercises.state import Member
from orchestrator.errors import AuthError, BadRequest, Busy, OnliveError, ServiceError
from orchestrator.readmodels import RoomAccess
from orchestrator.services import Services
from orchestrator.taskset import TaskSet
from orchestrator.tickets import Claims, Kind
from signalling import views, wire
from signalling.guard import Guard, Limits, source_of
from signalling.media import EchoBusy, EchoError, EchoPool
from signalling.media.errors import EchoInUse
from signalling.media.ice import LOOPBACK
from signalling.notifier import OPS_ROOM, pass_room, person_room
from signalling.wirenames import FACILITATOR, OPS, PARTICIPANT, Event

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


def _seat_refusal(limit: int) -> OnliveError:
    return AuthError(f"this link is already open in {limit} places; close one of them and "
                     "try again", code="too_many_connections")


def _refuse(error: OnliveError) -> socketio.exceptions.ConnectionRefusedError:
    # The client's connect_error receives {"message": ..., "data": {"code": ...}}.
    return socketio.exceptions.ConnectionRefusedError(error.message, {"code": error.code})


class _Base(socketio.AsyncNamespace):  # type: ignore[misc]
    kind: Kind
    events: frozenset[str] = frozenset()

    def __init__(self, namespace: str, services: Services, tasks: TaskSet,
                 transient: Transient = _never, guard: Guard | None = None) -> None:
        super().__init__(namespace)
        self.services = services
        self.tasks = tasks
        self.transient = transient
        self.guard = guard or Guard(Limits())

    def _source(self, sid: str) -> str:
        eio_sid = self.server.manager.eio_sid_from_sid(sid, self.namespace)
        return source_of(self.server.environ.get(eio_sid))

    def _connected(self, sid: str) -> bool:
        """Whether the engine.io connection under ``sid`` is still there."""
        eio_sid = self.server.manager.eio_sid_from_sid(sid, self.namespace)
        return eio_sid is not None and eio_sid in self.server.eio.sockets

    def _admit(self, sid: str, credential: str) -> None:
        """Take a seat of ``credential`` for this connection; ``AuthError`` when all are taken."""
        if not self.guard.admit(sid, credential):
            raise _seat_refusal(self.guard.limits.connections_per_credential)

    def _connect_refused(self, sid: str, error: OnliveError) -> socketio.exceptions.\
            ConnectionRefusedError:
        self.guard.note(self._source(sid), error.code, error.message, namespace=self.namespace,
                        event="connect")
        return _refuse(error)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        # The server calls these two itself; GuardedServer refuses them from clients.
        if event == "connect":
            try:
                return await super().trigger_event(event, *args)
            except KeyError:
                if self._connected(args[0]):
                    raise
                # The client left while it was being let in (a closed tab, a lost
                # network): nobody to answer, and nothing of its was kept.
                log.info("a client left while connecting", extra={"namespace": self.namespace})
                return False
        if event == "disconnect":
            self.guard.release(args[0])
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
            self.guard.note(self._source(sid), error.code, error.message, event=event,
                            namespace=self.namespace, pass_id=session.get("pass_id"),
                            participant_id=session.get("person_id"))
            refusal = wire.error(error.code, error.message)
            if isinstance(error, Busy):
                refusal["error"]["retry_after"] = error.retry_after
            elif error.code in ("try_again", "shutting_down"):
                refusal["error"]["retry_after"] = RETRY_AFTER_S
            return refusal
        except Exception as error:
            if not self._connected(sid):
                # The client left before its event was handled (a reload, a closed tab:
                # its session went with it); nobody is there to be answered.
                log.info("a client left before its %s was handled", event,
                         extra={"namespace": self.namespace})
                return None
            if self.transient(error):
                log.warning("refused %s while a service is away: %s", event, error,
                            extra={"namespace": self.namespace})
                refusal = wire.error("try_again", try_again().message)
                refusal["error"]["retry_after"] = RETRY_AFTER_S
                return refusal
            log.exception("handler %s failed", event, extra={"namespace": self.namespace})
            return wire.error("internal", "something went wrong on the server; try again")

    def _refuse_connect(self, error: Exception, sid: str) -> Exception:
        """A refused connection: coded (counted and logged by the guard); a service being
        away says try again; anything else is re-raised."""
        if isinstance(error, OnliveError):
            refused: Exception = self._connect_refused(sid, error)
            return refused
        if self.transient(error):
            log.warning("%s connect refused while a service is away: %s", self.namespace, error)
            again: Exception = self._connect_refused(sid, try_again())
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
                 echo: EchoPool, transient: Transient = _never,
                 guard: Guard | None = None) -> None:
        super().__init__(namespace, services, tasks, transient, guard)
        self.participants = services.participants
        self.echo = echo

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object) -> None:
        try:
            claims, member = await self.participants.admit(self._credential(auth, "ticket"))
            assert claims.pass_id is not None
            self._admit(sid, f"participant:{claims.pass_id}:{claims.subject}")
        except Exception as error:  # noqa: BLE001 - _refuse_connect re-raises the unknown
            raise self._refuse_connect(error, sid) from None
        await self.save_session(sid, {"pass_id": claims.pass_id, "person_id": claims.subject,
                                      "claims": claims})
        await self._hold(sid, claims)
        await self.enter_room(sid, pass_room(claims.pass_id))
        await self.enter_room(sid, person_room(claims.pass_id, claims.subject))
        self.tasks.spawn(self._welcome(sid, claims.pass_id, member), "welcome")

    async def _welcome(self, sid: str, pass_id: str, member: Member) -> None:
        person_id = member.id
        state = await self.participants.join(pass_id, person_id, member)
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
        s = await self._session(sid)
        # One test a person at a time, and its packets only to where they connect from.
        allowed = {self._source(sid)}
        if self.services.settings.media_loopback:
            allowed.add(LOOPBACK)
        try:
            ticket = await self.echo.open(args["sdp"], owner=s.get("person_id"),
                                          allowed_addresses=frozenset(allowed))
        except EchoInUse as in_use:
            raise Busy(in_use.message, retry_after=in_use.retry_after,
                       code="echo_in_use") from None
        except EchoBusy as busy:
            raise Busy(f"all {self.echo.capacity} echo tests are in use; try again in "
                       f"{busy.retry_after:.0f} s", retry_after=busy.retry_after) from None
        except EchoError as error:
            raise BadRequest(f"the echo test could not start: {error}",
                             code="echo_failed") from None
        log.info("echo test started", extra={"pass_id": s.get("pass_id"),
                                             "participant_id": s.get("person_id")})
        return wire.ok(session=ticket.session_id, sdp=ticket.answer_sdp, type="answer",
                       report_after=ticket.report_after)

    async def on_echo_report(self, sid: str, data: object) -> dict[str, Any]:
        args = wire.parse_event(Event.ECHO_REPORT, data)
        s = await self._session(sid)
        try:
            report = await self.echo.report(args["session"], timeout=20,
                                            owner=s.get("person_id"))
        except EchoError as error:
            raise BadRequest(str(error), code="echo_failed") from None
        return wire.ok(report=report.to_wire())

    async def on_echo_close(self, sid: str, data: object) -> dict[str, Any]:
        args = wire.parse_event(Event.ECHO_CLOSE, data)
        s = await self._session(sid)
        await self.echo.close(args["session"], owner=s.get("person_id"))
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
            self._admit(sid, f"facilitator:{claims.pass_id}:{claims.subject}")
        except Exception as error:  # noqa: BLE001 - _refuse_connect re-raises the unknown
            raise self._refuse_connect(error, sid) from None
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
                 overview: Callable[[], Awaitable[dict[str, Any]]],
                 guard: Guard | None = None) -> None:
        super().__init__(namespace, services, tasks, guard=guard)
        self.overview = overview

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object) -> None:
        try:
            claims = await self.services.access.admit(self._credential(auth, "credential"),
                                                      Kind.OPS)
            self._admit(sid, f"ops:{claims.subject}")
        except Exception as error:  # noqa: BLE001 - _refuse_connect re-raises the unknown
            raise self._refuse_connect(error, sid) from None
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
             transient: Transient = _never, guard: Guard | None = None) -> None:
    """Register the three namespaces on ``sio`` (sharing the worker's ``guard``);
    ``transient`` tells a service being away (refused with ``try_again``) from a fault
    (``internal``)."""
    guard = guard or getattr(sio, "guard", None) or Guard(Limits())
    sio.register_namespace(ParticipantNamespace(PARTICIPANT, services, tasks, echo, transient,
                                                guard))
    sio.register_namespace(FacilitatorNamespace(FACILITATOR, services, tasks, transient, guard))
    sio.register_namespace(OpsNamespace(OPS, services, tasks, overview, guard))


__all__ = ["ParticipantNamespace", "FacilitatorNamespace", "OpsNamespace", "register"]
