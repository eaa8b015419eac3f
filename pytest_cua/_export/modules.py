"""Exported modules: a Python test rewritten in place, a YAML test written anew.

A Python test keeps its own code: fixtures, parametrization, `page.goto`, its own
`expect`s and asserts. Each `cua_agent(...)`, `.check(...)` and `.ask(...)` call is found
where the run saw the step being made (file, line and column) and replaced by the step's
code (`code`); `cua_agent` leaves the signature. libcst rewrites the source, so formatting
and comments stay as the author wrote them. A test file written in another language (a
`.cua.yaml` test) becomes a `test_<name>.py` of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import MetadataWrapper, PositionProvider

from .code import Needs, StepCode, q, step_code
from .formatting import formatted
from .fragments import TestRun

CUA_FIXTURES = frozenset({"cua_agent", "cua_secrets", "cua_files", "cua_settings", "cua_client"})


# How a step is made: `cua_agent(...)`, `agent.act/check/ask(...)`.
_STEP_CALL = m.Call(func=m.Name() | m.Attribute(attr=m.Name("act") | m.Name("check")
                                                | m.Name("ask")))


class ExportError(Exception):
    """A module that cannot be exported as it is; the message says why and what to do."""


def header(source: str, command: str, needs: Needs, left_out: Sequence[str] = ()
           ) -> list[str]:
    """Where the file came from, how to make it again, what it reads from the environment
    and which tests it leaves out."""
    lines = [f"# Exported by pytest-cua from {source}:",
             "# plain pytest-playwright, no model and no pytest-cua plugin at run time.",
             "# To regenerate it, replay the recording:", f"#   {command}"]
    if needs.env:
        lines.append(f"# Secrets come from the environment: {', '.join(sorted(needs.env))}.")
    lines += [f"# Left out: {why}." for why in left_out]
    return lines


def viewport_fixture(viewport: tuple[int, int]) -> str:
    """The recorded viewport, on top of whatever the project's own fixture gives."""
    return ("\n\n@pytest.fixture\n"
            "def browser_context_args(browser_context_args):\n"
            '    """The viewport the steps were recorded at, on top of the project\'s own '
            'arguments."""\n'
            f'    return {{**browser_context_args, "viewport": {{"width": {viewport[0]}, '
            f'"height": {viewport[1]}}}}}\n')


def _statements(lines: Sequence[str], format_as: Path) -> list[cst.BaseStatement]:
    """Code lines as statements; comments ride on the statement after them (parsed in a
    function body, where libcst keeps them as the statement's leading lines)."""
    if not lines or lines[-1].startswith("#"):
        lines = [*lines, "pass"]  # only comments: a statement to carry them
    source = "def _():\n" + "".join(f"    {line}\n" for line in lines)
    function = cst.parse_module(formatted(source, format_as)).body[0]
    assert isinstance(function, cst.FunctionDef)
    return list(function.body.body)  # type: ignore[arg-type]


