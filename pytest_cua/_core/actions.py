"""Our action vocabulary, and what each action means on a page: pure, no I/O.

`plan()` validates one action (in the form every dialect maps its vendor's actions into,
cassettes store and reports draw) and turns it into primitive Playwright calls (`Op`s),
with keys mapped to Playwright's names and coordinates clamped and scaled back from the
screenshot to CSS pixels. The executor (`_browser.executor`) only performs the calls,
over either Playwright API, so sync and async runs cannot disagree about an action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

READ_ONLY_ACTIONS = frozenset({"scroll", "wait", "screenshot", "move", "cursor_position",
                               "zoom"})
MOUSE_BUTTONS = {"left": "left", "right": "right", "wheel": "middle", "middle": "middle"}
WAIT_MS = 1000

_NAMED_KEYS = {
    "ctrl": "Control", "control": "Control", "lctrl": "Control", "rctrl": "Control",
    "alt": "Alt", "option": "Alt", "opt": "Alt", "altgr": "AltGraph",
    "shift": "Shift", "lshift": "Shift", "rshift": "Shift",
    "cmd": "Meta", "command": "Meta", "meta": "Meta", "super": "Meta", "win": "Meta",
    "windows": "Meta", "os": "Meta",
    "enter": "Enter", "return": "Enter",
    "esc": "Escape", "escape": "Escape",
    "space": " ", "spacebar": " ",
    "tab": "Tab",
    "backspace": "Backspace", "back_space": "Backspace",
    "delete": "Delete", "del": "Delete",
    "insert": "Insert", "ins": "Insert",
    "home": "Home", "end": "End",
    "pageup": "PageUp", "page_up": "PageUp", "pgup": "PageUp",
    "pagedown": "PageDown", "page_down": "PageDown", "pgdn": "PageDown",
    "arrowleft": "ArrowLeft", "left": "ArrowLeft",
    "arrowright": "ArrowRight", "right": "ArrowRight",
    "arrowup": "ArrowUp", "up": "ArrowUp",
    "arrowdown": "ArrowDown", "down": "ArrowDown",
    "capslock": "CapsLock", "caps_lock": "CapsLock", "kp_enter": "Enter",
    "kp_add": "+", "kp_subtract": "-", "kp_multiply": "*", "kp_divide": "/",
    "numlock": "NumLock", "scrolllock": "ScrollLock",
    "printscreen": "PrintScreen", "print": "PrintScreen",
    "pause": "Pause", "contextmenu": "ContextMenu", "menu": "ContextMenu",
    "plus": "+", "minus": "-", "slash": "/", "backslash": "\\", "comma": ",",
    "period": ".", "semicolon": ";", "quote": "'", "backquote": "`", "equal": "=",
    "bracketleft": "[", "bracketright": "]",
}
_NAMED_KEYS.update({f"f{n}": f"F{n}" for n in range(1, 25)})


class ActionError(ValueError):
    """An action the executor cannot perform; its text is sent back to the model."""


def map_key(name: Any) -> str:
    """Map a model key name (ENTER, CTRL, ARROWLEFT, a, /) to Playwright's key name."""
    if not isinstance(name, str) or not name:
        raise ActionError(f"key must be a non-empty string, got {name!r}")
    if len(name) == 1:
        return name.lower() if name.isalpha() else name
    mapped = _NAMED_KEYS.get(name.lower().replace(" ", ""))
    if mapped is None:
        raise ActionError(f"unknown key {name!r}")
    return mapped


@dataclass(frozen=True)
class Scale:
    """From the screenshot the model saw back to CSS pixels of the page."""

    shot_width: int
    shot_height: int
    page_width: int
    page_height: int

    def to_page(self, x: Any, y: Any) -> tuple[float, float]:
        for value, axis in ((x, "x"), (y, "y")):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ActionError(f"coordinate {axis} must be a number, got {value!r}")
        x = min(max(float(x), 0.0), self.shot_width - 1.0)
        y = min(max(float(y), 0.0), self.shot_height - 1.0)
        return (x * self.page_width / self.shot_width, y * self.page_height / self.shot_height)

    def to_shot(self, x: float, y: float) -> tuple[int, int]:
        """CSS pixels back to the screenshot's pixels: where the model would have aimed."""
        return (round(x * self.shot_width / self.page_width),
                round(y * self.shot_height / self.page_height))

    def distance(self, dx: Any, dy: Any) -> tuple[float, float]:
        for value in (dx, dy):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ActionError(f"scroll distance must be a number, got {value!r}")
        return (dx * self.page_width / self.shot_width, dy * self.page_height / self.shot_height)


@dataclass(frozen=True)
class Op:
    """One Playwright call: `target` is mouse, keyboard or page."""

    target: str
    method: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


def _held(keys: Any) -> list[str]:
    if keys is None:
        return []
    if not isinstance(keys, list):
        raise ActionError(f"keys must be a list of key names, got {keys!r}")
    return [map_key(k) for k in keys]


def _with_keys(held: list[str], ops: list[Op]) -> list[Op]:
    return (
        [Op("keyboard", "down", (k,)) for k in held]
        + ops
        + [Op("keyboard", "up", (k,)) for k in reversed(held)]
    )


