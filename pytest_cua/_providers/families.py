"""Open-weight GUI model families: each one's prompt, output grammar and coordinates.

Every family is served behind an OpenAI-compatible chat completions endpoint (vLLM, SGLang,
TGI, Ollama, DashScope), but each speaks its own language: UI-TARS writes `Thought:` and
`Action: click(start_box='(x,y)')` text with points in pixels of the image after
`smart_resize`; Qwen3-VL calls a `computer_use` function (as `<tool_call>` JSON in its text,
or as `tool_calls` when the server parses them) with points on a 0-1000 grid; Qwen2.5-VL
calls the same function with pixels of the smart-resized image. A family is one row of
`FAMILIES` (grammar, coordinate space, resize factor, images kept), so a version that only
moves its coordinates is a new row, not a branch. Facts and sources: open-models.md.

Parsing is pure: `parse(family, text, tool_calls, size, kind)` gives our actions (in pixels
of the screenshot that was sent) and the stop signal, or says what is wrong with the reply.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

SCROLL_PX = 500  # one UI-TARS scroll, which names a direction only
WAIT_MS = 5000  # UI-TARS's wait(): "sleep for 5s"


@dataclass(frozen=True)
class Family:
    name: str
    grammar: str  # "ui-tars": Thought/Action text; "qwen": the computer_use function
    points: str  # "resized": pixels of the smart_resize'd image; "grid": 0-1000 over it
    factor: int = 28  # smart_resize's factor
    images: int = 5  # newest screenshots sent (servers cap images per prompt)
    names: tuple[str, ...] = ()  # fragments of a served model name that identify it


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("ui-tars-1.5", "ui-tars", "resized", 28, 5, ("ui-tars-1.5", "ui-tars-1_5",
                                                       "ui_tars_1.5", "uitars-1.5")),
    # UI-TARS 1.0 and the Doubao variants: the same grammar on a 0-1000 grid.
    Family("ui-tars-1.0", "ui-tars", "grid", 28, 5, ("ui-tars-1.0", "ui-tars-7b-sft",
                                                    "ui-tars-72b-dpo", "doubao")),
    Family("qwen3-vl", "qwen", "grid", 32, 5, ("qwen3-vl", "qwen3_vl", "qwen3vl")),
    Family("qwen2.5-vl", "qwen", "resized", 28, 5, ("qwen2.5-vl", "qwen2_5_vl", "qwen2.5vl",
                                                   "qwen2-5-vl")),
)}


class UnknownFamily(ValueError):
    """No family was named and the model name does not tell which one it is."""


def family_for(name: str, model: str) -> Family:
    """The named family; `auto` guesses it from the served model name when exactly one
    family's fragments are in it, and otherwise says which families there are."""
    known = ", ".join(FAMILIES)
    if name and name != "auto":
        if name not in FAMILIES:
            raise UnknownFamily(f"unknown model family {name!r}; known families: {known}")
        return FAMILIES[name]
    lowered = model.lower()
    found = [f for f in FAMILIES.values() if any(n in lowered for n in f.names)]
    if len(found) != 1:
        raise UnknownFamily(
            f"cannot tell the model family from the model name {model!r}; set "
            f"--cua-model-family (cua_model_family, CUA_MODEL_FAMILY) to one of: {known}")
    return found[0]


# ----------------------------------------------------------------- coordinates
def smart_resize(height: int, width: int, factor: int = 28, min_pixels: int = 100 * 28 * 28,
                 max_pixels: int = 16384 * 28 * 28) -> tuple[int, int]:
    """The image size the Qwen2.5-VL processor feeds the model: sides rounded to the factor,
    scaled into the pixel budget (bytedance/UI-TARS codes/ui_tars/action_parser.py)."""
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h_bar = math.floor(height / beta / factor) * factor
        w_bar = math.floor(width / beta / factor) * factor
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def model_space(family: Family, size: tuple[int, int]) -> tuple[float, float]:
    """Width and height of the space the family's points are in, for a screenshot size."""
    if family.points == "grid":
        return 1000.0, 1000.0
    height, width = smart_resize(size[1], size[0], family.factor)
    return float(width), float(height)


