"""Enrolment rules: who may enrol, capacity, the waiting list in order, switching, cancelling;
reminders, the join window, retries; presence as attendance; a person's progress."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from exercises.gym.attendance import PresenceLog, joined, left, summarise
from exercises.gym.enrolment import (
    Change,
    EnrolmentFacts,
    Outcome,
    Seat,
    can_join,
    decide_cancel,
    decide_enrol,
    waiting_order,
)
from exercises.gym.errors import EnrolmentRefused
from exercises.gym.mail import MAX_ATTEMPTS, MailKind, reminders, retry_delay
from exercises.gym.program import EnrolmentStatus as S
from exercises.gym.program import SessionState
from exercises.gym.progress import ClassStatus, TrendPoint, class_status, next_class, trends

NOW = datetime(2027, 1, 10, 9, 0, tzinfo=timezone.utc)
START = NOW + timedelta(days=4)


def seat(pass_id: str = "s1", capacity: int = 2, enrolled: tuple[str, ...] = (),
         waiting: tuple[str, ...] = (), starts: datetime = START,
         state: SessionState = SessionState.SCHEDULED) -> Seat:
    return Seat(pass_id, starts, state, capacity, enrolled, waiting)


def facts(target: Seat, person: str = "E1", **over: object) -> EnrolmentFacts:
    base = EnrolmentFacts(person, True, True, True, target)
    return replace(base, **over)  # type: ignore[arg-type]


def test_a_free_place_enrols_and_queues_a_confirmation_and_both_reminders() -> None:
    plan = decide_enrol(facts(seat()), NOW)
    assert plan.outcome is Outcome.ENROLLED and plan.position is None
    assert plan.changes == (Change("s1", "E1", S.ENROLLED),)
    assert [m.kind for m in plan.mails] == [MailKind.CONFIRMATION, MailKind.REMINDER_DAY,
                                            MailKind.REMINDER_15MIN]
    assert plan.mails[1].send_after == START - timedelta(days=1)
    assert plan.mails[2].dedupe_key == "reminder-15min:s1:E1"


def test_a_full_session_puts_people_on_its_waiting_list_in_order() -> None:
    full = seat(enrolled=("A", "B"), waiting=("C",))
    plan = decide_enrol(facts(full, "D"), NOW)
    assert plan.outcome is Outcome.WAITING and plan.position == 2
    assert plan.changes == (Change("s1", "D", S.WAITING, 2),)
    # Waiting people are confirmed (as waiting), but get no reminders yet.
    assert [m.kind for m in plan.mails] == [MailKind.CONFIRMATION]


def test_a_freed_place_goes_to_the_first_waiting_and_the_rest_move_up() -> None:
    full = seat(enrolled=("A", "B"), waiting=("C", "D", "E"))
    plan = decide_cancel(full, "A", NOW)
    assert plan.outcome is Outcome.CANCELLED
    assert plan.changes == (Change("s1", "A", S.CANCELLED), Change("s1", "C", S.ENROLLED),
                            Change("s1", "D", S.WAITING, 1), Change("s1", "E", S.WAITING, 2))
    assert plan.promoted == (Change("s1", "C", S.ENROLLED),)
    assert {(m.kind, m.employee_id) for m in plan.mails} == {
        (MailKind.CANCELLATION, "A"),  # A's calendar event is withdrawn
        (MailKind.CONFIRMATION, "C"), (MailKind.REMINDER_DAY, "C"), (MailKind.REMINDER_15MIN, "C")}


def test_leaving_the_waiting_list_moves_only_those_behind() -> None:
    plan = decide_cancel(seat(enrolled=("A", "B"), waiting=("C", "D", "E")), "D", NOW)
    assert plan.changes == (Change("s1", "D", S.CANCELLED), Change("s1", "E", S.WAITING, 2))
    assert plan.promoted == ()


def test_switching_releases_the_old_place_to_its_waiting_list() -> None:
    old = seat("s1", enrolled=("E1", "B"), waiting=("C",))
    new = seat("s2")
    plan = decide_enrol(facts(new, current=old), NOW)
    assert plan.released == "s1" and plan.outcome is Outcome.ENROLLED
    assert plan.changes == (Change("s1", "E1", S.CANCELLED), Change("s1", "C", S.ENROLLED),
                            Change("s2", "E1", S.ENROLLED))
    withdrawn = [m for m in plan.mails if m.kind is MailKind.CANCELLATION]
    assert [(m.employee_id, m.pass_id, m.send_after) for m in withdrawn] == [("E1", "s1", NOW)]


def test_leaving_a_waiting_list_or_a_missed_session_withdraws_no_calendar_event() -> None:
    waiting = seat("s1", enrolled=("A", "B"), waiting=("E1",))
    plan = decide_enrol(facts(seat("s2"), current=waiting), NOW)
    assert MailKind.CANCELLATION not in {m.kind for m in plan.mails}
    assert MailKind.CANCELLATION not in {m.kind for m in decide_cancel(waiting, "E1", NOW).mails}
    past = seat("s1", enrolled=("E1",), starts=NOW - timedelta(days=1), state=SessionState.ENDED)
    plan = decide_enrol(facts(seat("s2"), current=past, current_missed=True), NOW)
    assert MailKind.CANCELLATION not in {m.kind for m in plan.mails}


def test_switching_into_a_full_session_needs_consent_to_give_up_the_place() -> None:
    old = seat("s1", enrolled=("E1",))
    full = seat("s2", enrolled=("A", "B"))
    with pytest.raises(EnrolmentRefused) as refused:
        decide_enrol(facts(full, current=old), NOW)
    assert refused.value.code == "session_full"
    plan = decide_enrol(facts(full, current=old), NOW, give_up_place=True)
    assert plan.outcome is Outcome.WAITING and plan.released == "s1"
    assert plan.changes == (Change("s1", "E1", S.CANCELLED), Change("s2", "E1", S.WAITING, 1))


def test_a_missed_session_may_be_replaced_but_a_started_one_may_not() -> None:
    past = seat("s1", enrolled=("E1",), starts=NOW - timedelta(days=1),
                state=SessionState.ENDED)
    with pytest.raises(EnrolmentRefused) as refused:
        decide_enrol(facts(seat("s2"), current=past), NOW)
    assert refused.value.code == "session_started"
    plan = decide_enrol(facts(seat("s2"), current=past, current_missed=True), NOW)
    # Nobody is promoted into a session that is over.
    assert plan.changes == (Change("s1", "E1", S.CANCELLED), Change("s2", "E1", S.ENROLLED))


@pytest.mark.parametrize(("over", "target", "code"), [
    ({"person_active": False}, seat(), "person_inactive"),
    ({"program_active": False}, seat(), "program_ended"),
    ({"in_audience": False}, seat(), "not_in_audience"),
    ({}, seat(state=SessionState.CANCELLED), "session_closed"),
    ({}, seat(starts=NOW), "session_started"),
    ({"class_done": True}, seat(), "class_done"),
    ({}, seat(enrolled=("E1",)), "already_enrolled"),
    ({}, seat(enrolled=("A", "B"), waiting=("E1",)), "already_enrolled"),
])
def test_who_may_not_enrol_is_refused_with_a_code(over: dict[str, object], target: Seat,
                                                  code: str) -> None:
    with pytest.raises(EnrolmentRefused) as refused:
        decide_enrol(facts(target, "E1", **over), NOW)
    assert refused.value.code == code


def test_cancelling_nothing_or_after_the_start_is_refused() -> None:
    with pytest.raises(EnrolmentRefused, match="no place") as nothing:
        decide_cancel(seat(), "E1", NOW)
    assert nothing.value.code == "not_enrolled"
    with pytest.raises(EnrolmentRefused) as late:
        decide_cancel(seat(enrolled=("E1",), starts=NOW - timedelta(minutes=1)), "E1", NOW)
    assert late.value.code == "session_started"


def test_waiting_order_follows_positions() -> None:
    assert waiting_order([("B", 2), ("A", 3), ("C", 1)]) == ("C", "B", "A")


def test_reminders_only_for_moments_still_ahead() -> None:
    soon = NOW + timedelta(hours=2)
    assert [m.kind for m in reminders("s1", "E1", soon, NOW)] == [MailKind.REMINDER_15MIN]
    assert reminders("s1", "E1", NOW + timedelta(minutes=10), NOW) == ()


def test_the_join_button_opens_ten_minutes_before_and_closes_at_the_end() -> None:
    open_ = SessionState.OPEN
    assert not can_join(START, 3600, open_, START - timedelta(minutes=10, seconds=1))
    assert can_join(START, 3600, open_, START - timedelta(minutes=10))
    assert can_join(START, 3600, open_, START + timedelta(minutes=59))
    assert not can_join(START, 3600, open_, START + timedelta(minutes=60))
    assert not can_join(START, 3600, SessionState.ENDED, START)


def test_retries_back_off_then_wait_for_someone() -> None:
    delays = [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays[:4] == [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=8),
                          timedelta(minutes=32)]
    assert delays[4:-1] == [timedelta(hours=1)] * (MAX_ATTEMPTS - 5)
    assert delays[-1] is None


def test_presence_becomes_attendance() -> None:
    log = joined(PresenceLog(), 100.0)
    log = joined(log, 130.0)  # a second tab changes nothing
    log = left(log, 700.0)
    log = joined(log, 1000.0)
    assert summarise(log, 1600.0).minutes_present == 20  # 600 s + 600 s still in at the end
    assert not summarise(log, 1600.0).left_early
    gone = left(log, 1100.0)
    assert summarise(gone, 3600.0).left_early and summarise(gone, 3600.0).minutes_present == 12
    assert not summarise(gone, 1300.0).left_early  # the goodbye round is not leaving early
    never = summarise(PresenceLog(), 3600.0)
    assert (never.attended, never.minutes_present, never.left_early) == (False, 0, False)


def test_a_class_status_follows_its_precedence() -> None:
    today = date(2027, 2, 1)

    def status(**kw: object) -> ClassStatus:
        args: dict[str, object] = {"attended": False, "enrolment": None, "session_state": None,
                                   "due_on": None, "today": today, **kw}
        return class_status(**args)  # type: ignore[arg-type]

    assert status(attended=True, enrolment=S.ENROLLED) is ClassStatus.DONE
    assert status(enrolment=S.ENROLLED, session_state=SessionState.OPEN) is ClassStatus.BOOKED
    assert status(enrolment=S.WAITING, session_state=SessionState.SCHEDULED) \
        is ClassStatus.WAITING
    assert status(enrolment=S.ENROLLED, session_state=SessionState.ENDED) is ClassStatus.MISSED
    assert status(due_on=date(2027, 1, 31)) is ClassStatus.OVERDUE
    assert status(due_on=today) is ClassStatus.TODO
    assert next_class([(1, ClassStatus.DONE), (2, ClassStatus.MISSED), (3, ClassStatus.TODO)]) == 2
    assert next_class([(1, ClassStatus.DONE)]) is None


def test_trends_keep_repeated_questions_oldest_first() -> None:
    points = [TrendPoint("energy", 30, 4, "p3"), TrendPoint("energy", 10, 2, "p1"),
              TrendPoint("pulse", 20, 3, "p2")]
    assert trends(points) == {"energy": [points[1], points[0]]}
