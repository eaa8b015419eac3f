"""HTML renderings of a trail: the standalone viewer of one test, and pytest-html's table.

The viewer is one self-contained file: the trail as JSON (each screenshot stored once, as
WebP by default, with its action markers as SVG) and a small script (`assets/trail.js`)
that shows it the way Playwright's trace viewer shows a trace: a step list beside the
picture, a filmstrip of the turns, the keyboard to move through them, a play mode, and
deep links (`trail.html#step-3-turn-2`) that the terminal and JUnit use to open a failure
at its turn.
"""

from __future__ import annotations

import base64
import json
from html import escape
from typing import Any

from .._browser import fingerprint, scripts
from .._core.pricing import dollars
from ..trail import ActionRecord, Outcome, StepResult, Trail, TurnRecord
from . import images

SOURCES = {"live": "live", "replayed": "replayed", "healed": "healed",
           "mismatch": "replay mismatch"}


def stored_image(turn: TurnRecord, fmt: str) -> tuple[bytes, str] | None:
    """The turn's screenshot as reports store it (encoded once, whichever reporters ask),
    or None when there is none or images are off."""
    if not turn.screenshot or fmt == "off":
        return None
    if fmt not in turn.rendered:
        turn.rendered[fmt] = images.encode(turn.screenshot, fmt)
    return turn.rendered[fmt]


def marked_svg(turn: TurnRecord, fmt: str) -> bytes | None:
    """The turn's screenshot with its actions drawn over it, as one SVG file."""
    image = stored_image(turn, fmt)
    if image is None:
        return None
    return images.svg(image, turn.screenshot_size, marks(turn))


def marks(turn: TurnRecord) -> str:
    """The turn's markers as SVG: its actions, and what a replay found different."""
    return images.markers([a.action for a in turn.actions], turn.outlines)


def figure_html(turn: TurnRecord, fmt: str, caption: str, small: bool = False) -> str:
    """The turn's screenshot (loaded lazily) with its markers as SVG over it, as HTML; a
    `small` one is a filmstrip frame, full size while it has the focus (a click)."""
    image = stored_image(turn, fmt)
    if image is None:
        return ""
    width, height = turn.screenshot_size
    shown = ('class="cua-turn cua-frame" tabindex="0" title="click for full size" '
             if small else f'class="cua-turn" style="margin:8px 0;max-width:{width}px"')
    return (f'<figure {shown}>'
            '<div style="position:relative;line-height:0">'
            f'<img src="{_data_url(image)}" loading="lazy" width="{width}" height="{height}" '
            f'alt="{escape(caption)}" style="width:100%;height:auto">'
            f'<svg viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
            'style="position:absolute;inset:0;width:100%;height:100%;pointer-events:none">'
            f"{marks(turn)}</svg></div>"
            f"<figcaption>{escape(caption)}</figcaption></figure>")


# A filmstrip of small pictures; the one with the focus (clicked, or tabbed to) full size.
_STRIP_CSS = (".cua-strip{display:flex;flex-wrap:wrap;gap:6px;align-items:flex-start}"
              ".cua-frame{width:180px;margin:0;cursor:zoom-in;font-size:11px}"
              ".cua-frame:focus{width:100%;cursor:zoom-out;outline:2px solid #1565c0}"
              ".cua-frame figcaption{overflow:hidden;text-overflow:ellipsis;"
              "white-space:nowrap}.cua-frame:focus figcaption{white-space:normal}")


def filmstrip_html(figures: list[str]) -> str:
    return (f"<style>{_STRIP_CSS}</style><p>Every turn (click a picture for full size):</p>"
            f'<div class="cua-strip">{"".join(figures)}</div>')


def failure_html(step: StepResult, fmt: str) -> str:
    """The failing step first: its whole reason, and the last picture of it (the page the
    replay stopped on, what differs outlined), at a size that leaves the traceback near."""
    picture = ""
    if step.turns:
        last = step.turns[-1]
        picture = figure_html(last, fmt, f"step {step.index + 1}, turn {last.index + 1}: "
                              f"{turn_summary(last)}").replace(
            f"max-width:{last.screenshot_size[0]}px", "max-width:720px", 1)
    return (f'<div class="cua-failure" style="border-left:4px solid #c62828;padding:4px 10px;'
            f'margin:6px 0"><p style="margin:0"><b>CUA {escape(step.kind)} '
            f'{step.index + 1} {escape(SOURCES.get(step.source, step.source))}:</b> '
            f"{escape(step.instruction)}</p>"
            f'<pre style="white-space:pre-wrap;color:#8e1b1b;margin:4px 0">'
            f"{escape(step.reason)}</pre>{picture}</div>")


def _data_url(image: tuple[bytes, str]) -> str:
    return f"data:{image[1]};base64," + base64.b64encode(image[0]).decode("ascii")


def _cached(tokens: int) -> str:
    return f" ({tokens} from the prompt cache)" if tokens else ""


def cost(record: TurnRecord | StepResult | Trail) -> str:
    """What a turn, step or test cost, as reports show it: free when nothing was asked of
    the model (replayed), "price unknown" when the model has none."""
    if isinstance(record, TurnRecord) and record.replayed:
        return "$0 (replayed)"
    return dollars(record.cost_usd)


def named(record: ActionRecord) -> str:
    """An action as a reader names it: with the element it touched where that is known
    (a cassette records or replays it): `click (631, 386) on button "Remove"`."""
    kind = record.action.get("type")
    if not record.target or kind not in (*fingerprint.POINT_ACTIONS, *fingerprint.FOCUS_ACTIONS):
        return record.description
    label = fingerprint.label(record.target)
    if label.startswith("the page itself"):
        return record.description
    cut = record.description.find(";")  # what the browser did comes after the element
    if cut < 0:
        return f"{record.description} on {label}"
    return f"{record.description[:cut]} on {label}{record.description[cut:]}"


