"""Views: each read model becomes the payload the pages read, and nothing more."""

from __future__ import annotations

from dataclasses import replace

from exercises.demo import demo_class
from exercises.state import Breakout, Group, Member, PassState, Phase
from exercises.text import Text
from orchestrator.readmodels import (
    Alert,
    Assignment,
    Check,
    FacilitatorView,
    FollowUpNotice,
    JournalEntry,
    MemberRef,
    MyAnswer,
    OpsOverview,
    ParticipantSnapshot,
    PassSummary,
    PassView,
    RoomLoad,
    placement,
    same_shared_view,
)
from signalling import views

ANNA, BO, CIA = (Member("p-anna", "Anna", "HR", "Malmö"), Member("p-bo", "Bo", "IT", "Umeå"),
                 Member("p-cia", "Cia"))


def running() -> PassState:
    state = PassState(id="abc", program="gym", script=demo_class(), main_room="onlive_abc_main",
                      phase=Phase.RUNNING, step_index=2, version=7,
                      roster={m.id: m for m in (ANNA, BO, CIA)},
                      present=frozenset({"p-anna", "p-bo", "p-cia"}))
    groups = (Group("onlive_abc_r1_g1", ("p-anna", "p-bo"), ("cross_department",)),)
    return replace(state, breakout=Breakout(1, "pairs", groups, 100.0, 580.0))


def test_an_assignment_names_the_room_its_members_and_a_token_that_expires() -> None:
    state = running()
    payload = views.assignment(Assignment("abc", "p-bo", placement(state, "p-bo"), 7, "ws://lk",
                                          "jwt", 700.0))
    assert payload == {"kind": "breakout", "room": "onlive_abc_r1_g1",
                       "members": [{"id": "p-anna", "name": "Anna"}, {"id": "p-bo", "name": "Bo"}],
                       "group": 0, "position": 1, "reasons": ["cross_department"],
                       "version": 7, "url": "ws://lk", "role": "participant", "token": "jwt",
                       "expires_at": 700.0}


def test_someone_without_a_room_gets_no_token_and_no_expiry() -> None:
    ended = replace(running(), phase=Phase.ENDED, breakout=None)
    payload = views.assignment(Assignment("abc", "p-cia", placement(ended, "p-cia"), 8, "ws://lk"))
    assert payload["kind"] == "none" and payload["token"] is None and "expires_at" not in payload


def test_the_shared_view_carries_no_roster_no_names_and_no_head_count() -> None:
    payload = views.pass_view(PassView(running(), 123.0))
    assert payload["version"] == 7 and payload["server_now"] == 123.0
    assert "roster" not in payload and "present" not in payload
    assert "Anna" not in repr(payload) and "p-anna" not in repr(payload)


def test_a_join_leaves_the_shared_view_the_same_and_a_new_step_does_not() -> None:
    state = running()
    before = views.pass_view(PassView(state, 123.0))
    joined = replace(state, version=8, roster={**state.roster, "p-dan": Member("p-dan", "Dan")},
                     present=state.present | {"p-dan"})
    assert views.same_view(before, views.pass_view(PassView(joined, 124.0)))
    assert same_shared_view(state, joined), "what the effect runner relies on to send nothing"
    moved_on = replace(joined, version=9, step_index=3)
    assert not views.same_view(before, views.pass_view(PassView(moved_on, 124.0)))
    assert not same_shared_view(joined, moved_on)


def test_the_facilitator_sees_the_roster_with_presence_rooms_and_quality() -> None:
    view = FacilitatorView(running(), 1.0, presence={"p-anna": "onlive_abc_r1_g1"},
                           qualities={"p-anna": "good"}, results={"count": 2})
    payload = views.facilitator_view(view)
    assert [r["name"] for r in payload["roster"]] == ["Anna", "Bo", "Cia"]
    assert payload["roster"][0] == {"id": "p-anna", "name": "Anna", "department": "HR",
                                    "site": "Malmö", "connected": True,
                                    "room": "onlive_abc_r1_g1", "quality": "good",
                                    "expected": False, "status": "online"}
    assert payload["groups"] == [{"index": 0, "number": 1, "room": "onlive_abc_r1_g1",
                                  "members": ["p-anna", "p-bo"], "reasons": ["cross_department"]}]
    assert payload["results"] == {"count": 2} and len(payload["script"]) == 5


