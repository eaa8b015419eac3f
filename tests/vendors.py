"""The vendor dialects and tool versions the shared scenarios run on (see `vendor` in
conftest.py), and what differs between them that a scenario must know."""

from __future__ import annotations

VENDORS = {
    "openai-preview": {},
    "openai-ga": {"CUA_TOOL": "ga"},
    "anthropic-20250124": {"CUA_PROVIDER": "anthropic", "CUA_TOOL": "computer_20250124"},
    "anthropic-20251124": {"CUA_PROVIDER": "anthropic", "CUA_TOOL": "computer_20251124"},
    "anthropic-toolset": {"CUA_PROVIDER": "anthropic", "CUA_TOOL": "computer_toolset_20260801"},
    "gemini": {"CUA_PROVIDER": "gemini"},
    # Open-weight families behind a chat completions server, the family told by the name.
    "ui-tars-1.5": {"CUA_PROVIDER": "openai-compatible", "CUA_MODEL": "ui-tars-1.5-7b"},
    "qwen3-vl": {"CUA_PROVIDER": "openai-compatible",
                 "CUA_MODEL": "Qwen/Qwen3-VL-30B-A3B-Instruct"},
    "qwen2.5-vl": {"CUA_PROVIDER": "openai-compatible",
                   "CUA_MODEL": "Qwen/Qwen2.5-VL-7B-Instruct"},
}
OPEN_FAMILIES = ["ui-tars-1.5", "qwen3-vl", "qwen2.5-vl"]
# What the open-weight families' grammars cannot say: held modifier keys (none), a middle
# click and a bare mouse move (UI-TARS), a screenshot request (none: each result is one);
# and a point off the image is an error they are told, not a click that gets clamped.
WITH_MODIFIERS = [name for name in VENDORS if name not in ("gemini", *OPEN_FAMILIES)]
WITH_MOVE = [name for name in VENDORS if name != "ui-tars-1.5"]
CLAMPING = [name for name in VENDORS if name not in OPEN_FAMILIES]
WITH_SCREENSHOT_ACTION = CLAMPING
# Gemini's predefined functions have no right or middle click, no held modifier keys and no
# double click, and type where they point: scenarios that need those run on the others.
WITHOUT_GEMINI = [name for name in VENDORS if name != "gemini"]


def batches(vendor: str) -> bool:
    """Whether a vendor's tool takes several actions in one model turn (all but the
    preview tool, which takes one per call)."""
    return vendor != "openai-preview"


def screenshot_limit(vendor: str) -> tuple[int, int]:
    return (1280, 800) if vendor.startswith("anthropic") or vendor in OPEN_FAMILIES \
        else (1440, 900)
