"""The scripts and styles shipped with the package: the page-side scripts
(`pytest_cua/js/*.js`) and the report viewer's (`pytest_cua/reporting/assets/`).

They are JavaScript and CSS, so they live in files an editor and a linter can read; Python
only joins the page-side ones into the function bodies it hands to `evaluate`, and puts
the viewer's into the reports it writes.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str, folder: str = "js") -> str:
    """The text of `<folder>/<name>` in the package, read once."""
    return resources.files(__package__).joinpath(*folder.split("/"), name).read_text(
        encoding="utf-8")


def asset(name: str) -> str:
    """A file of the report viewer (`reporting/assets/<name>`)."""
    return load(name, "reporting/assets")
