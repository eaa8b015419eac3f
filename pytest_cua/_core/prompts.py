"""What the model is told, whatever the vendor: the instructions, each step's text, the
nudge after a text reply, and our two tools (verdict and answer) as JSON schemas."""

from __future__ import annotations

from collections.abc import Sequence

VERDICT_TOOL = "cua_verdict"
ANSWER_TOOL = "cua_answer"

INSTRUCTIONS = (
    "You are the hands and eyes of an automated end-to-end UI test. You control a web "
    "browser through the computer tool; the user gives one test step at a time. Carry out "
    "exactly what the step says, nothing more, and do not ask for confirmation: nobody can "
    "answer. When the step is done, or you are sure it cannot be done, call the function "
    f"{VERDICT_TOOL} with passed true or false and a short reason that names what you saw. "
    f"When the step asks a question, answer it by calling {ANSWER_TOOL}. Never reply with "
    "plain text instead of calling one of these functions."
)

PROMPTS = {
    "act": (
        "Test step (perform it): {instruction}\n\nWhen it is done, call "
        f"{VERDICT_TOOL} with passed=true; if it cannot be done, call {VERDICT_TOOL} with "
        "passed=false and the reason."
    ),
    "check": (
        "Test check (verify, do not change the page; you may scroll to look): {instruction}"
        f"\n\nCall {VERDICT_TOOL} with passed=true if the claim is true of the page as it is, "
        "passed=false if it is false, with the reason."
    ),
    "ask": (
        "Question about the page (look, do not change it; you may scroll): {instruction}"
        f"\n\nCall {ANSWER_TOOL} with the answer, as short as the question allows."
    ),
}

NUDGE = (
    "You replied with text. This is an automated test and nobody reads it: call {tool} "
    "now with your conclusion."
)

# Our two tools, as JSON schemas every vendor's function declarations take.
VERDICT_SCHEMA = {
    "type": "object",
    "properties": {
        "passed": {"type": "boolean", "description": "true if done / true"},
        "reason": {"type": "string", "description": "what you saw that decides it"},
    },
    "required": ["passed", "reason"],
    "additionalProperties": False,
}
ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}
OUR_TOOLS = (
    (VERDICT_TOOL, "Report the outcome of the current test step or check.", VERDICT_SCHEMA),
    (ANSWER_TOOL, "Answer the question of the current test step.", ANSWER_SCHEMA),
)


def step_text(kind: str, instruction: str, done: Sequence[str] = (),
              secrets: Sequence[str] = ()) -> str:
    """What the model is told at the start of a step, whatever the vendor."""
    return with_context(PROMPTS[kind].format(instruction=instruction), done, secrets)


def with_context(text: str, done: Sequence[str] = (), secrets: Sequence[str] = ()) -> str:
    """A step's text with what the model must also know: the secret placeholders it may
    type, and the steps replayed from a cassette since it last heard from us."""
    if secrets:
        names = ", ".join("{" + name + "}" for name in secrets)
        text += (f"\nSecret values are given as placeholders: {names}. To enter one, type its "
                 "placeholder exactly as written; the real value is typed for you and the "
                 "field is masked in screenshots.")
    if done:
        text = ("These earlier steps of the test were already carried out: "
                + "; ".join(done) + ".\n" + text)
    return text
