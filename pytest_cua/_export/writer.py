"""Writing the exported suite: one module per test module with CUA steps, same relative
path under the export folder, with what it needs beside it (the feature files it reads, a
conftest.py that loads the tests' own)."""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from pathlib import Path

from .code import Needs
from .formatting import formatted
from .fragments import TestRun
from .modules import (
    ExportError,
    any_defines,
    assemble,
    generated,
    header,
    imports,
    rewrite,
    step_definitions,
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
    if any(step.get("origin") for run in runs for step in run.steps):  # Gherkin scenarios
        definitions = step_definitions(runs, needs, base_url, source)
        kinds = sorted({s["origin"]["type"] for r in runs for s in r.steps if s.get("origin")})
        text = source.read_text(encoding="utf-8")
        defines = any_defines(text, "browser_context_args")
        code, problems, _ = rewrite(text, {}, needs, base_url, [
            ("playwright.sync_api", "Page"), *(("pytest_bdd", kind) for kind in kinds)],
            fixture=bool(viewport) and not defines, format_as=source)
        if problems:
            raise ExportError("; ".join(problems))
        code = code.rstrip("\n") + "\n" + definitions
        return path, assemble(header(path, command, needs), code, viewport, defines)
    if runs[0].source == "python":
        text = source.read_text(encoding="utf-8")
        defines = any_defines(text, "browser_context_args")
        code, problems, left_out = rewrite(text, _python_runs(runs, source), needs, base_url,
                                           fixture=bool(viewport) and not defines,
                                           format_as=source)
        if problems:
            raise ExportError("; ".join(problems))
        return path, assemble(header(path, command, needs, left_out), code, viewport, defines)
    parts = [generated(run, needs, base_url) for run in runs]
    stem = source.name.split(".")[0]
    name = str(Path(path).parent / f"{stem if stem.startswith('test_') else 'test_' + stem}.py")
    code = "\n".join(imports(needs)) + "".join(parts)
    text = assemble(header(path, command, needs), code, viewport, False)
    return name, formatted(text, rootpath / name)


def export(folder: Path, rootpath: Path, runs: list[TestRun], command: str,
           base_url: str | None) -> list[str]:
    """Write the modules; what was written and what could not be, a line each."""
    by_module: dict[str, list[TestRun]] = defaultdict(list)
    for run in runs:
        if run.steps:
            by_module[run.path].append(run)
    said = []
    if any("normalize" in str((a.get("target") or {}).get("weak", ""))
           for r in runs for s in r.steps for a in s["actions"]):
        said.append("this Playwright has no Locator.normalize() (1.59 and later): locators "
                    "were built from role and name, or text, and are marked weak; upgrade "
                    "playwright for the locators its codegen picks")
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
        _features(rootpath, folder, Path(path).parent)
        said.append(f"exported {path} -> {target}")
        said += [f"  {line[2:]}" for line in text.splitlines() if line.startswith("# Left out:")]
    return said


SHIM = """# Written by pytest-cua's export: the fixtures and hooks of the tests' own conftest.py,
# loaded from where it is, so its imports and the files it reads resolve as they always did.
# (Its pytest_plugins, if any, belong in the rootdir's conftest.py.)
import importlib.util
import sys
from pathlib import Path

_ORIGINAL = (Path(__file__).parent / {relative!r}).resolve()
sys.path.insert(0, str(_ORIGINAL.parent))
_spec = importlib.util.spec_from_file_location({name!r}, _ORIGINAL)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
globals().update({{k: v for k, v in vars(_module).items()
                  if not k.startswith("__") and k != "pytest_plugins"}})
"""


def _conftests(rootpath: Path, folder: Path, relative: Path) -> None:
    """For each conftest.py from rootdir down to the module's folder that pytest would not
    find from the export (an export inside the project sees those of the folders above
    it), a conftest.py beside the export that loads it from where it is."""
    parts = [Path(), *(Path(*relative.parts[:n]) for n in range(1, len(relative.parts) + 1))]
    for part in parts:
        found, target = rootpath / part / "conftest.py", folder / part / "conftest.py"
        applies = (rootpath / part) in target.parents
        if found.is_file() and not target.exists() and not applies:
            target.parent.mkdir(parents=True, exist_ok=True)
            name = "cua_exported_" + "_".join(part.parts or ("root",)) + "_conftest"
            target.write_text(SHIM.format(
                relative=os.path.relpath(found, target.parent), name=name), encoding="utf-8")


def _features(rootpath: Path, folder: Path, relative: Path) -> None:
    """The feature files beside a module: an exported pytest-bdd module still reads them."""
    for found in (rootpath / relative).glob("*.feature"):
        target = folder / relative / found.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found, target)
