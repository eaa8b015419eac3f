"""The Playwright code that does what one recorded step did: pure, no I/O.

A step (as the run left it in an export fragment, see `fragments`) becomes statements a
person would write with pytest-playwright: its actions on the locators Playwright's own
generator chose, then `expect(...)` assertions on what the step changed (an act) or was
judged on (a check), and for an ask the expression its answer is read from. The step's own
words are a comment above its code; secrets are read from the environment; dates and
times are matched as patterns, never as the values of the recording day.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .._browser.locators import split_frames
from .._core.actions import ActionError, map_key
from .._replay.graduate import address_line, split_look
from .._replay.likeness import dynamic_pattern, escape

DROPPED = frozenset({"scroll", "wait", "screenshot", "cursor_position", "zoom"})
_SECRET = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CONTROL = re.compile(r'^\[(checkbox|radio|input|textarea|select|password|file|field) (.*?): '
                      r'(.*)\](?: \{.*\})?$')
_ARIA = re.compile(r'^\[([\w-]+) ("(?:[^"\\]|\\.)*"): (.*)\]$')
_PICTURE = re.compile(r"^\[(img|icon|canvas)\b")
_ARIA_STATES = {
    "checked": "to_be_checked()", "not checked": "not_to_be_checked()",
    "selected": 'to_have_attribute("aria-selected", "true")',
    "not selected": 'to_have_attribute("aria-selected", "false")',
    "expanded": 'to_have_attribute("aria-expanded", "true")',
    "collapsed": 'to_have_attribute("aria-expanded", "false")',
    "pressed": 'to_have_attribute("aria-pressed", "true")',
    "not pressed": 'to_have_attribute("aria-pressed", "false")',
    "disabled": "to_be_disabled()",
}


@dataclass
class Needs:
    """What the module the code goes into must import, and the environment it reads."""

    re: bool = False
    os: bool = False
    env: set[str] = field(default_factory=set)


def q(text: str) -> str:
    """A Python string literal, double-quoted as ruff formats it."""
    return json.dumps(text, ensure_ascii=False)


def comment(text: str, prefix: str = "") -> list[str]:
    """The step's own words, a comment line for each of their lines."""
    return [f"# {prefix}{line}".rstrip() for line in text.strip().splitlines() or [""]]


