"""How often a strict replay calls an app variant right: this checkout against another one.

The task app of `tests/test_verified_replay.py` (top page, inside a shadow root, inside a
frame from another origin) and the apps built from real component libraries of
`tests/test_component_libraries.py` (Shoelace, Bootstrap 5, Swagger UI, Django admin) are
recorded with the scripted model, then each variant is replayed strictly
(`--cua-cache=replay`, no model, no key): a variant a user would call changed must fail,
one they would call unchanged (a layout shift, a slower backend, a live clock and tip, a
toast counting down, dates that differ per load, recorded with a model that answers at
once) must pass. Each pytest-cua is given by the folder of its source tree
(`PYTHONPATH`), so the previous main can be measured in the same session:

    git worktree add /tmp/before <commit>
    python benchmarks/replay_oracle.py . /tmp/before

Prints, per implementation, each variant's verdict and the number called right.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
# The app, its server and the scripted tests: the ones the test suite uses.
import test_component_libraries as libraries  # noqa: E402
from test_verified_replay import (  # noqa: E402
    APP,
    CHANGED,
    CONFTEST,
    DATES_TESTS,
    PORTAL,
    SLOW_TESTS,
    TESTS,
    TOP_ONLY,
    UNCHANGED,
)

import replaying  # noqa: E402

PAGES_CONFTEST = ROOT / "conftest.py"  # the system Chromium, as the project's tests use it


def write_app(folder: Path, where: str, **cfg: object) -> None:
    config = {"shadow": where == "shadow", **cfg}
    (folder / "app.html").write_text(APP % {"cfg": json.dumps(config)})
    (folder / "portal.html").write_text(PORTAL)


def run(folder: Path, source: Path, where: str, mode: str, delay: float = 0.0,
        **extra: str) -> str:
    """One inner pytest run; its outcome: passed, failed or error."""
    env = {**os.environ, "PYTHONPATH": str(source), "WHERE": where,
           "SCRIPTED": "1" if mode == "record" else "0", "MODEL_DELAY": str(delay), **extra}
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--cua-cache={mode}"]
    if "replay_timeout" in (source / "pytest_cua" / "settings.py").read_text():
        args.append("--cua-replay-timeout=3")
    done = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300)
    found = re.search(r"\b1 (passed|failed|error)\b", done.stdout)
    return found.group(1) if found else "error"


def project(folder: Path, tests: str, conftest: str = CONFTEST, name: str = "test_tasks.py"
            ) -> None:
    for path in folder.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    (folder / "conftest.py").write_text(PAGES_CONFTEST.read_text() + conftest)
    (folder / name).write_text(tests)


def library_app(folder: Path, source: Path, app: str, tests: str, broken: dict,
                conftest: str = "", **env: str) -> dict[str, bool]:
    """An app built from a component library: recorded by a model answering at once, 3
    replays unchanged, 3 with a backend slower than the replay, each broken variant."""
    right: dict[str, bool] = {}
    project(folder, replaying.HELPERS + tests, replaying.SERVER_CONFTEST + conftest,
            "test_app.py")
    (folder / "node_modules").symlink_to(ROOT / "tests/apps/node_modules")
    page = (ROOT / "tests/apps" / f"{app}.html").read_text() if app != "django" else ""

    def write(**cfg: object) -> None:
        (folder / "app.html").write_text(page.replace("%(cfg)s", json.dumps(cfg)))

    write()
    assert run(folder, source, "top", "record", **env) == "passed", app
    for attempt in range(1, 4):
        right[f"{app}: as recorded, replay {attempt} (unchanged)"] = run(
            folder, source, "top", "replay", **env) == "passed"
    if app != "django":
        for attempt in range(1, 4):
            right[f"{app}: slow backend, replay {attempt} (unchanged)"] = run(
                folder, source, "top", "replay", BACKEND_DELAY="1.5", **env) == "passed"
    for name, (variant, _step) in broken.items():
        write(**variant.get("cfg", {}))
        extra = {**env, **({"BACKEND_DROPS": "1"} if variant.get("backend_drops") else {}),
                 **variant.get("env", {})}
        right[f"{app}: {name} (changed)"] = run(folder, source, "top", "replay",
                                                **extra) == "failed"
    return right


def measure(source: Path) -> dict[str, bool]:
    right: dict[str, bool] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for where in ("top", "shadow", "frame"):
            project(folder, TESTS)
            write_app(folder, where)
            assert run(folder, source, where, "record") == "passed", where
            for name, (cfg, *_rest) in CHANGED.items():
                if where != "top" and name in TOP_ONLY:
                    continue
                write_app(folder, where, **cfg)
                right[f"{where}: {name} (changed)"] = run(folder, source, where,
                                                          "replay") == "failed"
            for name, cfg in UNCHANGED.items():
                write_app(folder, where, **cfg)
                right[f"{where}: {name} (unchanged)"] = run(folder, source, where,
                                                            "replay") == "passed"
        project(folder, TESTS)
        write_app(folder, "top", alive=True)
        assert run(folder, source, "top", "record", delay=0.5) == "passed"
        for attempt in range(1, 6):
            right[f"live clock and tip, replay {attempt} (unchanged)"] = run(
                folder, source, "top", "replay") == "passed"
        write_app(folder, "top", alive=True, addBreaks=True)
        right["live clock and tip, add handler breaks (changed)"] = run(
            folder, source, "top", "replay") == "failed"
        project(folder, SLOW_TESTS)
        write_app(folder, "top", addDelay=1500)
        assert run(folder, source, "top", "record", delay=2.0) == "passed"
        for attempt in range(1, 3):
            right[f"effect later than the next action, replay {attempt} (unchanged)"] = run(
                folder, source, "top", "replay") == "passed"
        write_app(folder, "top", addNever=True)
        right["effect never arrives (changed)"] = run(folder, source, "top",
                                                      "replay") == "failed"
        project(folder, DATES_TESTS)  # per-load dates and a clock, recorded at once
        write_app(folder, "top", synced=True, alive=True, due="Dec 24, 2026")
        assert run(folder, source, "top", "record") == "passed"
        for attempt in range(1, 6):
            right[f"dates per load and a fast-recorded clock, replay {attempt} (unchanged)"] = (
                run(folder, source, "top", "replay") == "passed")
        write_app(folder, "top", synced=True, alive=True, due="Dec 25, 2026")
        right["the due date the step names changed (changed)"] = run(
            folder, source, "top", "replay") == "failed"
        right.update(library_app(folder, source, "shoelace", libraries.SHOELACE_TESTS,
                                 libraries.SHOELACE_BROKEN))
        right.update(library_app(folder, source, "bootstrap", libraries.BOOTSTRAP_TESTS,
                                 libraries.BOOTSTRAP_BROKEN))
        right.update(library_app(folder, source, "swagger", libraries.SWAGGER_TESTS,
                                 {"the backend drops the save": ({"backend_drops": True}, 3)}))
        right.update(library_app(
            folder, source, "django", libraries.DJANGO_TESTS,
            {"a change the backend drops": ({"env": {"CREW_DROPS": "change"}}, 3)},
            libraries.DJANGO_CONFTEST, DJANGO_SITE=str(libraries.APPS_SITE), CREW_DROPS=""))
    return right


def main() -> None:
    sources = [Path(p).resolve() for p in sys.argv[1:]] or [ROOT]
    report = {}
    for source in sources:
        started = time.monotonic()
        right = measure(source)
        report[str(source)] = {
            "called_right": sum(right.values()), "variants": len(right),
            "changed_caught": sum(v for k, v in right.items() if k.endswith("(changed)")),
            "changed": sum(1 for k in right if k.endswith("(changed)")),
            "unchanged_passed": sum(v for k, v in right.items() if k.endswith("(unchanged)")),
            "unchanged": sum(1 for k in right if k.endswith("(unchanged)")),
            "wrong": [k for k, v in right.items() if not v],
            "seconds": round(time.monotonic() - started),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
