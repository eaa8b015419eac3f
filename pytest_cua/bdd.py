"""Gherkin through pytest-bdd: every step nobody defined in Python runs through the agent.

pytest-bdd collects `.feature` files the usual way (`scenarios("todo.feature")`) and looks
up a step definition for each step. This module (a pytest plugin, loaded before any
conftest.py) defines one catch-all definition per step type, so a step the user defines
(`@given("the app is open")` in a conftest.py or test module) is found first and wins:
teams move step by step between plain code and natural language. `Given` and `When` steps
act, `Then` steps check; `And`/`But` take the type of the step before them (pytest-bdd
resolves that). Scenario Outline values are already in the step text, doc strings and
data tables are appended to it. A failure names the feature, the scenario and the step.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .errors import CuaConfigError

try:
    from pytest_bdd import given, parsers, then, when
except ImportError:  # pytest-cua[bdd] not installed: nothing to define
    given = None  # type: ignore[assignment]

KINDS = {"given": "act", "when": "act", "then": "check"}
_OPEN = re.compile(r"<[A-Za-z_][\w ]*>")
_CURRENT = pytest.StashKey[tuple[Any, Any, Any]]()  # feature, scenario, step running now


def instruction(text: str, docstring: str | None = None,
                datatable: list[list[str]] | None = None) -> str:
    """What the model is told: the step's text, then its doc string or table as written."""
    if _OPEN.search(text):
        raise CuaConfigError(
            f"Gherkin step {text!r} still holds {_OPEN.search(text).group(0)}: "  # type: ignore[union-attr]
            "the Scenario Outline's Examples table has no column of that name")
    if not re.search(r"\w", text):
        raise CuaConfigError(f"Gherkin step {text!r} says nothing to do or check")
    parts = [text.strip()]
    if docstring:
        parts.append(docstring.strip())
    if datatable:
        parts.append("\n".join("| " + " | ".join(row) + " |" for row in datatable))
    return "\n".join(parts)


def where(request: pytest.FixtureRequest) -> str:
    """`Feature "Todo", scenario "Add an errand", step "Then the list is empty"`."""
    feature, scenario, step = request.node.stash.get(_CURRENT, (None, None, None))
    if step is None:
        return ""
    return (f'Feature "{feature.name}", scenario "{scenario.name}", step '
            f'"{step.keyword.strip()} {step.name}"')


def run_step(request: pytest.FixtureRequest, type_: str, text: str,
             docstring: str | None, datatable: list[list[str]] | None) -> Any:
    """Run one Gherkin step through the test's agent; failures say which step it was."""
    __tracebackhide__ = True
    agent = request.getfixturevalue("cua_agent")
    told = instruction(text, docstring, datatable)
    try:
        result = agent.check(told) if KINDS[type_] == "check" else agent(told)
    except AssertionError as exc:
        place = where(request)
        if place:
            exc.args = (f"{place} failed\n{exc}", *exc.args[1:])
        raise
    result.origin = {"type": type_, "text": text}  # an export writes the step definition
    return result


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_before_step(request: pytest.FixtureRequest, feature: Any, scenario: Any,
                           step: Any, step_func: Any) -> None:
    request.node.stash[_CURRENT] = (feature, scenario, step)


def _define(type_: str, decorator: Any) -> None:
    """The catch-all definition of one step type, injected into this module's namespace
    (pytest-bdd's way: the decorator registers a fixture in its caller's module)."""
    def step(request: pytest.FixtureRequest, cua_step_text: str, docstring: str | None = None,
             datatable: list[list[str]] | None = None) -> None:
        run_step(request, type_, cua_step_text, docstring, datatable)

    step.__name__ = step.__qualname__ = f"cua_{type_}"
    decorator(parsers.re(r"(?s)(?P<cua_step_text>.*\S.*)"), stacklevel=2)(step)


if given is not None:
    for _type, _decorator in (("given", given), ("when", when), ("then", then)):
        _define(_type, _decorator)