class StepCode:
    """The code of one step; `value` is the expression an ask's answer is read from."""

    def __init__(self, step: dict[str, Any], needs: Needs, base_url: str | None = None) -> None:
        self.step, self.needs, self.base_url = step, needs, base_url
        self.secrets = set((step.get("exported") or {}).get("secrets") or [])
        self.lines: list[str] = comment(step["instruction"], f"{step['kind']}: ")
        self.value: str | None = None

    # -- values --------------------------------------------------------------------------
    def text(self, value: str) -> str:
        """A literal, or the environment variable a secret placeholder stands for."""
        names = [n for n in _SECRET.findall(value) if n in self.secrets]
        if not names:
            return q(value)
        self.needs.os = True
        parts, last = [], 0
        for match in _SECRET.finditer(value):
            if match.group(1) not in self.secrets:
                continue
            if match.start() > last:
                parts.append(q(value[last:match.start()]))
            env = match.group(1).upper()
            self.needs.env.add(env)
            parts.append(f"os.environ[{q(env)}]")
            last = match.end()
        if last < len(value):
            parts.append(q(value[last:]))
        return " + ".join(parts)

    def pattern_or_text(self, value: str) -> str:
        """A literal, or a regular expression where the text holds dates or times."""
        pattern = dynamic_pattern(value, self.step["instruction"])
        if pattern is None:
            return q(value)
        self.needs.re = True
        return f"re.compile({q(pattern)})"

    # -- actions -------------------------------------------------------------------------
    def actions(self) -> StepCode:
        pending_type: tuple[str, str, bool] | None = None  # (locator, text, keys matter)
        chosen = self._selected()
        for record in self.step.get("actions") or []:
            action, target = record["action"], record.get("target") or {}
            kind = action.get("type")
            if target.get("locator") in chosen:  # a <select>: the option it ended on
                self._flush(pending_type)
                pending_type = None
                value = chosen[target["locator"]]
                if value is not None:  # written once; its other clicks and keys are in it
                    self.lines.append(f"{self._loc(target)}.select_option({q(value)})")
                    chosen[target["locator"]] = None
                continue
            if kind == "type" and self._fillable(target):
                loc = self._loc(target)
                if pending_type and pending_type[0] == loc:
                    pending_type = (loc, pending_type[1] + str(action.get("text", "")),
                                    pending_type[2])
                else:
                    self._flush(pending_type)
                    # an autocomplete reacts to each key: type it as keys, not all at once
                    pending_type = (loc, str(action.get("text", "")),
                                    target.get("role") == "combobox")
                continue
            self._flush(pending_type)
            pending_type = None
            self._action(record, action, target, kind)
        self._flush(pending_type)
        # A click that only put the focus in a field the next line fills: fill focuses.
        self.lines = [line for n, line in enumerate(self.lines) if not (
            line.endswith(".click()") and n + 1 < len(self.lines)
            and self.lines[n + 1].startswith(line.removesuffix("click()") + "fill("))]
        return self

    def _selected(self) -> dict[str, str | None]:
        """The <select> elements the step acted on, by locator, and the option each shows
        when the step ended (the line of its new value)."""
        out: dict[str, str | None] = {}
        for pick in (self.step.get("exported") or {}).get("asserts") or []:
            control = _CONTROL.match(split_frames(pick["line"])[1])
            if control and control.group(1) == "select" and pick.get("locator") and \
                    control.group(3).startswith('"'):
                out[pick["locator"]] = json.loads(control.group(3))
        acted = {(r.get("target") or {}).get("locator") for r in self.step.get("actions") or []
                 if (r.get("target") or {}).get("tag") == "select"}
        return {loc: value for loc, value in out.items() if loc in acted}

    def _flush(self, typed: tuple[str, str, bool] | None) -> None:
        if typed:
            how = "press_sequentially" if typed[2] else "fill"
            self.lines.append(f"{typed[0]}.{how}({self.text(typed[1])})")

    @staticmethod
    def _fillable(target: dict) -> bool:
        return bool(target.get("locator")) and target.get("tag") in ("input", "textarea") \
            and target.get("input") not in ("checkbox", "radio", "file", "button", "submit")

    def _loc(self, target: dict) -> str:
        if target.get("weak"):
            self.lines.append(f"# weak locator: {target['weak']}")
        return "page." + target["locator"]

    def _action(self, record: dict, action: dict, target: dict, kind: str | None) -> None:
        if kind in DROPPED or (kind == "move" and not target.get("locator")):
            return
        before = len(self.lines)
        self._acting(record, action, target, kind)
        if record.get("opened_page") and len(self.lines) > before:
            # the action opened a tab or popup: what follows acts there, as the agent did
            self.lines[-1:] = ["with page.expect_popup() as popup:", f"    {self.lines[-1]}",
                               "page = popup.value"]

    def _acting(self, record: dict, action: dict, target: dict, kind: str | None) -> None:
        dialog = record.get("dialog")
        if dialog:
            answer = "dialog.accept(" + (q(dialog["text"]) if dialog.get("text") else "") + ")" \
                if dialog.get("accept") else "dialog.dismiss()"
            self.lines.append(f"page.once(\"dialog\", lambda dialog: {answer})")
        if kind == "navigate":
            url = str(action.get("url", ""))
            base = (self.base_url or "").rstrip("/")
            if base and url.startswith(base + "/"):
                url = url[len(base):]
            self.lines.append(f"page.goto({q(url)})")
            return
        if kind == "click" and action.get("button") in ("back", "forward"):
            self.lines.append(f"page.go_{action['button']}()")
            return
        if kind == "keypress":
            keys = self._keys(action.get("keys"))
            where = self._loc(target) if target.get("locator") and target.get("tag") not in (
                "body", "html") else "page.keyboard"
            self.lines.append(f"{where}.press({q('+'.join(keys))})")
            return
        if kind == "type":  # keys to whatever has the focus: not a field to fill
            self.lines.append(f"page.keyboard.type({self.text(str(action.get('text', '')))})")
            return
        if not target.get("locator") or target.get("tag") in ("canvas", "body", "html"):
            self._at_point(action, kind, record)
            return
        loc = self._loc(target)
        keys = self._keys(action.get("keys")) if action.get("keys") else []
        options = []
        if action.get("button") in ("right", "wheel", "middle"):
            options.append(f"button={q('right' if action['button'] == 'right' else 'middle')}")
        if keys:
            options.append(f"modifiers=[{', '.join(q(k) for k in keys)}]")
        if record.get("files") and target.get("input") == "file":
            files = ", ".join(q(name) for name in record["files"])
            self.lines.append(f"{loc}.set_input_files([{files}])")
        elif kind == "click" and not options and target.get("input") in ("checkbox", "radio"):
            self.lines.append(f"{loc}.{'uncheck' if target.get('checked') else 'check'}()")
        elif kind == "click":
            self.lines.append(f"{loc}.click({', '.join(options)})")
        elif kind == "double_click":
            self.lines.append(f"{loc}.dblclick({', '.join(options)})")
        elif kind == "triple_click":
            self.lines.append(f"{loc}.click({', '.join(['click_count=3', *options])})")
        elif kind == "move":
            self.lines.append(f"{loc}.hover()")
        elif kind == "drag" and target.get("to") and not options:
            self.lines.append(f"{loc}.drag_to(page.{target['to']})")
        else:
            self._at_point(action, kind, record)

    def _keys(self, keys: Any) -> list[str]:
        out = []
        for key in keys or []:
            try:
                out.append(map_key(key))
            except ActionError:
                out.append(str(key))
        return out

    def _at_point(self, action: dict, kind: str | None, record: dict) -> None:
        """An action on no element (a canvas): its coordinates, as CSS pixels."""
        sx, sy = record.get("scale") or (1.0, 1.0)
        def at(point: dict) -> str:
            return f"{round(point.get('x', 0) * sx)}, {round(point.get('y', 0) * sy)}"
        self.lines.append(f"# {kind} on no element a locator can name: at the recorded point")
        if kind == "drag":
            path = action.get("path") or []
            self.lines += [f"page.mouse.move({at(path[0])})", "page.mouse.down()",
                           *(f"page.mouse.move({at(p)}, steps=5)" for p in path[1:]),
                           "page.mouse.up()"]
        elif kind == "double_click":
            self.lines.append(f"page.mouse.dblclick({at(action)})")
        elif kind == "move":
            self.lines.append(f"page.mouse.move({at(action)})")
        else:
            button = action.get("button", "left")
            extra = f", button={q('right' if button == 'right' else 'middle')}" \
                if button in ("right", "wheel", "middle") else ""
            self.lines.append(f"page.mouse.click({at(action)}{extra})")

    # -- assertions ----------------------------------------------------------------------
    def assertions(self) -> StepCode:
        exported = self.step.get("exported") or {}
        picks = exported.get("asserts") or []
        if any(p["role"] == "evidence-all" for p in picks):
            self.lines.append("# the words name nothing on the page: asserted is what it showed")
        for pick in picks:
            if pick["role"] == "answer":
                continue
            self.lines += self._assert(pick)
        if self.step["kind"] == "ask":
            self._answer(exported, [p for p in picks if p["role"] == "answer"])
        return self

    def _assert(self, pick: dict) -> list[str]:
        line = split_frames(pick["line"])[1]  # the locator goes into the frames itself
        if _SECRET.search(line) and any(n in self.secrets for n in _SECRET.findall(line)):
            return []  # a secret's field: never asserted, never written down
        address = address_line(line)
        if address is not None:
            self.needs.re = True
            return [f"expect(page).to_have_url(re.compile({q(escape(address) + '$')}))"]
        text, _ = split_look(line)
        if pick["role"] == "gone":
            if dynamic_pattern(text, self.step["instruction"]) is not None:
                return []
            return [f"expect(page.get_by_text({q(text)}, exact=True)).to_have_count(0)"]
        if pick.get("missing") or not pick.get("locator"):
            return [f"# not asserted, no locator names its element: {line}"]
        loc = "page." + pick["locator"]
        out = []
        control = _CONTROL.match(line)
        aria = _ARIA.match(line)
        if control:
            kind, _, state = control.groups()
            if kind in ("checkbox", "radio"):
                out.append(f"expect({loc}).{_ARIA_STATES[state]}" if state in _ARIA_STATES
                           else f"expect({loc}).to_be_visible()")
            elif kind in ("input", "textarea", "select") and state.startswith('"'):
                out.append(f"expect({loc}).to_have_value("
                           f"{self.pattern_or_text(json.loads(state))})")
            else:
                return []  # a password's or a secret's value is not written down
        elif aria:
            for state in aria.group(3).split(", "):
                if state in _ARIA_STATES:
                    out.append(f"expect({loc}).{_ARIA_STATES[state]}")
            out = out or [f"expect({loc}).to_be_visible()"]
        elif _PICTURE.match(line):
            out.append(f"expect({loc}).to_be_visible()")
        elif pick["locator"].startswith((f"get_by_text({q(text)}", *(
                f"get_by_role({q(r)}, name={q(text)}" for r in ("heading", "link", "button")))):
            looks = [look for look in pick.get("looks") or [] if not _browser_default(look)]
            if not any(look["locator"] == pick["locator"] for look in looks):
                # the locator names the text; a look asserted on it proves it there too
                out.append(f"expect({loc}).to_be_visible()")
        else:
            out.append(f"expect({loc}).to_contain_text({self.pattern_or_text(text)})")
            if "disabled" in (line.rsplit(" {", 1)[-1] if " {" in line else ""):
                out.append(f"expect({loc}).to_be_disabled()")
        for look in pick.get("looks") or []:
            if _browser_default(look):
                continue
            out.append(f"expect(page.{look['locator']}).to_have_css({q(look['prop'])}, "
                       f"{q(look['value'])})")
        return out

    def _answer(self, exported: dict, picks: list[dict]) -> None:
        answer = str(self.step.get("answer") or "")
        pick = picks[0] if picks else None
        if pick and pick.get("locator") and not pick.get("missing"):
            loc = "page." + pick["locator"]
            if pick.get("text", "").strip() == answer.strip():
                self.value = f"{loc}.inner_text()"
                return
            self.lines.append(f"expect({loc}).to_contain_text({q(answer)})")
            self.value = q(answer)
            return
        title = str(exported.get("title") or "")
        if answer and title.strip() == answer.strip():
            self.value = "page.title()"
            return
        if answer and answer.lower() in title.lower():
            self.needs.re = True
            self.lines.append(f"expect(page).to_have_title(re.compile({q(escape(answer))}, "
                              "re.IGNORECASE))")
        else:
            self.lines.append("# answered from the screenshot: no element holds the answer")
        self.value = q(answer)


def _browser_default(look: dict) -> bool:
    """A control's own background as the browser draws it (Chromium's ButtonFace and Field
    colours): how every button and field looks, not what a step did."""
    last = look["locator"].rsplit(".content_frame.", 1)[-1]
    control = last.startswith(('get_by_role("button"', 'get_by_role("textbox"', "get_by_label(",
                               "get_by_placeholder(")) or '.get_by_role("button")' in last
    return control and look["prop"] == "background-color" and look["value"] in (
        "rgb(239, 239, 239)", "rgb(255, 255, 255)")


def step_code(step: dict[str, Any], needs: Needs, base_url: str | None = None) -> StepCode:
    """The statements (and, for an ask, the value expression) of one recorded step."""
    return StepCode(step, needs, base_url).actions().assertions()