def test_the_facilitator_sees_who_is_expected_then_missing() -> None:
    state = running()
    expected = {"p-anna": state.roster["p-anna"], "p-dan": Member("p-dan", "Dan", "IT", "Luleå")}
    view = FacilitatorView(state, 1.0, expected=expected)
    rows = {r["id"]: r for r in views.facilitator_view(view)["roster"]}
    assert rows["p-anna"]["expected"] and rows["p-anna"]["status"] == "online"
    assert rows["p-bo"]["expected"] is False
    assert rows["p-dan"] == {"id": "p-dan", "name": "Dan", "department": "IT", "site": "Luleå",
                             "connected": False, "room": None, "quality": None,
                             "expected": True, "status": "missing"}
    assert views.facilitator_view(view)["missing"] == 1
    lobby = FacilitatorView(replace(state, phase=Phase.LOBBY, step_index=-1, breakout=None), 1.0,
                            expected=expected)
    assert {r["id"]: r["status"] for r in views.facilitator_view(lobby)["roster"]}["p-dan"] \
        == "expected"


def test_a_snapshot_has_the_follow_up_key_only_in_a_follow_up_step() -> None:
    state = running()
    snap = ParticipantSnapshot(PassView(state, 1.0), Assignment("abc", "p-anna",
                               placement(state, "p-anna"), 7, "ws://lk"),
                               MemberRef("p-anna", "Anna"), MyAnswer("c1", {"word": "glad"}))
    payload = views.participant_snapshot(snap)
    assert payload["answer"] == {"client_id": "c1", "value": {"word": "glad"}}
    assert payload["me"] == {"id": "p-anna", "name": "Anna"} and "follow_up" not in payload
    in_follow_up = views.participant_snapshot(replace(snap, in_follow_up=True))
    assert in_follow_up["follow_up"] is None


def test_journal_entries_and_follow_ups_keep_their_wire_names() -> None:
    entry = JournalEntry("commitment", "abc", "gym", Text("Pass", "Class"), "commit",
                         {"text": "Fråga mer"}, 5.0)
    assert views.journal_entry(entry) == {"kind": "commitment", "pass": "abc", "program": "gym",
                                          "class": {"sv": "Pass", "en": "Class"},
                                          "step": "commit", "value": {"text": "Fråga mer"},
                                          "at": 5.0}
    assert views.follow_up(FollowUpNotice("abc", "p-anna", "follow", entry))["step_id"] == "follow"


def test_ops_sees_health_passes_and_alerts() -> None:
    overview = OpsOverview(
        (PassSummary("abc", Phase.RUNNING, 2, Text("Pass", "Class"), 3,
                     (RoomLoad("onlive_abc_main", 1), RoomLoad("onlive_abc_r1_g1", None))),),
        {"redis": Check(True, 0.4), "livekit": Check(False, error="refused")},
        (Alert("1-0", "participant_alone", "Anna is alone", "9.0",
               {"pass_id": "abc", "room": "onlive_abc_r1_g2_v3"}),), 10.0)
    payload = views.ops_overview(overview, views.Runtime(1.5, 9.0, 4, 1, 4))
    assert payload["health"] == {"redis": {"ok": True, "latency_ms": 0.4},
                                 "livekit": {"ok": False, "error": "refused"}}
    # Each room with the number its board shows (none for the main room).
    assert payload["passes"][0]["rooms"] == [
        {"name": "onlive_abc_main", "group": None, "participants": 1},
        {"name": "onlive_abc_r1_g1", "group": 1, "participants": None}]
    # The group as the board numbers it, also for a re-created room.
    assert payload["alerts"] == [{"id": "1-0", "code": "participant_alone",
                                  "message": "Anna is alone", "at": "9.0", "pass_id": "abc",
                                  "room": "onlive_abc_r1_g2_v3", "group": 2}]
    assert payload["echo_sessions"] == {"active": 1, "capacity": 4}
