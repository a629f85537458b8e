"""Programs and their schedule: create programs, add classes, schedule and open sessions.

Each session runs as one onlive pass. Its pass id is reserved when the
session is scheduled (so links, calendar files and mail can name it weeks
ahead), with the class version of that moment; the live pass is created in
the live store when its facilitator opens the session (``open_session``),
from that same version. Opening twice is refused; a crash between creating
the pass and marking the session open is finished by opening again.

A program's classes can be added, removed and reordered (``arrange``): a
class whose sessions were held keeps its place in the program (with its
attendance, answers and journals), and so does one that people hold, wait
for or were invited to.

Errors: ``InvalidProgram`` / ``InvalidSession`` for bad input (nothing is
changed), ``ClassInUse`` for a class that cannot be removed, ``NotFound``
for an unknown organisation, program, class or session, ``Conflict`` for a
program id that exists, ``ClassFileError`` for missing class parameters.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from exercises.gym.errors import InvalidProgram, InvalidSession
from exercises.gym.ids import live_id
from exercises.gym.program import (
    ProgramClassSpec,
    ProgramSpec,
    SessionSpec,
    SessionState,
    moved,
    transition,
)
from exercises.state import PassState
from orchestrator.errors import Conflict
from orchestrator.gym.classes import ClassLibrary
from orchestrator.gym.ports import Records
from orchestrator.gym.records import (
    ClassArrangement,
    ClassPlan,
    ProgramClass,
    ProgramRecord,
    SessionRecord,
)
from orchestrator.gym.roster import member_of
from orchestrator.service import PassService, new_pass_id

log = logging.getLogger(__name__)

PASS_ID_ATTEMPTS = 5


class Programs:
    def __init__(self, records: Records, classes: ClassLibrary, passes: PassService) -> None:
        self.records = records
        self.classes = classes
        self.passes = passes

    async def create(self, org_id: str, spec: ProgramSpec) -> ProgramRecord:
        org = await self.records.org(org_id)
        if spec.anonymity_k is not None and spec.anonymity_k < org.anonymity_k:
            raise InvalidProgram(f"anonymity threshold: {spec.anonymity_k} is below "
                                 f"{org_id!r}'s {org.anonymity_k}; a program may only raise it")
        program = await self.records.create_program(org_id, spec)
        log.info("program created", extra={"org_id": org_id, "program_id": spec.id})
        return program

    async def all(self, org_id: str) -> list[ProgramRecord]:
        await self.records.org(org_id)
        return await self.records.programs(org_id)

    async def show(self, org_id: str, program_id: str) -> tuple[ProgramRecord, list[SessionRecord]]:
        return (await self.records.program(org_id, program_id),
                await self.records.sessions(org_id, program_id))

    async def add_class(self, org_id: str, program_id: str, spec: ProgramClassSpec,
                        parameters: Mapping[str, str] = {}) -> ProgramClass:
        """Append a class (from the organisation's library, else the built-in one)."""
        program = await self.records.program(org_id, program_id)
        if spec.due_on is not None and program.ends_on is not None \
                and spec.due_on > program.ends_on:
            raise InvalidProgram(f"due: {spec.due_on} is after the program ends ({program.ends_on})")
        version = await self.classes.ensure(org_id, spec.class_id)
        # Fails now, naming the parameter, rather than when a facilitator opens a session.
        await self.classes.script(org_id, spec.class_id, version.version, parameters)
        added = await self.records.add_program_class(org_id, program_id, spec, parameters)
        log.info("class added to program", extra={"org_id": org_id, "program_id": program_id,
                                                  "class_id": spec.class_id})
        return added

    async def add_session(self, org_id: str, program_id: str, class_ref: str,
                          spec: SessionSpec) -> SessionRecord:
        """Schedule a session of one of the program's classes (by position or class id)."""
        program = await self.records.program(org_id, program_id)
        pc = _program_class(program, class_ref)
        version = await self.records.class_version(org_id, pc.class_id)
        for _ in range(PASS_ID_ATTEMPTS):
            try:
                session = await self.records.add_session(
                    org_id, program_id, pc.id, pass_id=new_pass_id(),
                    class_version=version.version, duration_s=version.duration_s, spec=spec)
                break
            except Conflict:
                continue  # a pass id collided; draw another
        else:
            raise Conflict("could not reserve a free pass id; try again")
        log.info("session scheduled", extra={"org_id": org_id, "program_id": program_id,
                                             "pass_id": session.pass_id})
        return session

    async def update(self, org_id: str, spec: ProgramSpec,
                     classes: ClassArrangement | None = None) -> ProgramRecord:
        """Change a program's name, audience, cadence, mandatory flag and dates (its id
        names it; its anonymity threshold stays, so insights never shrink their groups)
        and, with ``classes``, its classes (see ``arrange``), all in one transaction."""
        program = await self.records.program(org_id, spec.id)
        dues = ([(i, c.due_on) for i, c in enumerate(classes.rows, start=1)] if classes
                else [(c.position, c.due_on) for c in program.classes])
        late = [(i, due) for i, due in dues if due and spec.ends_on and due > spec.ends_on]
        if late:
            raise InvalidProgram(f"ends: {spec.ends_on} is before class {late[0][0]}'s "
                                 f"due date {late[0][1]}")
        if classes is not None:
            classes = await self._checked(org_id, classes)
        updated = await self.records.update_program(
            org_id, spec.id, name=spec.name.strip(), audience=spec.audience,
            cadence=spec.cadence, mandatory=spec.mandatory, starts_on=spec.starts_on,
            ends_on=spec.ends_on, classes=classes)
        log.info("program changed", extra={"org_id": org_id, "program_id": spec.id})
        return updated

    async def arrange(self, org_id: str, program_id: str,
                      classes: ClassArrangement) -> ProgramRecord:
        """The program's classes in a new order: kept ones with their due dates and flags,
        new ones from the library, some removed. A class whose sessions were held, or
        that people hold, wait for or were invited to, is never removed (``ClassInUse``;
        nothing changes); a removed class's scheduled sessions, nobody's yet, go with
        it. A page that read the classes before someone else changed them is refused
        (``classes_changed``)."""
        program = await self.records.program(org_id, program_id)
        late = [(i, r.due_on) for i, r in enumerate(classes.rows, start=1)
                if r.due_on and program.ends_on and r.due_on > program.ends_on]
        if late:
            raise InvalidProgram(f"due: class {late[0][0]} is due {late[0][1]}, after the "
                                 f"program ends ({program.ends_on})")
        arranged = await self.records.arrange_program_classes(
            org_id, program_id, await self._checked(org_id, classes))
        log.info("program classes arranged", extra={
            "org_id": org_id, "program_id": program_id, "removed": len(classes.removed)})
        return arranged

    async def _checked(self, org_id: str, classes: ClassArrangement) -> ClassArrangement:
        """New classes are put in the library, and their parameters checked, first."""
        for row in classes.rows:
            if row.id is None:
                version = await self.classes.ensure(org_id, row.class_id)
                await self.classes.script(org_id, row.class_id, version.version,
                                          row.parameters)
        return classes

    async def remove_class(self, org_id: str, program_id: str, class_ref: str) -> ProgramClass:
        """Remove one class (by position or class id); see ``arrange``."""
        program = await self.records.program(org_id, program_id)
        gone = _program_class(program, class_ref)
        await self.arrange(org_id, program_id, ClassArrangement(
            tuple(_plan(c) for c in program.classes if c.id != gone.id), (gone.id,)))
        return gone

    async def move_class(self, org_id: str, program_id: str, class_ref: str,
                         to: int) -> ProgramRecord:
        """Move one class (by position or class id) to position ``to`` (1 is first)."""
        program = await self.records.program(org_id, program_id)
        which = _program_class(program, class_ref)
        order = moved([c.id for c in program.classes],
                      next(i for i, c in enumerate(program.classes) if c.id == which.id), to)
        by_id = {c.id: c for c in program.classes}
        return await self.arrange(org_id, program_id, ClassArrangement(
            tuple(_plan(by_id[i]) for i in order)))

    async def update_session(self, org_id: str, pass_id: str,
                             spec: SessionSpec) -> SessionRecord:
        """Move a scheduled session, or change its capacity or facilitator."""
        session = await self.records.update_session(org_id, pass_id, spec)
        log.info("session changed", extra={"org_id": org_id, "pass_id": pass_id})
        return session

    async def open_session(self, org_id: str, pass_id: str) -> PassState:
        """Create the session's live pass from the class version it was scheduled with."""
        session = await self.records.session(org_id, pass_id)
        transition(session.state, SessionState.OPEN)
        program = await self.records.program(org_id, session.program_id)
        pc = next(c for c in program.classes if c.id == session.program_class_id)
        script = await self.classes.script(org_id, session.class_id, session.class_version,
                                           pc.parameters)
        try:
            state = await self.passes.create_pass(
                script, program=live_id(org_id, session.program_id), pass_id=pass_id)
        except Conflict:
            # Created by an earlier open that stopped before marking the session.
            state = await self.passes.store.load(pass_id)
        await self.records.move_session(org_id, pass_id, SessionState.SCHEDULED,
                                        SessionState.OPEN)
        # Whoever chose this session is expected: the facilitator sees who is missing.
        enrolled = await self.records.enrolled_people(org_id, pass_id)
        await self.passes.store.expect(pass_id, [member_of(p) for p in enrolled])
        log.info("session opened", extra={"org_id": org_id, "pass_id": pass_id})
        return state


def _plan(c: ProgramClass) -> ClassPlan:
    return ClassPlan(c.id, c.class_id, c.due_on, c.mandatory, c.parameters)


def _program_class(program: ProgramRecord, ref: str) -> ProgramClass:
    if ref.isdigit():
        found = next((c for c in program.classes if c.position == int(ref)), None)
    else:
        found = next((c for c in program.classes if c.class_id == ref), None)
    if found is None:
        listed = ", ".join(f"{c.position}: {c.class_id}" for c in program.classes) or "none yet"
        raise InvalidSession(f"class: program {program.id!r} has no class {ref!r} "
                             f"(its classes: {listed})")
    return found
