"""The page-side scripts shipped with the package (`pytest_cua/js/*.js`).

They are JavaScript, so they live in .js files an editor and a linter can read; Python
only joins them into the function bodies it hands to `evaluate`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    """The text of `js/<name>`, read once."""
    return resources.files(__package__).joinpath("js", name).read_text(encoding="utf-8")
