"""HTML renderings of a trail: the standalone per-test file and the pytest-html step table."""

from __future__ import annotations

import base64
from html import escape

from ..trail import StepResult, Trail, TurnRecord
from . import images

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1500px; padding: 16px;
       color: #1d1d1f; background: #f6f6f8; }
h1 { font-size: 18px; word-break: break-all; } h2 { font-size: 16px; margin: 0 0 4px; }
.summary { color: #555; }
.step { background: #fff; border-left: 6px solid #999; border-radius: 6px; margin: 16px 0;
        padding: 12px 16px; }
.step.passed { border-color: #2e7d32; } .step.failed, .step.error { border-color: #c62828; }
.outcome { font-weight: 600; text-transform: uppercase; font-size: 12px; padding: 2px 6px;
           border-radius: 4px; background: #eee; }
.passed .outcome { background: #e8f5e9; color: #2e7d32; }
.failed .outcome, .error .outcome { background: #ffebee; color: #c62828; }
.turn { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 12px;
        border-top: 1px solid #eee; padding: 10px 0; }
.turn img { width: 100%; height: auto; border: 1px solid #ccc; border-radius: 4px; }
.meta { color: #666; font-size: 12px; word-break: break-all; }
.error-text { color: #c62828; } .reasoning { font-style: italic; color: #444; }
table.cua { border-collapse: collapse; margin: 6px 0; }
table.cua td, table.cua th { border: 1px solid #ddd; padding: 3px 8px; text-align: left;
                             vertical-align: top; }
"""


def marked_image(turn: TurnRecord, fmt: str) -> tuple[bytes, str] | None:
    """The turn's screenshot with its actions drawn, encoded for a report, or None."""
    if not turn.screenshot or fmt == "off":
        return None
    if fmt not in turn.rendered:  # drawn once, whichever reporters ask
        marked = images.draw_actions(turn.screenshot, [a.action for a in turn.actions])
        turn.rendered[fmt] = images.encode(marked, fmt)
    return turn.rendered[fmt]


def _data_url(image: tuple[bytes, str]) -> str:
    return f"data:{image[1]};base64," + base64.b64encode(image[0]).decode("ascii")


def _cached(tokens: int) -> str:
    return f" ({tokens} from the prompt cache)" if tokens else ""


def turn_summary(turn: TurnRecord) -> str:
    """What the model did in a turn, in one line."""
    parts = [a.description for a in turn.actions]
    parts += [f"{c['name']}({c['arguments']})" for c in turn.function_calls]
    if not parts and turn.messages:
        parts.append("said: " + " ".join(turn.messages))
    return "; ".join(parts) or "(nothing)"


def _turn_html(step: StepResult, turn: TurnRecord, fmt: str) -> str:
    image = marked_image(turn, fmt)
    picture = (f'<img src="{_data_url(image)}" alt="step {step.index + 1} turn '
               f'{turn.index + 1}" width="{turn.screenshot_size[0]}" '
               f'height="{turn.screenshot_size[1]}">') if image else "<div>(no image)</div>"
    rows = []
    for action in turn.actions:
        error = f' <span class="error-text">{escape(action.error)}</span>' if action.error else ""
        rows.append(f"<li>{escape(action.description)}{error}</li>")
    for call in turn.function_calls:
        rows.append(f"<li><code>{escape(call['name'])}</code> {escape(call['arguments'])}</li>")
    for text in turn.messages:
        rows.append(f"<li>said: {escape(text)}</li>")
    notes = "".join(f'<p class="reasoning">{escape(r)}</p>' for r in turn.reasoning)
    if turn.safety_checks:
        checks = ", ".join(f"{c.get('code')} ({c.get('id')}): {c.get('message')}"
                           for c in turn.safety_checks)
        notes += (f'<p class="error-text">safety checks: {escape(checks)}; '
                  f"{escape(turn.safety_decision or '')}</p>")
    return (
        f'<div class="turn" data-turn="{turn.index + 1}">{picture}<div>'
        f"<h3>turn {turn.index + 1}</h3><ul>{''.join(rows)}</ul>{notes}"
        f'<p class="meta">{escape(turn.url)}<br>model {turn.seconds:.2f}s · '
        f"{turn.input_tokens} in{_cached(turn.cached_tokens)} / {turn.output_tokens} out "
        "tokens</p></div></div>"
    )


def _step_title(step: StepResult) -> str:
    replay = {"replayed": " (replayed from cassette)",
              "healed": " (healed: cassette no longer matched, re-recorded)",
              "mismatch": " (replay: the page no longer matches the cassette)"}.get(step.source, "")
    return f"{step.index + 1}. {step.kind}: {step.instruction}{replay}"


def render_trail(trail: Trail, outcome: str = "", fmt: str = "png") -> str:
    """A self-contained HTML page for one test: every step, turn, screenshot and verdict."""
    sections = []
    for step in trail.steps:
        turns = "".join(_turn_html(step, turn, fmt) for turn in step.turns)
        sections.append(
            f'<section class="step {escape(step.outcome)}" data-step="{step.index + 1}">'
            f'<h2>{escape(_step_title(step))} <span class="outcome">{escape(step.outcome)}'
            f'</span></h2><p class="verdict">{escape(step.verdict or "")}</p>'
            f'<p class="meta">{len(step.turns)} turns · {step.seconds:.2f}s · '
            f"{step.input_tokens} in / {step.output_tokens} out tokens</p>{turns}</section>"
        )
    summary = (f"{escape(trail.model)} ({escape(trail.variant)} tool) · {len(trail.steps)} steps"
               f" · {_turn_counts(trail)} · {trail.input_tokens} in / {trail.output_tokens} out "
               f"tokens" + (f" · test {escape(outcome)}" if outcome else ""))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>CUA trail: {escape(trail.nodeid)}</title><style>{STYLE}</style></head><body>"
        f'<h1>{escape(trail.nodeid)}</h1><p class="summary">{summary}</p>'
        f"{''.join(sections)}</body></html>"
    )


def _turn_counts(trail: Trail) -> str:
    """Model turns (paid requests) and replayed turns (from a cassette) apart."""
    return f"{trail.model_turns} model turns, {trail.replayed_turns} replayed turns"


def step_table(trail: Trail) -> str:
    """A compact HTML table of steps and actions, for a test's pytest-html extras."""
    rows = []
    for step in trail.steps:
        actions = "<br>".join(
            f"{turn.index + 1}: {escape(turn_summary(turn))}" for turn in step.turns)
        rows.append(
            f'<tr class="cua-step {escape(step.outcome)}"><td>{step.index + 1}</td>'
            f"<td>{escape(step.kind)}</td><td>{escape(step.instruction)}</td>"
            f"<td>{escape(step.outcome)}</td><td>{escape(step.verdict or '')}</td>"
            f"<td>{len(step.turns)}</td><td>{actions}</td></tr>"
        )
    return (
        f'<div class="cua-steps"><p>CUA: {escape(trail.model)}, {_turn_counts(trail)}, '
        f"{trail.input_tokens} in{_cached(trail.cached_tokens)} / {trail.output_tokens} out "
        "tokens</p>"
        '<table class="cua"><tr><th>#</th><th>kind</th><th>instruction</th><th>outcome</th>'
        "<th>reason / answer</th><th>turns</th><th>actions per turn</th></tr>"
        f"{''.join(rows)}</table></div>"
    )