def to_pixels(family: Family, point: tuple[float, float], size: tuple[int, int]) -> dict:
    """A model point as `{x, y}` in pixels of the screenshot; ValueError when it is off the
    image (a point the model made up)."""
    space = model_space(family, size)
    x, y = point
    if not (0 <= x <= space[0] and 0 <= y <= space[1]):
        raise ValueError(f"point ({x:g}, {y:g}) is outside the image, whose "
                         f"{family.points} space is {space[0]:g}x{space[1]:g}")
    return {"x": round(x / space[0] * size[0]), "y": round(y / space[1] * size[1])}


def from_pixels(family: Family, x: float, y: float, size: tuple[int, int]) -> tuple[int, int]:
    """Our pixel point in the family's space (what a model of the family would write)."""
    space = model_space(family, size)
    return round(x / size[0] * space[0]), round(y / size[1] * space[1])


# ----------------------------------------------------------------- prompts
_UI_TARS_ACTIONS = """click(start_box='<|box_start|>(x1,y1)<|box_end|>')
left_double(start_box='<|box_start|>(x1,y1)<|box_end|>')
right_single(start_box='<|box_start|>(x1,y1)<|box_end|>')
drag(start_box='<|box_start|>(x1,y1)<|box_end|>', end_box='<|box_start|>(x3,y3)<|box_end|>')
hotkey(key='')
type(content='') #If you want to submit your input, use "\\n" at the end of `content`.
scroll(start_box='<|box_start|>(x1,y1)<|box_end|>', direction='down or up or right or left')
wait() #Sleep for 5s and take a screenshot to check for any changes.
finished(content='xxx') # Escape \\', \\" and \\n in content, as in a Python string.
call_user() # The task cannot be done, or needs the user's help."""

_UI_TARS_ENDINGS = {
    "act": "When the step is done, call finished(content='...') saying what you see. If it "
           "cannot be done, call call_user().",
    "check": "This is a check: do not change the page (you may scroll to look). When you "
             "know, call finished(content='PASS: <what you saw>') if the claim is true, or "
             "finished(content='FAIL: <what you saw>') if it is false.",
    "ask": "This is a question: do not change the page (you may scroll to look). Answer it "
           "with finished(content='<the answer, as short as the question allows>').",
}

QWEN_FUNCTION = {
    "name": "computer_use",
    "description": (
        "Use a mouse and keyboard to interact with a computer, and take screenshots.\n"
        "* This is an interface to a desktop GUI. The screen's resolution is "
        "{width}x{height}.\n* Click with the cursor tip in the centre of the element.\n"
        "* When the task is done or cannot be done, call terminate with its status; when "
        "asked a question, call answer."),
    "parameters": {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {"type": "string", "enum": [
                "key", "type", "mouse_move", "left_click", "left_click_drag", "right_click",
                "middle_click", "double_click", "triple_click", "scroll", "hscroll", "wait",
                "terminate", "answer"]},
            "keys": {"type": "array", "description": "Required only by action=key."},
            "text": {"type": "string",
                     "description": "Required only by action=type and action=answer."},
            "coordinate": {"type": "array", "description": "(x, y): the point to act on."},
            "pixels": {"type": "number", "description": "The amount of scrolling; positive "
                       "scrolls up (or right for hscroll), negative down (left)."},
            "time": {"type": "number", "description": "Seconds to wait (action=wait)."},
            "status": {"type": "string", "enum": ["success", "failure"],
                       "description": "Required only by action=terminate."},
        },
    },
}

_QWEN_ENDINGS = {
    "act": "When the step is done, call terminate with status success; if it cannot be "
           "done, terminate with status failure.",
    "check": "This is a check: do not change the page (you may scroll to look). Call "
             "terminate with status success if the claim is true of the page, status "
             "failure if it is false, and say what you saw before the call.",
    "ask": "This is a question: do not change the page (you may scroll to look). Call "
           "answer with the answer, as short as the question allows.",
}