def turn_summary(turn: TurnRecord) -> str:
    """What the model did in a turn, in one line."""
    parts = [named(a) for a in turn.actions]
    parts += [f"{c['name']}({c['arguments']})" for c in turn.function_calls]
    if not parts and turn.messages:
        parts.append("said: " + " ".join(turn.messages))
    if turn.error:
        parts.append("the model request failed: " + turn.error)
    return "; ".join(parts) or ("nothing to do" if turn.replayed else "no action")


def failing_step(trail: Trail) -> StepResult | None:
    """The step a reader of a failed test wants to see first."""
    return next((s for s in trail.steps if s.outcome in (Outcome.FAILED, Outcome.ERROR)), None)


def anchor(trail: Trail) -> str:
    """The deep link fragment of the failing turn (`#step-3-turn-2`), or "" when nothing
    failed: a CI failure opens the trail where it went wrong."""
    step = failing_step(trail)
    if step is None:
        return ""
    return f"#step-{step.index + 1}" + (f"-turn-{len(step.turns)}" if step.turns else "")


def heal_result(step: StepResult) -> str:
    """How a heal ended, said once it has: only a step the model finished is healed."""
    if step.source == "healed":
        return "healed through the model"
    if step.outcome == Outcome.ERROR:
        return "not healed, the model could not be asked"
    return "not healed, the model could not do it either"


def _turn_data(turn: TurnRecord, fmt: str) -> dict[str, Any]:
    image = stored_image(turn, fmt)
    actions = [a.action for a in turn.actions]
    checks = [f"{c.get('code')} ({c.get('id')}): {c.get('message')}"
              for c in turn.safety_checks]
    return {
        "n": turn.index + 1, "image": _data_url(image) if image else None,
        "width": turn.screenshot_size[0], "height": turn.screenshot_size[1],
        "marks": marks(turn), "points": images.points(actions),
        "actions": [{"description": named(a), "action": a.action, "error": a.error}
                    for a in turn.actions],
        "calls": [f"{c['name']}({c['arguments']})" for c in turn.function_calls],
        "reasoning": list(turn.reasoning), "messages": list(turn.messages),
        "safety": "; ".join(checks) + (f" ({turn.safety_decision})" if checks else ""),
        "url": turn.url, "seconds": round(turn.seconds, 3), "replayed": turn.replayed,
        "error": turn.error,
        "tokens": (f"{turn.input_tokens} in{_cached(turn.cached_tokens)} / "
                   f"{turn.output_tokens} out"), "cost": cost(turn),
    }


def trail_data(trail: Trail, outcome: str, fmt: str) -> dict[str, Any]:
    """The trail as the viewer reads it."""
    steps = [{
        "n": step.index + 1, "kind": step.kind, "instruction": step.instruction,
        "outcome": step.outcome, "reason": step.reason, "answer": step.answer,
        "source": SOURCES.get(step.source, step.source), "heal": step.heal_reason,
        "healed": heal_result(step),
        "notes": list(step.notes),
        "seconds": round(step.seconds, 2), "tokens": step.input_tokens + step.output_tokens,
        "cost": cost(step), "turns": [_turn_data(turn, fmt) for turn in step.turns],
    } for step in trail.steps]
    return {"test": trail.nodeid, "outcome": outcome, "model": trail.model,
            "variant": trail.variant, "summary": _summary(trail, outcome), "steps": steps}


def _summary(trail: Trail, outcome: str) -> str:
    return (f"{trail.model} ({trail.variant} tool) · {len(trail.steps)} steps · "
            f"{_turn_counts(trail)} · {trail.input_tokens} in{_cached(trail.cached_tokens)} / "
            f"{trail.output_tokens} out tokens · {cost(trail)}"
            + (f" · test {outcome}" if outcome else ""))


def json_for_script(data: Any) -> str:
    """JSON that can stand inside a <script> element (no `</script>` in strings)."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def render_trail(trail: Trail, outcome: str = "", fmt: str = "webp") -> str:
    """The standalone viewer of one test: every step, turn, screenshot and verdict."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>CUA trail: {escape(trail.nodeid)}</title>"
        f"<style>{scripts.asset('trail.css')}</style>"
        f'</head><body><script type="application/json" id="cua-trail">'
        f"{json_for_script(trail_data(trail, outcome, fmt))}</script>"
        "<noscript>This trail is shown by a script; allow scripts for this file.</noscript>"
        f"<script>{scripts.asset('trail.js')}</script></body></html>"
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
            f"<td>{escape(step.outcome)}</td><td>{escape(SOURCES.get(step.source, ''))}</td>"
            f"<td>{escape(step.verdict or '')}</td>"
            f"<td>{len(step.turns)}</td><td>{escape(cost(step))}</td><td>{actions}</td></tr>"
        )
    return (
        f'<div class="cua-steps"><p>CUA: {escape(trail.model)}, {_turn_counts(trail)}, '
        f"{trail.input_tokens} in{_cached(trail.cached_tokens)} / {trail.output_tokens} out "
        f"tokens, {escape(cost(trail))}</p>"
        '<table class="cua"><tr><th>#</th><th>kind</th><th>instruction</th><th>outcome</th>'
        "<th>source</th><th>reason / answer</th><th>turns</th><th>cost</th>"
        "<th>actions per turn</th></tr>"
        f"{''.join(rows)}</table></div>"
    )
