"""Numbered schema migrations for the system of record.

The migrations are the files ``migrations/NNNN_name.sql`` (package data),
numbered 1, 2, 3, … without gaps. ``migrate`` applies what is missing under a
session advisory lock, so workers starting together apply each one exactly
once: each runs in its own transaction with its row in ``schema_migrations``
(version, name, checksum). A migration whose file changed after it was applied
stops the start-up: add a new one instead.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import asyncpg

from orchestrator.errors import ServiceError

log = logging.getLogger(__name__)

#: Advisory lock keys (two int4 keys: a namespace and a value).
LOCK_NAMESPACE = 0x6F6E6C  # "onl"
MIGRATION_LOCK = 1
ROSTER_LOCK = 2

_MIGRATION_FILE = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
#: A migration may recount a year of rows (no pool's per-statement timeout applies).
MIGRATION_TIMEOUT_S = 3600.0


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in ``orchestrator/adapters/migrations``, in order.

    Their numbers must run 1, 2, 3, … without gaps or repeats.
    """
    found = []
    for entry in resources.files("orchestrator.adapters").joinpath("migrations").iterdir():
        match = _MIGRATION_FILE.fullmatch(entry.name)
        if match is not None:
            found.append(Migration(int(match.group(1)), match.group(2),
                                   entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    numbers = [m.version for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise ServiceError(f"migrations must be numbered 1..n without gaps, found {numbers}")
    return found


async def migrate(conn: asyncpg.Connection, migrations: Sequence[Migration] | None = None
                  ) -> list[int]:
    """Apply what is missing under the migration lock; returns the versions this call applied."""
    migrations = bundled_migrations() if migrations is None else migrations
    applied_now: list[int] = []
    await conn.execute("SELECT pg_advisory_lock($1, $2)", LOCK_NAMESPACE, MIGRATION_LOCK)
    try:
        await conn.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())""")
        done = {r["version"]: r for r in await conn.fetch(
            "SELECT version, name, checksum FROM schema_migrations")}
        for m in migrations:
            if m.version in done:
                if done[m.version]["checksum"] != m.checksum:
                    raise ServiceError(
                        f"migration {m.version:04d}_{m.name}.sql changed after it was applied "
                        "to this database; never edit an applied migration, add a new one")
                continue
            async with conn.transaction():
                await conn.execute(m.sql, timeout=MIGRATION_TIMEOUT_S)
                await conn.execute("INSERT INTO schema_migrations (version, name, checksum) "
                                   "VALUES ($1, $2, $3)", m.version, m.name, m.checksum)
            applied_now.append(m.version)
            log.info("migration applied", extra={"version": m.version, "migration": m.name})
        newer = sorted(set(done) - {m.version for m in migrations})
        if newer:
            log.warning("the database has migrations this code does not know",
                        extra={"versions": newer})
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_NAMESPACE, MIGRATION_LOCK)
    return applied_now


__all__ = ["LOCK_NAMESPACE", "MIGRATION_LOCK", "ROSTER_LOCK", "Migration", "bundled_migrations",
           "migrate"]
