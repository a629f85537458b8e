"""The class page on PostgreSQL: saving edited versions and listing the library
(part of ``PostgresRecords``, as a mixin).

A save locks the class's row, so versions of one class are numbered one at a
time, and refuses when the latest version is not the one the page started
from: two people editing the same class never overwrite each other unseen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import asyncpg

from exercises.text import Text
from orchestrator.errors import Conflict, NotFound
from orchestrator.gym.classrecords import ClassEntry, VersionEntry
from orchestrator.gym.records import ClassVersion

__all__ = ["ClassRecords"]

Row = Mapping[str, Any]

#: Sessions still to come, which keep the version they were scheduled with.
_UPCOMING = "state IN ('scheduled', 'open')"


class ClassRecords:
    pool: asyncpg.Pool

    async def save_edited_class(self, org_id: str, class_id: str, yaml: str, *, title: Text,
                                duration_s: int, created_by: str, source: str,
                                based_on: int | None, copied_from: str | None
                                ) -> tuple[ClassVersion, bool]:
        digest = hashlib.sha256(yaml.encode()).hexdigest()
        async with self.pool.acquire() as conn, conn.transaction():
            if based_on is None:
                created = await conn.fetchval(
                    "INSERT INTO classes (org_id, id, copied_from) VALUES ($1, $2, $3) "
                    "ON CONFLICT DO NOTHING RETURNING id", org_id, class_id, copied_from)
                if created is None:
                    raise Conflict(f"there is a class {class_id!r} already; choose another id",
                                   code="class_exists")
                latest = None
            else:
                if await conn.fetchval("SELECT 1 FROM classes WHERE org_id = $1 AND id = $2 "
                                       "FOR UPDATE", org_id, class_id) is None:
                    raise NotFound(f"no class {class_id!r} in the library of {org_id!r}",
                                   code="unknown_class")
                latest = await conn.fetchrow(
                    "SELECT * FROM class_versions WHERE org_id = $1 AND class_id = $2 "
                    "ORDER BY version DESC LIMIT 1", org_id, class_id)
                if latest is None or latest["version"] != based_on:
                    raise Conflict(f"class {class_id!r} was saved by someone else after "
                                   f"version {based_on}; open it again", code="class_changed")
                if latest["sha256"] == digest:
                    return _class_version(latest), False
            row = await conn.fetchrow("""
                INSERT INTO class_versions (org_id, class_id, version, yaml, sha256, title_sv,
                                            title_en, duration_s, created_by, source, based_on)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *""",
                org_id, class_id, 1 if based_on is None else based_on + 1, yaml, digest,
                title.sv, title.en, duration_s, created_by, source, based_on)
        assert row is not None
        return _class_version(row), True

    async def class_catalogue(self, org_id: str) -> list[ClassEntry]:
        rows = await self.pool.fetch(f"""
            SELECT c.id, c.copied_from, v.version, v.title_sv, v.title_en, v.duration_s,
                   v.created_by, v.created_at,
                   (SELECT count(*) FROM sessions s WHERE s.org_id = c.org_id
                      AND s.class_id = c.id AND s.{_UPCOMING}) AS upcoming
            FROM classes c
            JOIN LATERAL (SELECT * FROM class_versions v WHERE v.org_id = c.org_id
                          AND v.class_id = c.id ORDER BY v.version DESC LIMIT 1) v ON true
            WHERE c.org_id = $1 AND NOT c.archived ORDER BY c.id""", org_id)
        return [ClassEntry(r["id"], r["version"], Text(r["title_sv"], r["title_en"]),
                           r["duration_s"], r["created_by"], r["created_at"], r["copied_from"],
                           r["upcoming"]) for r in rows]

    async def class_history(self, org_id: str, class_id: str) -> list[VersionEntry]:
        rows = await self.pool.fetch(f"""
            SELECT v.version, v.created_by, v.created_at, v.source, v.based_on,
                   (SELECT count(*) FROM sessions s WHERE s.org_id = v.org_id
                      AND s.class_id = v.class_id AND s.class_version = v.version
                      AND s.{_UPCOMING}) AS upcoming
            FROM class_versions v WHERE v.org_id = $1 AND v.class_id = $2
            ORDER BY v.version DESC""", org_id, class_id)
        if not rows:
            raise NotFound(f"no class {class_id!r} in the library of {org_id!r}",
                           code="unknown_class")
        return [VersionEntry(r["version"], r["created_by"], r["created_at"], r["source"],
                             r["based_on"], r["upcoming"]) for r in rows]


def _class_version(row: Row) -> ClassVersion:
    return ClassVersion(row["org_id"], row["class_id"], row["version"], row["yaml"],
                        Text(row["title_sv"], row["title_en"]), row["duration_s"],
                        row["created_by"], row["created_at"])