def plan(action: Any, scale: Scale, read_only: bool = False) -> list[Op]:
    """The Playwright calls that perform `action`; ActionError if it cannot be performed."""
    if not isinstance(action, dict) or not isinstance(action.get("type"), str):
        raise ActionError(f"action has no type: {action!r}")
    kind = action["type"]
    if read_only and kind not in READ_ONLY_ACTIONS:
        raise ActionError(
            f"'{kind}' refused: this is a check or a question, the page must not be changed "
            "(scrolling is allowed); give your verdict from what you can see"
        )
    if kind == "click":
        button = action.get("button", "left")
        if button in ("back", "forward"):
            return [Op("page", "go_back" if button == "back" else "go_forward")]
        if button not in MOUSE_BUTTONS:
            raise ActionError(f"unknown mouse button {button!r}")
        x, y = scale.to_page(action.get("x"), action.get("y"))
        click = Op("mouse", "click", (x, y), {"button": MOUSE_BUTTONS[button]})
        return _with_keys(_held(action.get("keys")), [click])
    if kind == "double_click":
        x, y = scale.to_page(action.get("x"), action.get("y"))
        return _with_keys(_held(action.get("keys")), [Op("mouse", "dblclick", (x, y))])
    if kind == "triple_click":  # selects a paragraph or a field's whole text
        x, y = scale.to_page(action.get("x"), action.get("y"))
        return _with_keys(_held(action.get("keys")),
                          [Op("mouse", "click", (x, y), {"click_count": 3})])
    if kind in ("mouse_down", "mouse_up"):  # at a point, or where the cursor is
        ops = []
        if action.get("x") is not None or action.get("y") is not None:
            ops.append(Op("mouse", "move", scale.to_page(action.get("x"), action.get("y"))))
        return [*ops, Op("mouse", "down" if kind == "mouse_down" else "up")]
    if kind == "hold_key":
        keys = _held(action.get("keys"))
        if not keys:
            raise ActionError("hold_key needs at least one key")
        return _with_keys(keys, [Op("page", "wait_for_timeout", (_wait_ms(action),))])
    if kind == "move":
        x, y = scale.to_page(action.get("x"), action.get("y"))
        return _with_keys(_held(action.get("keys")), [Op("mouse", "move", (x, y))])
    if kind == "drag":
        path = action.get("path")
        if not isinstance(path, list) or len(path) < 2:
            raise ActionError("drag needs a path of at least two points")
        points = []
        for point in path:
            if not isinstance(point, dict):
                raise ActionError(f"drag path points must be {{x, y}} objects, got {point!r}")
            points.append(scale.to_page(point.get("x"), point.get("y")))
        ops = [Op("mouse", "move", points[0]), Op("mouse", "down")]
        ops += [Op("mouse", "move", p, {"steps": 5}) for p in points[1:]]
        ops.append(Op("mouse", "up"))
        return _with_keys(_held(action.get("keys")), ops)
    if kind == "scroll":
        x, y = scale.to_page(action.get("x"), action.get("y"))
        dx, dy = scale.distance(action.get("scroll_x", 0), action.get("scroll_y", 0))
        ops = [Op("mouse", "move", (x, y)), Op("mouse", "wheel", (dx, dy))]
        return _with_keys(_held(action.get("keys")), ops)
    if kind == "type":
        text = action.get("text")
        if not isinstance(text, str):
            raise ActionError(f"type needs text, got {text!r}")
        return [Op("keyboard", "type", (text,))]
    if kind == "keypress":
        keys = _held(action.get("keys"))
        if not keys:
            raise ActionError("keypress needs at least one key")
        if len(keys) == 1:
            return [Op("keyboard", "press", (keys[0],))]
        return _with_keys(keys[:-1], [Op("keyboard", "press", (keys[-1],))])
    if kind == "wait":
        return [Op("page", "wait_for_timeout", (_wait_ms(action),))]
    if kind == "navigate":  # the allowlist sees it like any other navigation
        url = action.get("url")
        if not isinstance(url, str) or not url.strip():
            raise ActionError(f"navigate needs a url, got {url!r}")
        return [Op("page", "goto", (url,))]
    if kind in ("screenshot", "cursor_position"):  # the answer is the screenshot (and text)
        return []
    if kind == "zoom":
        region = action.get("region")
        if not (isinstance(region, list) and len(region) == 4):
            raise ActionError(f"zoom needs a region [x0, y0, x1, y1], got {region!r}")
        scale.to_page(*region[:2])  # validated: numbers
        scale.to_page(*region[2:])
        return []
    raise ActionError(
        f"unknown action type {kind!r}; use one of click, double_click, triple_click, drag, "
        "move, mouse_down, mouse_up, scroll, type, keypress, hold_key, wait, screenshot, zoom, "
        "navigate"
    )


def _wait_ms(action: dict) -> float:
    ms = action.get("ms", WAIT_MS)
    ms = ms if isinstance(ms, int | float) and not isinstance(ms, bool) else WAIT_MS
    return min(max(ms, 0), 10_000)


def describe(action: Any) -> str:
    """A short human-readable form of an action, for logs and reports."""
    if not isinstance(action, dict):
        return repr(action)
    kind = action.get("type", "?")
    if kind in ("click", "double_click", "triple_click", "move", "mouse_down", "mouse_up"):
        text = f"{kind} ({action.get('x')}, {action.get('y')})"
        if kind == "click" and action.get("button", "left") != "left":
            text += f" {action.get('button')}"
    elif kind == "scroll":
        text = (f"scroll at ({action.get('x')}, {action.get('y')}) by "
                f"({action.get('scroll_x')}, {action.get('scroll_y')})")
    elif kind == "drag":
        text = "drag " + " -> ".join(
            f"({p.get('x')}, {p.get('y')})" for p in action.get("path") or [] if isinstance(p, dict)
        )
    elif kind == "type":
        text = f"type {action.get('text')!r}"
    elif kind in ("keypress", "hold_key"):
        text = f"{kind} " + "+".join(str(k) for k in action.get("keys") or [])
    elif kind == "zoom":
        text = f"zoom {action.get('region')}"
    else:
        text = str(kind)
    if action.get("keys") and kind not in ("keypress", "hold_key"):
        text += " holding " + "+".join(str(k) for k in action["keys"])
    return text
