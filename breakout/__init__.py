"""The pairing engine: meet someone new from another part of the organisation.

Pure functions, standard library only, no I/O; ``now`` and ``seed`` are
arguments, so a round is reproducible from its inputs.

:func:`form_groups` splits everyone present into groups of the requested
size, maximising the policy's score (cross-department and cross-site
contact, minus a fading penalty per earlier meeting) under hard constraints
(never with one's manager or direct report, never with someone on a
``not_with`` list). In order of precedence it guarantees:

1. no hard constraint is broken - if none can be kept it raises
   :class:`InfeasibleGrouping` naming the people it strands and the
   constraints that strand them;
2. for pairs, no *live* repeat (see :class:`Policy`) while any grouping of
   those present without one exists (exact, by Edmonds' matching), whatever
   departments and sites are known; so a stable even roster gets at least
   n / 2 rounds without a live repeat (k rounds leave everyone n - 1 - k
   partners not yet met, and Dirac's theorem then finds a pairing; when
   n / 2 is odd, rounds that paired two halves across leave two cliques of
   odd size, so the bound is tight);
3. when departments and sites cannot tell pairs apart (none known, or all
   alike), a whole-cohort schedule: a stable even roster of pairs meets no
   one twice for n - 1 rounds (the circle method), trios of 9, 15, 27 (any
   3^k) for (n - 1) / 2 rounds (Kirkman triple systems). Once they are
   known, cross-department and cross-site contact outranks the schedule,
   repeats may begin a few rounds before n - 1, and for pairs only 2 holds;
4. then the best score it can find (pairs: greedy, 2-opt and exact matching
   up to 128 people, exact for departments alone; trios and fours: dealt by
   department with class swaps, plus a full swap search up to 150 people).

Group sizes: size 2 with an odd count gives one trio; size 3 leaves one or
two people over, who become pairs (``remainder="pairs"``: 3k+1 -> two
pairs, 3k+2 -> one pair) or fours (``"fours"``: 3k+1 -> one four, 3k+2 ->
two fours); size 4 leaves trios (4k+1 -> three, 4k+2 -> two, 4k+3 -> one).

Reason codes on each :class:`Group` (stable; the UI translates them):

``new-contact``       nobody in the group has met before
``cross-department``  every member is from a different (known) department
``cross-site``        every member is from a different (known) site
``repeat-avoided``    a member's earlier partner is present, in another group
``repeat``            two members have met before (nothing better existed)
``same-department``   two members share a department (nothing better existed)
``late-joiner``       the group took in a late arrival
``regrouped``         the group changed because someone left

Late joiners and leavers (:func:`add_late_joiner`, :func:`remove_leaver`)
change a running round with as few moves as possible and return the moves
as :class:`Move` data; a leaver's group is regrouped with the fewest moves
of anyone (up to three) that leave nobody alone and keep every hard
constraint, steered by the history like a first grouping.

Errors: :class:`PairingError` (code ``pairing_error``) for bad input (size
outside 2..4, duplicate ids, someone their own manager);
:class:`InfeasibleGrouping` (a ``PairingError``, code
``infeasible_grouping``) when the hard constraints cannot be met or only
one person is present. Each names exactly the people involved: those no
grouping can place, never someone a search merely left over.

The public face is this package (``__all__``), :mod:`breakout.rooms`
(room names derived from pass, round and group) and :mod:`breakout.errors`
(the project's error root, :class:`~breakout.errors.CodedError`, and the
errors above). Everything else is the engine's inside: ``values``
(the value types), ``problem`` (the weighted problem on indexes), ``engine``
(one round), ``changes``/``leavers`` (late joiners, leavers), ``report``
(reasons and quality), ``infeasible`` (who cannot be placed),
``matching``/``exact``/``search``/``dealing``/``classswap`` (the solvers)
and ``designs``/``schedule`` (whole-cohort plans). :class:`Problem` and
:func:`build_problem` are public for benchmarks and oracles that need the
engine's own weights.
"""

from __future__ import annotations

from breakout.changes import add_late_joiner
from breakout.engine import form_groups, group_sizes, meetings_of
from breakout.errors import InfeasibleGrouping, PairingError
from breakout.leavers import remove_leaver
from breakout.problem import Problem, build_problem
from breakout.values import (
    REASONS,
    Group,
    Grouping,
    Meeting,
    Move,
    Person,
    Policy,
    Quality,
)

__all__ = [
    "REASONS",
    "Group",
    "Grouping",
    "InfeasibleGrouping",
    "Meeting",
    "Move",
    "PairingError",
    "Person",
    "Policy",
    "Problem",
    "Quality",
    "add_late_joiner",
    "build_problem",
    "form_groups",
    "group_sizes",
    "meetings_of",
    "remove_leaver",
]