def system_prompt(family: Family, size: tuple[int, int]) -> str:
    """The family's own system text: UI-TARS's COMPUTER_USE prompt, Qwen's function
    schema in its tool-call template (works on every server: no parser flags needed)."""
    if family.grammar == "ui-tars":
        return ("You are a GUI agent. You are given a task and your action history, with "
                "screenshots. You need to perform the next action to complete the task.\n\n"
                "## Output Format\n```\nThought: ...\nAction: ...\n```\n\n## Action Space\n"
                f"{_UI_TARS_ACTIONS}\n\n## Note\n- Use English in `Thought` part.\n- Write a "
                "small plan and finally summarize your next action (with its target element) "
                "in one sentence in `Thought` part.")
    width, height = model_space(family, size)
    schema = json.loads(json.dumps(QWEN_FUNCTION))
    schema["description"] = schema["description"].format(width=int(width), height=int(height))
    return ("You are a helpful assistant.\n\n# Tools\n\nYou may call one or more functions to "
            "assist with the user query.\n\nYou are provided with function signatures within "
            "<tools></tools> XML tags:\n<tools>\n"
            + json.dumps({"type": "function", "function": schema}) + "\n</tools>\n\nFor each "
            "function call, return a json object with function name and arguments within "
            "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, "
            "\"arguments\": <args-json-object>}\n</tool_call>")


def step_prompt(family: Family, kind: str, task: str) -> str:
    """A test step as the family's user instruction, with how it ends for this kind."""
    endings = _UI_TARS_ENDINGS if family.grammar == "ui-tars" else _QWEN_ENDINGS
    heading = "## User Instruction\n" if family.grammar == "ui-tars" else ""
    return f"{heading}{task}\n\n{endings[kind]}"


def format_reminder(family: Family) -> str:
    if family.grammar == "ui-tars":
        return ("Reply as `Thought: ...` then `Action: ...`, with one of the actions of the "
                "action space, e.g. Action: click(start_box='<|box_start|>(120,45)<|box_end|>')")
    return ('Reply with a <tool_call>{"name": "computer_use", "arguments": {"action": ...}}'
            "</tool_call> block, e.g. <tool_call>{\"name\": \"computer_use\", \"arguments\": "
            '{"action": "left_click", "coordinate": [120, 45]}}</tool_call>')


# ----------------------------------------------------------------- parsing
@dataclass
class Parsed:
    """A reply read in our terms: actions (in screenshot pixels), the stop signal
    (`verdict`: (passed, reason), `answer`: text), the thought; or `error`."""

    thought: str = ""
    actions: list[dict] = field(default_factory=list)
    verdict: tuple[bool, str] | None = None
    answer: str | None = None
    error: str = ""


_KEY_NAMES = {"ctrl": "CTRL", "control": "CTRL", "alt": "ALT", "shift": "SHIFT",
              "cmd": "META", "command": "META", "win": "META", "super": "META", "meta": "META",
              "enter": "ENTER", "return": "ENTER", "esc": "ESCAPE", "escape": "ESCAPE",
              "tab": "TAB", "space": "SPACE", "backspace": "BACKSPACE", "delete": "DELETE",
              "pageup": "PAGEUP", "pagedown": "PAGEDOWN", "home": "HOME", "end": "END",
              "up": "ARROWUP", "down": "ARROWDOWN", "left": "ARROWLEFT",
              "right": "ARROWRIGHT", "arrowup": "ARROWUP", "arrowdown": "ARROWDOWN",
              "arrowleft": "ARROWLEFT", "arrowright": "ARROWRIGHT"}


def keys_of(names: list[str]) -> list[str]:
    """Key names as our keypress takes them (ctrl -> CTRL, c -> c)."""
    return [_KEY_NAMES.get(k.strip().lower(), k.strip()) for k in names if k.strip()]


def typing(text: str) -> list[dict]:
    """Type text; a trailing newline is Enter, as both families' prompts define it."""
    if text.endswith("\n"):
        return [*([{"type": "type", "text": text[:-1]}] if text[:-1] else []),
                {"type": "keypress", "keys": ["ENTER"]}]
    return [{"type": "type", "text": text}]


def parse(family: Family, text: str, tool_calls: list[dict], size: tuple[int, int],
          kind: str) -> Parsed:
    """Read one reply of the family (its text and any parsed `tool_calls`)."""
    try:
        if family.grammar == "ui-tars":
            return _parse_ui_tars(family, text, size, kind)
        return _parse_qwen(family, text, tool_calls, size, kind)
    except ValueError as exc:
        return Parsed(thought=text.strip(), error=str(exc))


_CALL = re.compile(r"(\w+)\((.*)\)\s*$", re.DOTALL)
_ARG = re.compile(r"(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\")", re.DOTALL)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_ESCAPES = {"n": "\n", "t": "\t", "'": "'", '"': '"', "\\": "\\"}


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), value)