class _Rewrite(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, runs: dict[str, TestRun], needs: Needs, base_url: str | None,
                 format_as: Path) -> None:
        super().__init__()
        self.runs, self.needs, self.base_url = runs, needs, base_url
        self.format_as = format_as  # the file whose formatter settings the code follows
        self.classes: list[str] = []
        self.current: list[TestRun | None] = []
        self.used: set[tuple[int, int]] = set()
        self.problems: list[str] = []
        self.removed: list[str] = []  # tests left out of the export, and why
        self.needs_page_type = False  # a test got a `page: Page` parameter

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node.name.value)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.classes.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        key = "::".join([*self.classes, node.name.value])
        self.current.append(self.runs.get(key))

    def left_out(self, run: TestRun) -> str:
        """Why a test cannot be plain Playwright ("" when it can): a step that failed and
        the test expected it to (`pytest.raises`): what it tests is the model's refusal."""
        failed = [s for s in run.steps if s["outcome"] != "passed"]
        if not failed:
            return ""
        return (f"{run.function}: its step {failed[0]['instruction']!r} failed and the test "
                "expected that (it tests the model, which plain Playwright has not)")

    def _sites(self) -> dict[tuple[int, int], dict]:
        run = self.current[-1] if self.current else None
        return {(s["site"][1], s["site"][2]): s for s in (run.steps if run else []) if s["site"]}

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                  updated: cst.SimpleStatementLine
                                  ) -> cst.BaseStatement | cst.FlattenSentinel:
        sites = self._sites()
        if not sites or (self.current[-1] and self.left_out(self.current[-1])):
            return updated
        calls = []
        for call in m.findall(original, m.Call()):
            start = self.get_metadata(PositionProvider, call).start
            step = sites.get((start.line, start.column))
            if step is None and m.matches(call, _STEP_CALL):  # a line, no column (Python 3.10)
                step = sites.get((start.line, -1))
            if step is not None and isinstance(call, cst.Call):
                calls.append((call, step))
        if not calls:
            return updated
        pre: list[str] = []
        # Nothing inside a simple statement is rewritten but these calls: the original is
        # the statement to change, and its nodes are the ones the calls were found as.
        whole = len(original.body) == 1 and isinstance(original.body[0], cst.Expr | cst.Assert) \
            and len(calls) == 1
        statement: cst.SimpleStatementLine = original
        for call, step in calls:
            self.used.add((step["site"][1], step["site"][2]))
            code = step_code(step, self.needs, self.base_url)
            pre += code.lines
            if whole:
                inner = original.body[0]
                target = inner.value if isinstance(inner, cst.Expr) else \
                    inner.test if isinstance(inner, cst.Assert) else None
                if target is call:
                    if code.value is not None and isinstance(inner, cst.Assert):
                        pre.append(f"assert {code.value}")
                    return self._replace(original, pre)
            value: Any = cst.parse_expression(_value(code))
            statement = statement.deep_replace(call, value)
        if all(line.startswith("#") for line in pre):  # only the step's words: on the line
            comments = [cst.EmptyLine(comment=cst.Comment(line)) for line in pre]
            return statement.with_changes(leading_lines=[*original.leading_lines, *comments])
        body = _statements(pre, self.format_as)
        return self._replace(original, [], [*body, statement])

    def _replace(self, original: cst.SimpleStatementLine, lines: list[str],
                 body: list[cst.BaseStatement] | None = None) -> cst.FlattenSentinel:
        body = body if body is not None else _statements(lines, self.format_as)
        first = body[0]
        body[0] = first.with_changes(
            leading_lines=[*original.leading_lines, *getattr(first, "leading_lines", [])])
        return cst.FlattenSentinel(body)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute
                        ) -> cst.BaseExpression:
        """`cua_agent.page` (the page the agent acts on now) is the exported test's `page`."""
        if self.current and self.current[-1] is not None and m.matches(
                updated, m.Attribute(value=m.Name("cua_agent"), attr=m.Name("page"))):
            return cst.Name("page")
        return updated

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef
                          ) -> cst.FunctionDef:
        run = self.current.pop()
        if run is None:
            return updated
        why = self.left_out(run)
        if why:
            self.removed.append(why)
            return cst.RemovalSentinel.REMOVE  # type: ignore[return-value]
        rest = cst.Module([]).code_for_node(updated.body)
        params = [p for p in updated.params.params if not (
            p.name.value in CUA_FIXTURES and not re.search(rf"\b{p.name.value}\b", rest))]
        left = [p.name.value for p in params if p.name.value.startswith("cua_")]
        if left:
            self.problems.append(f"{run.function} still uses {', '.join(left)} beyond its "
                                 "steps (another page's agent, or the fixture itself)")
        if not any(p.name.value == "page" for p in params):
            params.append(cst.Param(cst.Name("page"), cst.Annotation(cst.Name("Page"))))
            self.needs_page_type = True
        params = [p.with_changes(comma=cst.MaybeSentinel.DEFAULT) for p in params]
        decorators = [d for d in updated.decorators if not m.matches(
            d.decorator, m.Call(func=m.Attribute(value=m.Attribute(attr=m.Name("mark")),
                                                 attr=m.Name("cua")))
            | m.Attribute(value=m.Attribute(attr=m.Name("mark")), attr=m.Name("cua")))]
        return updated.with_changes(params=updated.params.with_changes(params=params),
                                    decorators=decorators)


def _value(code: StepCode) -> str:
    return code.value if code.value is not None else "True"


def step_definitions(runs: Sequence[TestRun], needs: Needs, base_url: str | None,
                     format_as: Path) -> str:
    """Gherkin steps the agent ran, as pytest-bdd step definitions of the code they did:
    the feature file stays the test, the plugin is no longer needed to run it."""
    written: dict[tuple[str, str], StepCode] = {}
    for run in runs:
        for step in run.steps:
            origin = step.get("origin")
            if not origin:
                raise ExportError(f"{run.nodeid}: the step {step['instruction']!r} was not "
                                  "made by a Gherkin step")
            written.setdefault((origin["type"], origin["text"]),
                               step_code(step, needs, base_url))
    out = []
    for (kind, text), code in written.items():
        body = "".join(f"    {line}\n" for line in code.lines)
        out.append(f"\n\n@{kind}({q(text)})\ndef _(page: Page) -> None:\n{body}")
    return "\n\n" + formatted("".join(out).lstrip("\n"), format_as)


