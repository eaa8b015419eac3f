"""Natural-language test files: `test_*.cua.yaml` collected as ordinary pytest tests.

Each file becomes a module whose tests are real `pytest.Function` items, generated the way
pytest generates Python tests, so everything a pytest user relies on keeps working:
pytest-playwright's browser parametrization and fixtures (`page`), `-k`, `-m` with the
file's markers, `--lf`, xdist, cassettes and reports. Only failures look different: they
name the file, the step and the model's reason instead of showing a Python traceback.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import yaml

from ..errors import CuaError

SUFFIXES = (".cua.yaml", ".cua.yml")
# Settings a file may give its tests, as @pytest.mark.cua(...) would.
SETTING_KEYS = ("safety_policy", "max_steps", "volatile", "replay_timeout", "replay_dates")
TEST_KEYS = {"name", "url", "markers", "viewport", *SETTING_KEYS, "steps"}
STEP_KINDS = ("act", "check", "ask")


class FileError(Exception):
    """A problem in a test file; the message names the field."""


@dataclass
class Step:
    kind: str
    text: str
    expect: str | None = None

    @property
    def title(self) -> str:
        return self.text if self.kind == "act" else f"{self.kind}: {self.text}"


@dataclass
class YamlTest:
    name: str
    steps: list[Step]
    url: str | None = None
    markers: list[str] = field(default_factory=list)
    viewport: dict[str, int] | None = None
    cua: dict[str, Any] = field(default_factory=dict)


def is_test_file(path: Path) -> bool:
    return path.name.startswith("test_") and path.name.endswith(SUFFIXES)


def _step(raw: Any, where: str) -> Step:
    if isinstance(raw, str):
        if not raw.strip():
            raise FileError(f"{where} is empty")
        return Step("act", raw.strip())
    if not isinstance(raw, dict):
        raise FileError(f"{where} must be a string (an action) or a mapping with one of "
                        f"{', '.join(STEP_KINDS)}, got {type(raw).__name__}")
    kinds = [k for k in STEP_KINDS if k in raw]
    unknown = sorted(set(raw) - {*STEP_KINDS, "expect"})
    if unknown or len(kinds) != 1:
        raise FileError(f"{where} has keys {sorted(raw)}; a step mapping takes exactly one of "
                        f"{', '.join(STEP_KINDS)} (and expect: with ask)")
    kind = kinds[0]
    text = raw[kind]
    if not isinstance(text, str) or not text.strip():
        raise FileError(f"{where}.{kind} must be a non-empty string")
    expect = raw.get("expect")
    if expect is not None and (kind != "ask" or not isinstance(expect, str | int | float)):
        raise FileError(f"{where}.expect is only for ask: steps, and must be text")
    if isinstance(expect, str) and len(expect) > 1 and expect.startswith("/") \
            and expect.endswith("/"):
        try:
            re.compile(expect[1:-1])
        except re.error as exc:
            raise FileError(f"{where}.expect is not a valid regular expression: {exc}") from None
    return Step(kind, text.strip(), None if expect is None else str(expect))


def _test(raw: Any, where: str, default_name: str) -> YamlTest:
    if not isinstance(raw, dict):
        raise FileError(f"{where} must be a mapping with steps:, got {type(raw).__name__}")
    unknown = sorted(set(raw) - TEST_KEYS)
    if unknown:
        raise FileError(f"{where} has unknown key(s) {', '.join(unknown)}; known keys: "
                        f"{', '.join(sorted(TEST_KEYS))}")
    name = raw.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise FileError(f"{where}.name must be a non-empty string")
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        raise FileError(f"{where} needs steps: a non-empty list of steps")
    url = raw.get("url")
    if url is not None and not isinstance(url, str):
        raise FileError(f"{where}.url must be a string")
    markers = raw.get("markers") or []
    if not isinstance(markers, list) or not all(
            isinstance(m, str) and m.isidentifier() for m in markers):
        raise FileError(f"{where}.markers must be a list of marker names")
    viewport = raw.get("viewport")
    if viewport is not None:
        if isinstance(viewport, list) and len(viewport) == 2:
            viewport = {"width": viewport[0], "height": viewport[1]}
        if not (isinstance(viewport, dict) and set(viewport) == {"width", "height"}
                and all(isinstance(v, int) and v > 0 for v in viewport.values())):
            raise FileError(f"{where}.viewport must be {{width: W, height: H}} in pixels")
    cua = {key: raw[key] for key in SETTING_KEYS if key in raw}
    return YamlTest(name.strip(), [_step(s, f"{where}.steps[{i}]") for i, s in
                                   enumerate(steps, 1)], url, markers, viewport, cua)


def parse(text: str, default_name: str) -> list[YamlTest]:
    """The tests in a file: one document, several documents, or a `tests:` list."""
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise FileError(f"invalid YAML: {exc}") from None
    if not documents:
        raise FileError("the file is empty; it needs at least steps:")
    raws: list[tuple[Any, str]] = []
    for number, document in enumerate(documents, 1):
        where = f"document {number}" if len(documents) > 1 else "the file"
        if isinstance(document, dict) and "tests" in document:
            if set(document) != {"tests"} or not isinstance(document["tests"], list):
                raise FileError(f"{where}: tests: must be the only key, holding a list of tests")
            raws += [(t, f"tests[{i}]") for i, t in enumerate(document["tests"], 1)]
        else:
            raws.append((document, where))
    tests = [_test(raw, where, default_name if len(raws) == 1 else f"{default_name} {i}")
             for i, (raw, where) in enumerate(raws, 1)]
    names = [t.name for t in tests]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise FileError(f"test names must be unique in a file: {', '.join(duplicates)}")
    return tests


def answer_matches(answer: str, expect: str) -> bool:
    """`expect` is the exact answer (trimmed), or `/regex/` searched in it."""
    if len(expect) > 1 and expect.startswith("/") and expect.endswith("/"):
        return re.search(expect[1:-1], answer) is not None
    return answer.strip() == expect.strip()


def _runner(test: YamlTest) -> Any:
    def run_cua_yaml_test(request: pytest.FixtureRequest, page: Any, cua_agent: Any) -> None:
        __tracebackhide__ = True
        if test.url is not None:
            base = request.getfixturevalue("base_url")
            if not base and not re.match(r"^[a-z][a-z0-9+.-]*:", test.url):
                raise CuaError(f"url {test.url!r} is relative: give --base-url (pytest-base-url)"
                               " or a base_url fixture, or write a full URL")
            page.goto(urljoin(base or "", test.url))
        for number, step in enumerate(test.steps, 1):
            request.node.cua_yaml_step = (number, step)
            if step.kind == "act":
                cua_agent.act(step.text)
            elif step.kind == "check":
                cua_agent.check(step.text)
            else:
                answer = cua_agent.ask(step.text)
                if step.expect is not None and not answer_matches(answer, step.expect):
                    raise AssertionError(f"the answer {answer!r} does not match expect: "
                                         f"{step.expect!r}")
        request.node.cua_yaml_step = None

    marks = [getattr(pytest.mark, m) for m in test.markers]
    if test.cua:
        marks.append(pytest.mark.cua(**test.cua))
    if test.viewport:
        marks.append(pytest.mark.browser_context_args(viewport=test.viewport))
    for mark in marks:
        run_cua_yaml_test = mark(run_cua_yaml_test)
    return run_cua_yaml_test


class CuaYamlItem(pytest.Function):
    """A test from a `.cua.yaml` file; reports failures as file, step and reason."""

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        current = getattr(self, "cua_yaml_step", None)
        if current is None or not isinstance(excinfo.value, AssertionError | CuaError):
            return super().repr_failure(excinfo, style)  # type: ignore[call-arg]
        number, step = current
        parent: Any = self.parent  # the CuaYamlFile
        total = len(parent.tests_by_name[self.originalname].steps)
        return (f"{self.path.name}: test {self.originalname!r}, step {number} of {total}: "
                f"{step.title}\n{type(excinfo.value).__name__}: {excinfo.value}")

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.path.name}::{self.originalname}"


class CuaYamlFile(pytest.Module):
    """A `test_*.cua.yaml` file; its module object is built from the YAML, not imported."""

    def _getobj(self) -> types.ModuleType:
        try:
            tests = parse(self.path.read_text(encoding="utf-8"),
                          self.path.name.removesuffix(".yml").removesuffix(".yaml")
                          .removesuffix(".cua"))
        except (FileError, OSError, UnicodeDecodeError) as exc:
            raise self.CollectError(f"{self.path}: {exc}") from None
        self.tests_by_name = {t.name: t for t in tests}
        module = types.ModuleType(self.path.stem)
        module.__file__ = str(self.path)
        for test in tests:
            setattr(module, test.name, _runner(test))
        return module

    def collect(self) -> Any:
        module = self.obj
        for name in self.tests_by_name:
            for item in self._genfunctions(name, getattr(module, name)):
                item.__class__ = CuaYamlItem  # same node, with the file-and-step failure view
                yield item


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if is_test_file(file_path):
        return CuaYamlFile.from_parent(parent, path=file_path)
    return None