def _point(family: Family, value: str, size: tuple[int, int]) -> dict:
    """A UI-TARS box or point ('(x,y)', '(x1,y1,x2,y2)', '<point>x y</point>') in pixels."""
    numbers = [float(n) for n in _NUMBER.findall(value)]
    if len(numbers) == 4:  # a box: its centre
        numbers = [(numbers[0] + numbers[2]) / 2, (numbers[1] + numbers[3]) / 2]
    if len(numbers) != 2:
        raise ValueError(f"cannot read a point from {value!r}")
    return to_pixels(family, (numbers[0], numbers[1]), size)


def _parse_ui_tars(family: Family, text: str, size: tuple[int, int], kind: str) -> Parsed:
    if "Action:" not in text:
        raise ValueError("no 'Action:' line in the reply")
    thought_part, _, action_part = text.partition("Action:")
    thought = re.sub(r"^\s*(Thought|Reflection|Action_Summary):\s*", "", thought_part.strip())
    parsed = Parsed(thought=thought.strip())
    calls = [c if c.rstrip().endswith(")") else c + ")"
             for c in action_part.strip().split(")\n\n") if c.strip()]
    for call in calls:
        match = _CALL.match(call.strip())
        if not match:
            raise ValueError(f"cannot read the action {call.strip()!r}")
        name = match.group(1)
        args = {k: _unescape(a if a else b) for k, a, b in _ARG.findall(match.group(2))}
        for alias, target in (("point", "start_box"), ("start_point", "start_box"),
                              ("end_point", "end_box")):
            if alias in args:
                args.setdefault(target, args.pop(alias))
        parsed.actions += _ui_tars_action(family, name, args, size, kind, parsed)
    return parsed


