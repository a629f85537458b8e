"""Versions onlive pins, each written in exactly one place.

The set-up scripts read ``LIVEKIT_VERSION`` from this file (a plain
assignment they can parse without Python), so the server that is built,
cached, started and checked is always the same one.
"""

from __future__ import annotations

#: The open-source LiveKit server onlive is built and tested against.
LIVEKIT_VERSION = "1.13.5"
