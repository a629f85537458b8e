"""The demo class that ``onlive dev`` loads: a short pass through every core step."""

from __future__ import annotations

from exercises.script import ClassScript, Role, Step, StepKind, Visibility
from exercises.text import Text


def demo_class() -> ClassScript:
    return ClassScript(
        id="demo",
        version=1,
        title=Text("Demopass: att lyssna på riktigt", "Demo pass: listening for real"),
        description=Text("Ett kort pass med incheckning, input, parövning, reflektion och utcheckning.",
                         "A short pass with check-in, input, pair exercise, reflection and check-out."),
        duration=30 * 60,
        tags=("listening", "demo"),
        steps=(
            Step("check-in", StepKind.CHECK_IN,
                 Text("Incheckning", "Check-in"),
                 Text("Hur mycket energi har du just nu (1–5)? Ett ord om hur du mår.",
                      "How much energy do you have right now (1–5)? One word for how you are."),
                 duration=120, visibility=Visibility.PLENARY),
            Step("input", StepKind.INPUT,
                 Text("Input: aktivt lyssnande", "Input: active listening"),
                 Text("Facilitatorn berättar om tre nivåer av lyssnande.",
                      "The facilitator talks about three levels of listening."),
                 duration=300),
            Step("pairs", StepKind.BREAKOUT,
                 Text("Parövning: lyssna utan att lösa", "Pair exercise: listen without fixing"),
                 Text("En berättar om en utmaning, den andra lyssnar och ställer bara öppna frågor.",
                      "One tells about a challenge; the other listens and only asks open questions."),
                 duration=480, group_size=2, turn_seconds=180,
                 roles=(
                     Role("speaker", Text("Berättare", "Speaker"),
                          Text("Berätta om en utmaning du har just nu.",
                               "Tell about a challenge you have right now.")),
                     Role("listener", Text("Lyssnare", "Listener"),
                          Text("Lyssna. Ställ bara öppna frågor. Ge inga råd.",
                               "Listen. Only ask open questions. Give no advice.")),
                 ),
                 # The third person of a trio (an odd count) observes.
                 extra_role=Role("observer", Text("Observatör", "Observer"),
                                 Text("Lyssna utan att delta. Lägg märke till vilka frågor som "
                                      "hjälper. Dela en iakttagelse när turen är slut.",
                                      "Listen without taking part. Notice which questions help. "
                                      "Share one observation when the turn ends."))),
            Step("reflection", StepKind.REFLECTION,
                 Text("Reflektion", "Reflection"),
                 Text("Vad märkte du när du bara fick lyssna?",
                      "What did you notice when you could only listen?"),
                 duration=180, visibility=Visibility.PRIVATE),
            Step("check-out", StepKind.CHECK_OUT,
                 Text("Utcheckning", "Check-out"),
                 Text("Ett ord som du tar med dig.", "One word you take with you."),
                 duration=60, visibility=Visibility.PLENARY),
        ),
    )