def _ui_tars_action(family: Family, name: str, args: dict[str, str], size: tuple[int, int],
                    kind: str, parsed: Parsed) -> list[dict]:
    def at() -> dict:
        if "start_box" not in args:
            raise ValueError(f"{name}() needs start_box")
        return _point(family, args["start_box"], size)

    if name == "click":
        return [{"type": "click", "button": "left", **at()}]
    if name == "left_double":
        return [{"type": "double_click", **at()}]
    if name == "right_single":
        return [{"type": "click", "button": "right", **at()}]
    if name == "drag":
        if "end_box" not in args:
            raise ValueError("drag() needs end_box")
        return [{"type": "drag", "path": [at(), _point(family, args["end_box"], size)]}]
    if name == "hotkey":
        keys = keys_of(re.split(r"[\s+]+", args.get("key", args.get("hotkey", ""))))
        if not keys:
            raise ValueError("hotkey() needs key='...'")
        return [{"type": "keypress", "keys": keys}]
    if name == "type":
        return typing(args.get("content", ""))
    if name == "scroll":
        direction = args.get("direction", "down").strip().lower()
        steps = {"down": (0, SCROLL_PX), "up": (0, -SCROLL_PX), "right": (SCROLL_PX, 0),
                 "left": (-SCROLL_PX, 0)}
        if direction not in steps:
            raise ValueError(f"scroll direction {direction!r} is not up, down, left or right")
        point = at() if "start_box" in args else {"x": size[0] // 2, "y": size[1] // 2}
        return [{"type": "scroll", **point, "scroll_x": steps[direction][0],
                 "scroll_y": steps[direction][1]}]
    if name == "wait":
        return [{"type": "wait", "ms": WAIT_MS}]
    if name == "finished":
        _finish(parsed, kind, args.get("content", ""), prefixed=True)
        return []
    if name == "call_user":
        reason = parsed.thought or "it could not do the step"
        parsed.verdict = (False, f"{reason} (the model asked for help: call_user())")
        return []
    raise ValueError(f"unknown action {name!r}")


def _finish(parsed: Parsed, kind: str, content: str, *, prefixed: bool,
            status: str | None = None) -> None:
    """A family's own ending as our verdict or answer. A check's verdict comes from
    `status` (Qwen's terminate) or, where the family has no status (UI-TARS's finished),
    from the PASS:/FAIL: its prompt asks for."""
    content = content.strip()
    if kind == "ask":
        parsed.answer = content
        return
    if status is not None:
        parsed.verdict = (status == "success", content or parsed.thought or status)
        return
    if prefixed and kind == "check":
        head, _, rest = content.partition(":")
        if head.strip().upper() not in ("PASS", "FAIL"):
            raise ValueError("a check ends with finished(content='PASS: ...') or "
                             "finished(content='FAIL: ...')")
        parsed.verdict = (head.strip().upper() == "PASS", rest.strip() or content)
        return
    parsed.verdict = (True, content or parsed.thought or "finished")


_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


def _parse_qwen(family: Family, text: str, tool_calls: list[dict], size: tuple[int, int],
                kind: str) -> Parsed:
    calls: list[Any] = []
    for block in _TOOL_CALL.findall(text):
        try:
            calls.append(json.loads(block))
        except ValueError:
            raise ValueError(f"the <tool_call> block is not JSON: {block[:200]!r}") from None
    for call in tool_calls if not calls else []:  # parsed by the server (hermes, qwen25)
        function = call.get("function", {}) if isinstance(call, dict) else {}
        try:
            arguments = json.loads(function.get("arguments") or "{}")
        except ValueError:
            raise ValueError("the tool call's arguments are not JSON") from None
        calls.append({"name": function.get("name"), "arguments": arguments})
    parsed = Parsed(thought=_TOOL_CALL.sub("", text).strip())
    if not calls:
        raise ValueError("no <tool_call> in the reply")
    last = dict.fromkeys(("x", "y"), 0)  # where the mouse was: drags start there
    for call in calls:
        if not isinstance(call, dict) or call.get("name") != "computer_use" or \
                not isinstance(call.get("arguments"), dict):
            raise ValueError(f"expected a call of computer_use with arguments, got {call!r}")
        action = _qwen_action(family, call["arguments"], size, kind, parsed, last)
        parsed.actions += action
    return parsed


_QWEN_CLICKS = {"left_click": ("click", "left"), "right_click": ("click", "right"),
                "middle_click": ("click", "middle"), "double_click": ("double_click", None),
                "triple_click": ("triple_click", None)}


def _qwen_action(family: Family, args: dict, size: tuple[int, int], kind: str,
                 parsed: Parsed, last: dict) -> list[dict]:
    name = args.get("action")

    def at(required: bool = True) -> dict:
        point = args.get("coordinate")
        if point is None and not required:
            return dict(last)
        if not (isinstance(point, list | tuple) and len(point) == 2
                and all(isinstance(v, int | float) for v in point)):
            raise ValueError(f"{name} needs coordinate [x, y], got {point!r}")
        last.update(to_pixels(family, (point[0], point[1]), size))
        return dict(last)

    if name in _QWEN_CLICKS:
        kind_of, button = _QWEN_CLICKS[name]
        return [{"type": kind_of, **({"button": button} if button else {}), **at(False)}]
    if name == "mouse_move":
        return [{"type": "move", **at()}]
    if name == "left_click_drag":
        start = dict(last)
        return [{"type": "drag", "path": [start, at()]}]
    if name == "key":
        keys = args.get("keys")
        if not isinstance(keys, list) or not keys:
            raise ValueError("key needs keys, a list of key names")
        return [{"type": "keypress", "keys": keys_of([str(k) for k in keys])}]
    if name == "type":
        if not isinstance(args.get("text"), str):
            raise ValueError("type needs text")
        return typing(args["text"])
    if name in ("scroll", "hscroll"):
        pixels = args.get("pixels")
        if not isinstance(pixels, int | float):
            raise ValueError(f"{name} needs pixels, a number")
        point = at(False)
        if name == "scroll":
            return [{"type": "scroll", **point, "scroll_x": 0, "scroll_y": -round(pixels)}]
        return [{"type": "scroll", **point, "scroll_x": round(pixels), "scroll_y": 0}]
    if name == "wait":
        seconds = args.get("time", 1)
        seconds = seconds if isinstance(seconds, int | float) else 1
        return [{"type": "wait", "ms": round(seconds * 1000)}]
    if name == "terminate":
        status = args.get("status")
        if status not in ("success", "failure"):
            raise ValueError("terminate needs status success or failure")
        if kind == "ask":
            raise ValueError("a question ends with answer (text: the answer)")
        _finish(parsed, kind, "", prefixed=False, status=status)
        return []
    if name == "answer":
        if not isinstance(args.get("text"), str):
            raise ValueError("answer needs text")
        if kind == "ask":
            parsed.answer = args["text"].strip()
        else:
            parsed.verdict = (True, args["text"].strip()) if kind == "act" else parsed.verdict
            if kind == "check":
                raise ValueError("a check ends with terminate (status success or failure)")
        return []
    raise ValueError(f"unknown action {name!r}")
