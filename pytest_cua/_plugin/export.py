"""`--cua-export`: each test leaves a fragment as it ends; the session writes the modules.

See `_export` for what an exported module holds. Fragments make the export safe under
pytest-xdist: workers write them, the controller (or a run without workers) assembles.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest

from .._export import fragments, writer
from . import stash
from .options import session_settings

_SAID = pytest.StashKey[list[str]]()


def export_folder(config: pytest.Config) -> Path | None:
    """Where the export goes (relative to where pytest was started), None without one."""
    folder = session_settings(config).export
    return Path(config.invocation_params.dir, folder) if folder else None


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    folder = export_folder(config)
    if folder is not None and not _is_worker(config):
        shutil.rmtree(folder / fragments.FOLDER, ignore_errors=True)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Once the test's fixtures are torn down its trail is complete: leave its fragment."""
    settings = item.stash.get(stash.SETTINGS, None)
    trail = item.stash.get(stash.TRAIL, None)
    if settings is None or not settings.export or trail is None or not trail.steps:
        return
    folder = Path(item.config.invocation_params.dir, settings.export)
    viewport = item.stash.get(stash.VIEWPORT, None)
    yaml_test = getattr(getattr(item, "parent", None), "tests_by_name", {}).get(
        getattr(item, "originalname", ""))
    source = "yaml" if yaml_test is not None else "python"
    cls = getattr(item, "cls", None)
    run = fragments.TestRun(
        nodeid=item.nodeid, path=item.path.relative_to(item.config.rootpath).as_posix(),
        function=getattr(item, "originalname", item.name), cls=cls.__name__ if cls else None,
        passed=item.stash.get(stash.PASSED, False), viewport=viewport,
        steps=fragments.steps_of(trail, viewport), source=source,
        spec={"url": yaml_test.url,
              "expects": [s.expect for s in yaml_test.steps]} if yaml_test else None)
    if yaml_test is not None:
        for step, expect in zip(run.steps, run.spec["expects"], strict=False):  # type: ignore[index]
            step["expect"] = expect
    fragments.write(folder, run)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    folder = export_folder(config)
    if folder is None or _is_worker(config):
        return
    runs = fragments.read(folder)
    args = [a for a in config.invocation_params.args
            if not str(a).startswith(("--cua-cache", "--basetemp"))]
    command = shlex.join(["pytest", *map(str, args), "--cua-cache=replay"])
    base_url = config.getoption("--base-url", default=None) or config.getini("base_url") \
        if _has_option(config, "base_url") else None
    config.stash[_SAID] = writer.export(folder, config.rootpath, runs, command,
                                        base_url or None)
    shutil.rmtree(folder / fragments.FOLDER, ignore_errors=True)


def _has_option(config: pytest.Config, name: str) -> bool:
    try:
        config.getini(name)
    except ValueError:
        return False
    return True


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    said = config.stash.get(_SAID, None)
    if said:
        terminalreporter.write_sep("-", "pytest-cua export")
        for line in said:
            terminalreporter.write_line(line)
