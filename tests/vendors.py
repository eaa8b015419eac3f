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
}
# Gemini's predefined functions have no right or middle click, no held modifier keys and no
# double click, and type where they point: scenarios that need those run on the others.
WITHOUT_GEMINI = [name for name in VENDORS if name != "gemini"]


def batches(vendor: str) -> bool:
    """Whether a vendor's tool takes several actions in one model turn (all but the
    preview tool, which takes one per call)."""
    return vendor != "openai-preview"


def screenshot_limit(vendor: str) -> tuple[int, int]:
    return (1280, 800) if vendor.startswith("anthropic") else (1440, 900)
