"""The async agent: same loop core, async Playwright pages, several agents at once.

Sync Playwright (pytest-playwright's `page`) keeps an event loop running in the main
thread for the whole session, so async tests cannot share a process with it: these run
in their own pytest process, as an async suite would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from inner import SCRIPTED_MODEL_FIXTURE

PAGES = Path(__file__).parent / "pages"

INNER = """import os
import zipfile

import pytest
import pytest_asyncio
from playwright.async_api import async_playwright

from pytest_cua import CuaCheckFailed
from pytest_cua import AsyncCuaAgent
from pytest_cua.testing import click, computer_call, turn, type_text, verdict


@pytest.fixture
def site():
    return os.environ["SITE"]


@pytest_asyncio.fixture
async def async_browser(browser_type_launch_args):
    '''An async Chromium launched the way pytest-playwright launches the sync one.'''
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**browser_type_launch_args)
        yield browser
        await browser.close()


async def open_form(browser, site):
    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    await page.goto(site + "/form.html")
    return page


async def centre(page, selector):
    box = await page.locator(selector).bounding_box()
    return round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2)


@pytest.mark.asyncio
async def test_async_agent_acts_and_checks(cua_fake_server, async_browser, cua_agent_for, site):
    page = await open_form(async_browser, site)
    agent = cua_agent_for(page)
    assert isinstance(agent, AsyncCuaAgent)
    await page.context.tracing.start()  # --tracing=on: each step a group, as on a sync page
    x, y = await centre(page, "#name")
    cua_fake_server.script(turn(computer_call(click(x, y))), turn(computer_call(type_text("Ada"))),
                           turn(verdict(True, "typed")),
                           turn(verdict(False, "the heading says Sign up")))
    result = await agent("Type Ada as the name")
    assert result.passed and len(result.turns) == 3
    assert await page.locator("#name").input_value() == "Ada"
    with pytest.raises(CuaCheckFailed, match="the heading says Sign up"):
        await agent.check("The heading says Log in")
    assert cua_fake_server.requests[3].body["previous_response_id"]  # one conversation
    await page.context.tracing.stop(path="trace.zip")
    with zipfile.ZipFile("trace.zip") as archive:
        trace = "".join(archive.read(n).decode("utf-8", "replace")
                        for n in archive.namelist() if n.endswith(".trace"))
    assert "cua act: Type Ada as the name" in trace
    assert "cua check: The heading says Log in" in trace


@pytest.mark.asyncio
async def test_two_async_agents_run_concurrently(cua_fake_server, async_browser, cua_agent_for,
                                                 site):
    import asyncio

    first, second = await open_form(async_browser, site), await open_form(async_browser, site)
    x, y = await centre(first, "#name")

    def model(request):
        '''Either agent: click the name field first, then say it is done.'''
        if request.items("computer_call_output"):
            return turn(verdict(True, "focused the name field"))
        return turn(computer_call(click(x, y)))

    cua_fake_server.delay = 0.3  # each model turn takes a while, so the steps overlap
    cua_fake_server.script(*[model] * 4)
    a, b = cua_agent_for(first), cua_agent_for(second)
    await asyncio.gather(a("Focus the name field"), b("Focus the name field"))
    for page in (first, second):
        assert await page.evaluate("document.activeElement.id") == "name"
    opening = [not r.items("computer_call_output") for r in cua_fake_server.requests]
    assert opening == [True, True, False, False]  # both started before either finished
    assert a.trail is b.trail and len(a.trail.steps) == 2
"""


def test_async_agents(cua_pytester):
    cua_pytester.makepyfile(test_inner=INNER)
    result = cua_pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v", "--tracing=on",
                                               timeout=240)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_async_agent_acts_and_checks PASSED*",
                                 "*test_two_async_agents_run_concurrently PASSED*"])


CASSETTE_INNER = SCRIPTED_MODEL_FIXTURE + """import os
import pytest
import pytest_asyncio
from playwright.async_api import async_playwright

from pytest_cua.testing import click, computer_call, turn, type_text, verdict


@pytest_asyncio.fixture
async def async_page(browser_type_launch_args):
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**browser_type_launch_args)
        page = await browser.new_page(viewport={"width": 1280, "height": 720})
        yield page
        await browser.close()



@pytest.mark.asyncio
async def test_sign_up(model, async_page, cua_agent_for):
    page = async_page
    await page.goto(os.environ["SITE"] + "/form.html")
    if model is not None:
        box = await page.locator("#name").bounding_box()
        x, y = round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2)
        model.script(turn(computer_call(click(x, y))), turn(computer_call(type_text("Ada"))),
                     turn(verdict(True, "typed")), turn(verdict(True, "Ada is in the field")))
    agent = cua_agent_for(page)
    await agent("Type Ada as the name")
    assert await page.locator("#name").input_value() == "Ada"
    await agent.check("The name field says Ada")
"""


def test_async_cassettes_record_replay_and_catch_a_change(cua_pytester, monkeypatch):
    """The async agent records and replays cassettes with the sync agent's rules (shared
    code): a replay needs no server or key, and a changed page fails it."""
    cua_pytester.makepyfile(test_inner=CASSETTE_INNER)

    def run(mode: str, scripted: bool):
        monkeypatch.setenv("SCRIPTED", "1" if scripted else "0")
        return cua_pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                                 f"--cua-cache={mode}", timeout=240)

    run("record", scripted=True).assert_outcomes(passed=1)
    (cassette,) = (cua_pytester.path / "cua_cassettes" / "test_inner").glob("test_sign_up*")
    assert "Ada" in cassette.read_text()
    run("replay", scripted=False).assert_outcomes(passed=1)

    # The page under test changes: the field the model typed into is relabelled.
    pages = cua_pytester.path / "pages"
    shutil.copytree(PAGES, pages)
    form = pages / "form.html"
    form.write_text(form.read_text().replace('aria-label="Name"', 'aria-label="Nickname"'))
    monkeypatch.setenv("SITE", pages.as_uri())
    changed = run("replay", scripted=False)
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(["*CuaReplayMismatch*step 1 'Type Ada as the name'*",
                                  '*clicking textbox "Name" failed: there is no textbox "Name"*'])


FAMILY_INNER = INNER.split("@pytest.mark.asyncio")[0] + """
@pytest.mark.asyncio
async def test_qwen_acts_and_checks(cua_fake_server, async_browser, cua_agent_for, site):
    page = await open_form(async_browser, site)
    agent = cua_agent_for(page)
    assert isinstance(agent, AsyncCuaAgent) and agent.dialect.tool == "qwen3-vl"
    x, y = await centre(page, "#name")
    cua_fake_server.script(turn(computer_call(click(x, y), type_text("Ada"))),
                           turn(verdict(True, "typed")),
                           turn(verdict(False, "the heading says Sign up")))
    assert (await agent("Type Ada as the name")).passed
    assert await page.input_value("#name") == "Ada"
    with pytest.raises(CuaCheckFailed, match="the heading says Sign up"):
        await agent.check("The heading says Log in")
    assert all(r.chat for r in cua_fake_server.requests)
"""


def test_async_agents_on_an_open_weight_family(cua_pytester):
    """An async page on Qwen3-VL over chat completions: the async client, the family's
    grammar, the one loop."""
    cua_pytester.makepyfile(test_inner=FAMILY_INNER)
    result = cua_pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-v", "--cua-provider=openai-compatible",
        "--cua-model=Qwen/Qwen3-VL-30B-A3B-Instruct", timeout=240)
    result.assert_outcomes(passed=1)