def rewrite(source: str, runs: dict[str, TestRun], needs: Needs, base_url: str | None,
            imports: Sequence[tuple[str, str | None]] = (), fixture: bool = False,
            format_as: Path = Path("test_exported.py")) -> tuple[str, list[str], list[str]]:
    """The module with its tests' steps replaced by code, and `imports` (module, name)
    added (and pytest, for a `fixture` the export adds); problems that stop it, and the
    tests left out (and why)."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise ExportError(f"the source does not parse: {exc}") from None
    transformer = _Rewrite(runs, needs, base_url, format_as)
    module = MetadataWrapper(module).visit(transformer)
    problems = list(transformer.problems)
    for run in runs.values():
        if transformer.left_out(run):
            continue
        missing = [s for s in run.steps if s["site"] and (s["site"][1], s["site"][2])
                   not in transformer.used]
        if missing:
            problems.append(f"{run.nodeid}: the step {missing[0]['instruction']!r} made at line "
                            f"{missing[0]['site'][1]} was not found in the source (edited since "
                            "the run?)")
    context = CodemodContext()
    AddImportsVisitor.add_needed_import(context, "playwright.sync_api", "expect")
    if transformer.needs_page_type:
        AddImportsVisitor.add_needed_import(context, "playwright.sync_api", "Page")
    for name, needed in (("re", needs.re), ("os", needs.os), ("pytest", fixture)):
        if needed:
            AddImportsVisitor.add_needed_import(context, name)
    for module_name, obj in imports:
        AddImportsVisitor.add_needed_import(context, module_name, obj)
    for node in m.findall(module, m.ImportFrom()):  # pytest-cua's names, once unused
        assert isinstance(node, cst.ImportFrom)
        name = cst.Module([]).code_for_node(node.module) if node.module else ""
        if name.split(".")[0] == "pytest_cua" and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                RemoveImportsVisitor.remove_unused_import(
                    context, name, cst.Module([]).code_for_node(alias.name))
    module = AddImportsVisitor(context).transform_module(module)
    module = RemoveImportsVisitor(context).transform_module(module)
    return module.code, problems, transformer.removed


def generated(run: TestRun, needs: Needs, base_url: str | None) -> str:
    """A test written anew (a YAML test): its function, steps in order, from the page it
    starts on."""
    body: list[str] = []
    url = (run.spec or {}).get("url")
    if url:
        body.append(f"page.goto({q(url)})")
    for step in run.steps:
        code = step_code(step, needs, base_url)
        body += code.lines
        if step["kind"] == "ask":
            expect = (step.get("expect") or "")
            if expect.startswith("/") and expect.endswith("/") and len(expect) > 1:
                needs.re = True
                body.append(f"assert re.search({q(expect[1:-1])}, {_value(code)})")
            elif expect:
                body.append(f"assert {_value(code)}.strip() == {q(expect.strip())}")
            elif code.value and code.value.startswith("page."):
                body.append(code.value)  # the answer is read: its element must be there
    name = re.sub(r"\W+", "_", run.function).strip("_") or "exported"
    name = name if name.startswith("test") else f"test_{name}"
    indented = "\n".join(f"    {line}" for line in body)
    return f"\n\n\ndef {name}(page: Page) -> None:\n{indented}\n"


def imports(needs: Needs) -> list[str]:
    """The imports of a module written anew, as `playwright codegen` puts them."""
    return [*(["import os"] if needs.os else []), *(["import re"] if needs.re else []),
            *([""] if needs.os or needs.re else []),
            "import pytest", "from playwright.sync_api import Page, expect"]


def assemble(head: list[str], code: str, viewport: tuple[int, int] | None,
             defines_context_args: bool) -> str:
    """The header, the code, and the recorded viewport where the module sets none."""
    text = "\n".join(head) + "\n" + code.lstrip("\n")
    if viewport and not defines_context_args:
        text = text.rstrip("\n") + "\n" + viewport_fixture(viewport)
    return text


def any_defines(source: str, name: str) -> bool:
    return re.search(rf"^\s*def {re.escape(name)}\(", source, re.MULTILINE) is not None
