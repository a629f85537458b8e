"""The class page's library on the real PostgreSQL and Redis: saves are new versions on top
of the one the page started from, a scheduled session keeps its version (and its pass runs
it), export and import round-trip today's file format, and a facilitator sees and opens only
their own sessions."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis.asyncio as aioredis

from exercises import library
from exercises.classfile import ClassFileError
from exercises.classfile.draft import draft_of
from exercises.gym.errors import InvalidSession
from exercises.gym.program import Audience, Cadence, ProgramClassSpec, ProgramSpec, SessionSpec
from orchestrator.adapters.postgres import PostgresRecords
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.errors import Conflict, NotFound
from orchestrator.services import Services, build_services
from orchestrator.settings import Settings
from tests.orchestrator.fakes import FakeClock, FakeSfu, RecordingNotifier

pytestmark = pytest.mark.services

ORG = "acme"
CLASS = "listening-for-real"


@dataclass
class Env:
    services: Services
    clock: FakeClock
    records: PostgresRecords


@pytest.fixture
async def env(records: PostgresRecords, redis_server) -> AsyncIterator[Env]:  # type: ignore[no-untyped-def]
    client = aioredis.from_url(redis_server.url)
    await client.flushdb()
    clock = FakeClock(datetime.now(timezone.utc).timestamp())
    settings = Settings(secret="s" * 48, public_url="http://127.0.0.1:9")
    services = build_services(settings, RedisStore(client), FakeSfu(), RecordingNotifier(),
                              records=records, clock=clock)
    await records.ensure_org(ORG)
    yield Env(services, clock, records)
    await client.aclose()


def _retitled(draft: dict[str, Any], step: int, sv: str, en: str) -> dict[str, Any]:
    changed = copy.deepcopy(draft)
    changed["steps"][step]["title"] = {"sv": sv, "en": en}
    return changed


async def test_saves_are_versions_on_top_of_the_one_the_page_opened(env: Env) -> None:
    classes = env.services.gym.classes
    built_in = await classes.open(ORG, CLASS)
    assert built_in.based_on is None and built_in.history == ()
    first, changed = await classes.save(ORG, built_in.draft, based_on=None, created_by="Lea")
    assert (first.version, changed) == (1, True)
    opened = await classes.open(ORG, CLASS)
    assert opened.based_on == 1 and opened.draft == built_in.draft
    edited = _retitled(dict(opened.draft), 1, "Input: lyssna", "Input: listening")
    second, _ = await classes.save(ORG, edited, based_on=1, created_by="Lea")
    assert second.version == 2 and "version: 2" in second.yaml
    # Someone who opened version 1 cannot save over version 2 unseen.
    with pytest.raises(Conflict) as stale:
        await classes.save(ORG, _retitled(edited, 1, "A", "B"), based_on=1, created_by="Mo")
    assert stale.value.code == "class_changed"
    # The same text again is no new version.
    same, changed = await classes.save(ORG, edited, based_on=2, created_by="Lea")
    assert (same.version, changed) == (2, False)
    # A copy needs its own id; the library lists it with where it came from.
    with pytest.raises(Conflict) as taken:
        await classes.save(ORG, edited, based_on=None, created_by="Lea", copied_from=CLASS)
    assert taken.value.code == "class_exists"
    copied = dict(edited, id="our-listening")
    made, _ = await classes.save(ORG, copied, based_on=None, created_by="Lea", copied_from=CLASS)
    assert made.version == 1
    catalogue = await classes.catalogue(ORG)
    assert [(c.class_id, c.version, c.copied_from) for c in catalogue.classes] == [
        (CLASS, 2, None), ("our-listening", 1, CLASS)]
    assert CLASS not in {b.class_id for b in catalogue.built_in}
    history = await env.records.class_history(ORG, CLASS)
    assert [(v.version, v.source, v.based_on, v.saved_by) for v in history] == [
        (2, "editor", 1, "Lea"), (1, "editor", None, "Lea")]


async def test_an_invalid_draft_saves_nothing_and_lists_its_problems(env: Env) -> None:
    classes = env.services.gym.classes
    draft = dict((await classes.open(ORG, CLASS)).draft)
    bad = _retitled(draft, 1, "", "Input")
    with pytest.raises(ClassFileError) as refused:
        await classes.save(ORG, bad, based_on=None, created_by="Lea")
    assert [(p.field, p.code) for p in refused.value.problems] == [("steps[1].title.sv",
                                                                     "missing_text")]
    assert (await classes.catalogue(ORG)).classes == ()


async def test_a_scheduled_session_keeps_its_version_and_its_pass_runs_it(env: Env) -> None:
    gym = env.services.gym
    await gym.programs.create(ORG, ProgramSpec("lead", "Ledarskap", Audience(), Cadence.WEEKLY))
    await gym.programs.add_class(ORG, "lead", ProgramClassSpec(CLASS))
    start = datetime.fromtimestamp(env.clock(), timezone.utc).replace(microsecond=0) \
        + timedelta(minutes=30)
    early = await gym.programs.add_session(ORG, "lead", "1", SessionSpec(start, "UTC", 5, "Fia"))
    opened = await gym.classes.open(ORG, CLASS)
    await gym.classes.save(ORG, _retitled(dict(opened.draft), 1, "Ny input", "New input"),
                           based_on=opened.based_on, created_by="Lea")
    late = await gym.programs.add_session(ORG, "lead", "1",
                                          SessionSpec(start + timedelta(days=1), "UTC", 5, "Fia"))
    assert (early.class_version, late.class_version) == (1, 2)
    assert (await env.records.session(ORG, early.pass_id)).class_version == 1
    history = await env.records.class_history(ORG, CLASS)
    assert [(v.version, v.upcoming_sessions) for v in history] == [(2, 1), (1, 1)]
    state = await gym.programs.open_session(ORG, early.pass_id)
    assert state.script.steps[1].title.sv == library.get_class(
        CLASS, library.example_params(CLASS)).steps[1].title.sv


async def test_export_and_import_round_trip_todays_file_format(env: Env) -> None:
    classes = env.services.gym.classes
    opened = await classes.open(ORG, CLASS)
    saved, _ = await classes.save(ORG, _retitled(dict(opened.draft), 0, "Stäm av", "Tune in"),
                                  based_on=None, created_by="Lea")
    exported = (await classes.export(ORG, CLASS)).yaml
    again = await classes.import_text(ORG, exported, created_by="Lea")
    assert again.version == saved.version  # the same text is the same version
    changed = exported.replace("Stäm av", "Stäm av igen")
    imported = await classes.import_text(ORG, changed, created_by="Mo")
    assert imported.version == saved.version + 1
    index = library.exercise_index()
    reopened = await classes.open(ORG, CLASS)
    assert reopened.draft == draft_of(changed, "file", index)
    assert reopened.draft["steps"][0]["title"]["sv"] == "Stäm av igen"
    assert [v.source for v in await env.records.class_history(ORG, CLASS)][:1] == ["import"]
    with pytest.raises(ClassFileError) as broken:
        await classes.import_text(ORG, changed.replace("duration: 45m", "duration: 45"),
                                  created_by="Mo")
    assert [(p.field, p.code, p.line > 0) for p in broken.value.problems] == [
        ("duration", "bad_duration", True)]


async def test_a_facilitator_sees_and_opens_only_their_sessions_from_an_hour_before(
        env: Env) -> None:
    gym = env.services.gym
    await gym.programs.create(ORG, ProgramSpec("lead", "Ledarskap", Audience(), Cadence.WEEKLY))
    await gym.programs.add_class(ORG, "lead", ProgramClassSpec(CLASS))
    now = datetime.fromtimestamp(env.clock(), timezone.utc).replace(microsecond=0)
    soon = await gym.programs.add_session(ORG, "lead", "1",
                                          SessionSpec(now + timedelta(minutes=30), "UTC", 5, "Fia"))
    later = await gym.programs.add_session(ORG, "lead", "1",
                                           SessionSpec(now + timedelta(days=2), "UTC", 5, "Fia"))
    other = await gym.programs.add_session(ORG, "lead", "1",
                                           SessionSpec(now + timedelta(hours=3), "UTC", 5, "Gus"))
    upcoming = await gym.facilitating.upcoming(ORG, "Fia")
    assert [f.session.pass_id for f in upcoming] == [soon.pass_id, later.pass_id]
    assert upcoming[0].program_name == "Ledarskap"
    assert upcoming[0].class_title.sv == library.get_class(
        CLASS, library.example_params(CLASS)).title.sv
    with pytest.raises(NotFound):
        await gym.facilitating.open(ORG, "Fia", other.pass_id)
    with pytest.raises(InvalidSession) as early:
        await gym.facilitating.open(ORG, "Fia", later.pass_id)
    assert early.value.code == "too_early"
    assert await gym.facilitating.open(ORG, "Fia", soon.pass_id) == soon.pass_id
    assert await gym.facilitating.open(ORG, "Fia", soon.pass_id) == soon.pass_id  # again: enters
    assert (await env.records.session(ORG, soon.pass_id)).state.value == "open"
    env.clock.advance(3 * 3600)  # the first one is over: only the later one is listed
    assert [f.session.pass_id for f in await gym.facilitating.upcoming(ORG, "Fia")] == [
        later.pass_id]
