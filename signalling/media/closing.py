"""Teardown that neither a timeout nor a cancellation cuts short.

The media stack's owners (an echo session, a LiveKit peer's stay in a room,
an echo client) close what they opened on every path, including the ones
where the caller is cancelled or times out: a move abandoned for a newer
one, a shutdown that cancels a watchdog mid-close, a test that tears down
while the machine is loaded. Two helpers make that hold:

- ``finish(task)`` waits for a clean-up task to end even when the waiting
  caller is cancelled meanwhile; the cancellation is held until the
  clean-up is done, then raised. Each clean-up step has its own time
  bound, so holding a cancellation back never hangs.
- ``close_peer_connection(pc, context)`` closes an aiortc peer connection
  in a task nobody cancels, waits for it at most ``timeout`` seconds, then
  retrieves the outcome of the tasks aiortc started for that connection
  and releases the ICE sockets a gathering left behind.

Why a peer connection's close must never be cancelled: aiortc's
``RTCPeerConnection.close()`` shares one future between concurrent calls
(aiortc's own automatic close, when the remote side ends DTLS, and ours).
A caller that waits on that future and is cancelled (by ``asyncio.timeout``
or a task cancel) cancels the future itself; the close doing the work then
fails at its very last line with ``asyncio.InvalidStateError``, in a task
of aiortc's that nobody retrieves ("Task exception was never retrieved").
A close whose own body is cancelled also leaves aioice's UDP sockets open.

Reaches into aiortc internals (its automatic-close task and its
``__connect`` tasks), checked at aiortc 1.16; a missing attribute just
skips that part.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, TypeVar

from aiortc import RTCPeerConnection
from aiortc.exceptions import InvalidStateError as AiortcInvalidStateError

from signalling.media.ice import release_ice_sockets

log = logging.getLogger(__name__)

T = TypeVar("T")

CLOSE_TIMEOUT = 5.0  # seconds a caller waits for one peer connection to close

# Closes still under way after their caller stopped waiting (``CLOSE_TIMEOUT``):
# a strong reference each until it ends, and its outcome is logged then.
_late: set[asyncio.Task[None]] = set()


async def finish(task: asyncio.Task[T]) -> T:
    """The result of ``task``, waiting for its end even if the caller is cancelled.

    A cancellation of the caller that arrives meanwhile is re-raised once
    the task is done, so ``asyncio.timeout`` and ``wait_for`` still see it.
    The task itself is never cancelled from here; it must bound its own
    duration.
    """
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    return task.result()


async def close_peer_connection(pc: RTCPeerConnection, context: str,
                                timeout: float = CLOSE_TIMEOUT) -> None:
    """Close ``pc`` and what aiortc and aioice started for it; never raises.

    Waits at most ``timeout`` seconds; a close that takes longer goes on in
    the background (logged now, and again with its outcome when it ends).
    A cancellation of the caller does not reach the close either.
    """
    # aiortc's connect tasks can only be told apart while they run: look now.
    connecting = _connect_tasks(pc)
    closing = asyncio.get_running_loop().create_task(
        _close(pc, context, connecting), name=f"close-pc[{context}]")
    done, _ = await asyncio.wait({closing}, timeout=timeout)
    if done:
        closing.result()  # _close logs its own failures; this only retrieves the outcome
        return
    log.warning("%s: closing a peer connection takes over %g s; it goes on in the background",
                context, timeout)
    _late.add(closing)
    closing.add_done_callback(_late.discard)


async def _close(pc: RTCPeerConnection, context: str,
                 connecting: list[asyncio.Task[Any]]) -> None:
    try:
        await pc.close()
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is None or current.cancelling():
            raise  # this task itself is cancelled (the event loop is ending)
        # We waited for a close already under way, and another waiter's
        # cancellation cancelled aiortc's shared future (see below): that
        # close carries on without us; release what it leaves.
        log.debug("%s: another close of this peer connection was cancelled", context)
    except asyncio.InvalidStateError:
        # aiortc resolves its shared "closed" future as the last step of
        # close(); if another close() waiting on that future was cancelled
        # (not one of ours: they all run here, uncancelled), the future was
        # cancelled with it and setting it fails. Everything was closed by
        # then, so there is nothing left to do.
        log.debug("%s: another close of this peer connection was cancelled", context)
    except Exception as error:  # noqa: BLE001 - the sockets must still be released
        log.warning("%s: closing a peer connection failed: %r", context, error)
    auto_close = getattr(pc, "_RTCPeerConnection__closeTask", None)
    for task in [*connecting, *([auto_close] if isinstance(auto_close, asyncio.Task) else [])]:
        await _retrieve(task, context)
    await release_ice_sockets(pc)


async def _retrieve(task: asyncio.Task[Any], context: str) -> None:
    """Wait for one of aiortc's own tasks for this connection and take its outcome."""
    # asyncio.wait, not await: a cancellation of ours must not reach aiortc's task.
    await asyncio.wait({task})
    if task.cancelled():
        return
    error = task.exception()
    if error is None:
        return
    if isinstance(error, AiortcInvalidStateError):
        # aiortc's __connect checks only when it starts whether the connection
        # was closed; a close that lands between starting two transports (a
        # media transceiver and the data channel, say) makes the next start
        # raise "RTCIceTransport is closed". The connection is closed, as asked.
        log.debug("%s: aiortc's connect ended on the closed connection: %s", context, error)
    elif isinstance(error, asyncio.InvalidStateError):
        # aiortc's automatic close, with its shared future cancelled by some
        # other waiter: see _close.
        log.debug("%s: aiortc's own close found its future cancelled", context)
    else:
        log.warning("%s: aiortc's task %s failed: %r", context, task.get_name(), error)


def _connect_tasks(pc: RTCPeerConnection) -> list[asyncio.Task[Any]]:
    """aiortc's running ``RTCPeerConnection.__connect`` tasks for ``pc``.

    aiortc starts one per set*Description and keeps no reference to it.
    """
    found = []
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        if getattr(coro, "__qualname__", "") == "RTCPeerConnection.__connect" \
                and frame is not None and frame.f_locals.get("self") is pc:
            found.append(task)
    return found
