"""Files and report extras made from a finished test's trail."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

from .._run.store import write_atomic
from ..settings import Settings
from ..trail import Trail
from . import html_trail


def _slug(nodeid: str) -> str:
    """A file name for a node id, like pytest-playwright's per-test output folders."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in nodeid).strip("-")
    while "--" in safe:
        safe = safe.replace("--", "-")
    if len(safe) > 120:
        safe = f"{safe[:60]}-{hashlib.sha256(nodeid.encode()).hexdigest()[:8]}-{safe[-50:]}"
    return safe


def trail_folder(config: Any, trail_dir: str) -> Path:
    """`--cua-trail-dir`, relative to where pytest was started."""
    return Path(config.invocation_params.dir, os.path.expandvars(trail_dir))


def trail_path(config: Any, item: Any, settings: Settings) -> Path:
    folder = trail_folder(config, settings.trail_dir or "")
    name = _slug(item.nodeid)
    retry = getattr(item, "execution_count", 1) - 1  # pytest-rerunfailures attempts
    if retry > 0:
        name += f"-retry{retry}"
    return folder / f"{name}.html"


def relative_trail(config: Any, item: Any, settings: Settings) -> str:
    """The trail's path within `--cua-trail-dir` (how the index and a published copy
    name it)."""
    path = trail_path(config, item, settings)
    return path.relative_to(trail_folder(config, settings.trail_dir or "")).as_posix()


def published(settings: Settings, relative: str, local: str) -> str:
    """The link to a trail: under `--cua-trail-url` where CI publishes the folder, else
    the `local` file:// link."""
    if settings.trail_url:
        return f"{settings.trail_url.rstrip('/')}/{relative}"
    return local


def write_trail(config: Any, item: Any, trail: Trail, outcome: str, settings: Settings) -> str:
    """Write the standalone HTML trail atomically; its file:// link, which terminals open
    with a click and which stays right whichever folder the reader is in."""
    path = trail_path(config, item, settings)
    write_atomic(path, html_trail.render_trail(trail, outcome, settings.report_images))
    return path.resolve().as_uri()


def html_extras(extras: Any, trail: Trail, image_format: str,
                self_contained: bool = False) -> list[dict]:
    """pytest-html extras, what a reader of a failure needs first: the failing step's whole
    reason and its last picture (what differs outlined), then the step table, then every
    turn. A self-contained report shows the turns as a filmstrip of small pictures, each
    full size on a click (the image stored once, base64); otherwise one SVG file per turn,
    which pytest-html shows one at a time."""
    items = []
    failing = html_trail.failing_step(trail)
    if failing is not None:
        items.append(extras.html(html_trail.failure_html(failing, image_format)))
    items.append(extras.html(html_trail.step_table(trail)))
    strip = []
    for step in trail.steps:
        for turn in step.turns:
            name = (f"step {step.index + 1} ({step.kind}) turn {turn.index + 1}: "
                    f"{html_trail.turn_summary(turn)}")[:200]
            if self_contained:
                strip.append(html_trail.figure_html(turn, image_format, name, small=True))
                continue
            picture = html_trail.marked_svg(turn, image_format)
            if picture is not None:
                items.append(extras.image(base64.b64encode(picture).decode("ascii"), name=name,
                                          mime_type="image/svg+xml", extension="svg"))
    if any(strip):
        items.append(extras.html(html_trail.filmstrip_html(strip)))
    return items
