"""Writing the exported suite: one module per test module with CUA steps, same relative
path under the export folder, with the conftest.py files it needs beside it."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

from .code import Needs
from .fragments import TestRun
from .modules import (
    ExportError,
    any_defines,
    assemble,
    generated,
    header,
    imports,
    rewrite,
)


def _key(run: TestRun) -> str:
    return "::".join(p for p in (run.cls, run.function) if p)


def _python_runs(runs: list[TestRun], source: Path) -> dict[str, TestRun]:
    """One run per test function: the first of its parametrizations (they share code)."""
    chosen: dict[str, TestRun] = {}
    for run in runs:
        own = [s for s in run.steps if s["site"] and Path(s["site"][0]) == source]
        if len(own) != len(run.steps):
            raise ExportError(f"{run.nodeid}: some steps were not made in {source.name} (a "
                              "helper in another file, or a step definition)")
        chosen.setdefault(_key(run), run)
    return chosen


def export_module(rootpath: Path, path: str, runs: list[TestRun], command: str,
                  base_url: str | None) -> tuple[str, str]:
    """(the exported file's name relative to the export folder, its text)."""
    failed = [r.nodeid for r in runs if not r.passed]
    if failed:
        raise ExportError(f"{', '.join(failed)} did not pass in this run; export from a run "
                          "where every test of the module passes")
    needs = Needs()
    viewport = next((r.viewport for r in runs if r.viewport), None)
    source = rootpath / path
    if runs[0].source == "python":
        text = source.read_text(encoding="utf-8")
        code, problems = rewrite(text, _python_runs(runs, source), needs, base_url)
        if problems:
            raise ExportError("; ".join(problems))
        name = path
        defines = any_defines(text, "browser_context_args")
        return name, assemble(header(path, command, needs), code, viewport, defines)
    parts = [generated(run, needs, base_url) for run in runs]
    stem = source.name.split(".")[0]
    name = str(Path(path).parent / f"{stem if stem.startswith('test_') else 'test_' + stem}.py")
    code = "\n".join(imports(needs)) + "".join(parts)
    return name, assemble(header(path, command, needs), code, viewport, False)


def export(folder: Path, rootpath: Path, runs: list[TestRun], command: str,
           base_url: str | None) -> list[str]:
    """Write the modules; what was written and what could not be, a line each."""
    by_module: dict[str, list[TestRun]] = defaultdict(list)
    for run in runs:
        if run.steps:
            by_module[run.path].append(run)
    said = []
    for path, module_runs in sorted(by_module.items()):
        try:
            name, text = export_module(rootpath, path, module_runs, command, base_url)
        except (ExportError, OSError) as exc:
            said.append(f"not exported: {path}: {exc}")
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        _conftests(rootpath, folder, Path(path).parent)
        said.append(f"exported {path} -> {target}")
    return said


def _conftests(rootpath: Path, folder: Path, relative: Path) -> None:
    """The conftest.py files from rootdir down to the module's folder, copied unchanged
    where the export has none and where pytest would not find them anyway (an export
    inside the project already sees the conftest.py files of the folders above it)."""
    parts = [Path(), *(Path(*relative.parts[:n]) for n in range(1, len(relative.parts) + 1))]
    for part in parts:
        found, target = rootpath / part / "conftest.py", folder / part / "conftest.py"
        applies = (rootpath / part) in target.parents
        if found.is_file() and not target.exists() and not applies:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found, target)
