"""Native dialogs (`alert`, `confirm`, `prompt`, `beforeunload`), answered by the model.

A native dialog freezes the page: no script runs and no screenshot can be taken until it is
answered, and the action that opened it does not return. So the executor hands the dialog
to the agent while that action waits; the agent shows the model the last screenshot with
the dialog drawn over it (as a person would see it) plus its text, and the model's next
action answers it: Enter or a click on OK accepts, Escape or Cancel declines, typing fills
a prompt. This module holds that part without I/O: what a dialog looks like, what to tell
the model, and what its actions mean.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

ACCEPT_KEYS = ("enter", "return")
DECLINE_KEYS = ("escape", "esc")
PATIENT = ("wait", "screenshot", "move", "scroll")  # nothing to answer with, nothing wrong


@dataclass(frozen=True)
class DialogInfo:
    kind: str  # alert, confirm, prompt, beforeunload
    message: str
    default: str = ""

    def to_dict(self) -> dict[str, str]:
        data = {"type": self.kind, "message": self.message}
        if self.kind == "prompt":
            data["default"] = self.default
        return data


@dataclass(frozen=True)
class Answer:
    accept: bool
    text: str | None = None  # a prompt's answer

    def to_dict(self) -> dict:
        data: dict = {"accept": self.accept}
        if self.text is not None:
            data["text"] = self.text
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Answer:
        text = data.get("text")
        return cls(bool(data.get("accept")), text if isinstance(text, str) else None)


def opened(info: DialogInfo, again: bool = False) -> str:
    """What the model is told when a dialog opens, and each turn it stays open."""
    article = "an" if info.kind == "alert" else "a"
    what = (f"the {info.kind} dialog saying {info.message!r} is still open" if again else
            f"the page opened {article} {info.kind} dialog saying {info.message!r}")
    shown = f"{what}; the page is frozen until it is answered, and your next action answers it: "
    if info.kind == "alert":
        return shown + "press Enter or click OK to close it"
    if info.kind == "prompt":
        return shown + (f"type the answer (the field holds {info.default!r}), then press Enter "
                        "or click OK; Escape or Cancel declines")
    return shown + "press Enter or click OK to accept, Escape or click Cancel to decline"


def answered(info: DialogInfo, answer: Answer) -> str:
    """What the model and the trail are told once the dialog is closed."""
    what = "OK" if answer.accept else "Cancel"
    if answer.accept and info.kind == "prompt":
        what += f" with {answer.text if answer.text is not None else info.default!r}"
    return f"the {info.kind} dialog {info.message!r} was answered {what}"


# -------------------------------------------------------------------- the picture
@dataclass(frozen=True)
class Layout:
    """Where the drawn dialog's parts are, in screenshot pixels."""

    box: tuple[int, int, int, int]
    field: tuple[int, int, int, int] | None
    ok: tuple[int, int, int, int]
    cancel: tuple[int, int, int, int] | None


def layout(width: int, height: int, info: DialogInfo) -> Layout:
    w, h = min(460, width - 20), 150 if info.kind != "prompt" else 190
    left, top = (width - w) // 2, min(24, max(0, height - h))
    right, bottom = left + w, top + h
    ok = (right - 100, bottom - 46, right - 20, bottom - 16)
    cancel = (right - 200, bottom - 46, right - 110, bottom - 16) \
        if info.kind != "alert" else None
    field = (left + 20, bottom - 92, right - 20, bottom - 62) if info.kind == "prompt" else None
    return Layout((left, top, right, bottom), field, ok, cancel)


def draw(screenshot: bytes, info: DialogInfo, typed: str | None = None) -> bytes:
    """The last screenshot, dimmed, with the dialog drawn where a browser shows it."""
    with Image.open(io.BytesIO(screenshot)) as img:
        picture = img.convert("RGB")
    shade = Image.new("RGB", picture.size, (0, 0, 0))
    picture = Image.blend(picture, shade, 0.35)
    pen = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=15)
    parts = layout(*picture.size, info)
    pen.rounded_rectangle(parts.box, radius=8, fill=(255, 255, 255), outline=(120, 120, 120))
    left, top = parts.box[0] + 20, parts.box[1] + 16
    pen.text((left, top), "This page says", fill=(30, 30, 30), font=font)
    pen.text((left, top + 28), _wrap(info.message, 52), fill=(30, 30, 30), font=font)
    if parts.field:
        pen.rectangle(parts.field, outline=(26, 115, 232), width=2)
        value = typed if typed is not None else info.default
        pen.text((parts.field[0] + 8, parts.field[1] + 7), value, fill=(30, 30, 30), font=font)
    pen.rounded_rectangle(parts.ok, radius=4, fill=(26, 115, 232))
    pen.text(_centred(pen, parts.ok, "OK", font), "OK", fill=(255, 255, 255), font=font)
    if parts.cancel:
        pen.rounded_rectangle(parts.cancel, radius=4, outline=(26, 115, 232), width=1)
        pen.text(_centred(pen, parts.cancel, "Cancel", font), "Cancel", fill=(26, 115, 232),
                 font=font)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def _wrap(text: str, width: int) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line][:3])


def _centred(pen: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str,
             font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> tuple[float, float]:
    left, top, right, bottom = pen.textbbox((0, 0), text, font=font)
    return ((box[0] + box[2] - (right - left)) / 2, (box[1] + box[3] - (bottom - top)) / 2 - 2)


# -------------------------------------------------------------------- the answer
@dataclass
class Reading:
    """What a batch of the model's actions did to an open dialog."""

    answer: Answer | None  # None: still open
    used: int  # how many actions of the batch went to the dialog
    typed: str | None
    errors: list[str]


def _inside(box: tuple[int, int, int, int] | None, x: object, y: object) -> bool:
    if box is None or not isinstance(x, int | float) or not isinstance(y, int | float):
        return False
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def read(actions: list[dict], info: DialogInfo, parts: Layout,
         typed: str | None = None) -> Reading:
    """Interpret the model's actions against the open dialog, up to the one that answers it;
    the rest of the batch runs on the page afterwards."""
    errors: list[str] = []
    for used, action in enumerate(actions, start=1):
        kind = action.get("type") if isinstance(action, dict) else None
        text = typed if typed is not None else (info.default if info.kind == "prompt" else None)
        if kind == "type" and isinstance(action.get("text"), str):
            typed = action["text"] if info.kind == "prompt" else typed
            continue
        if kind == "keypress":
            keys = [str(k).lower() for k in action.get("keys") or []]
            if keys and keys[-1] in ACCEPT_KEYS:
                return Reading(Answer(True, text), used, typed, errors)
            if keys and keys[-1] in DECLINE_KEYS:
                return Reading(Answer(False), used, typed, errors)
            if [k for k in keys if k not in ("ctrl", "control", "a")]:
                errors.append(f"keypress {'+'.join(keys)}: a dialog is open; Enter accepts, "
                              "Escape declines")
            continue
        if kind in ("click", "double_click"):
            if _inside(parts.ok, action.get("x"), action.get("y")):
                return Reading(Answer(True, text), used, typed, errors)
            if _inside(parts.cancel, action.get("x"), action.get("y")):
                return Reading(Answer(False), used, typed, errors)
            if _inside(parts.field, action.get("x"), action.get("y")):
                continue
            errors.append(f"{kind} at ({action.get('x')}, {action.get('y')}): outside the "
                          "dialog's buttons; the page is frozen until the dialog is answered")
            continue
        if kind in PATIENT:
            continue
        errors.append(f"{kind}: a dialog is open; answer it first (Enter accepts, Escape "
                      "declines)")
    return Reading(None, len(actions), typed, errors)
