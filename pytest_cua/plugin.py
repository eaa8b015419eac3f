"""pytest hooks, options and fixtures: how pytest-cua plugs into pytest and pytest-playwright.

Modelled on pytest_playwright: one option group, overridable fixtures layered on `page`
(`cua_settings` -> `cua_client` -> `cua_agent`), and outcomes adjusted in the report hooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import os
import shutil
import tempfile
import traceback
import urllib.parse
import urllib.request
from collections.abc import Callable, Generator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pytest

from . import cache, domains, likeness, providers, quota, replay, screenshots, yamltests
from .agent import CuaAgent
from .async_agent import AsyncCuaAgent
from .budget import Budget
from .errors import CuaBudgetExceeded, CuaCassetteError, CuaConfigError, CuaProviderError
from .providers.families import FAMILIES
from .reporting import artifacts, html_trail, junit, live, summary, trail_index
from .settings import (
    CACHE_MODES,
    HISTORY_MODES,
    LIST_SPECS,
    MARKER_KEYS,
    PROVIDERS,
    REPORT_IMAGES,
    SPECS,
    TOOLS,
    SettingError,
    Settings,
    resolve,
)
from .trail import Trail

_CLIENTS_KEY = pytest.StashKey[dict]()
_TRAIL_KEY = pytest.StashKey[Trail]()
_SETTINGS_KEY = pytest.StashKey[Settings]()
_TAPE_KEY = pytest.StashKey[cache.Tape]()
_PASSED_KEY = pytest.StashKey[bool]()
_BUDGET_KEY = pytest.StashKey[Budget]()
_RUN_KEY = pytest.StashKey[Path]()  # the run's shared folder (budgets, quotas)
_QUOTAS_KEY = pytest.StashKey[dict]()
_ATTEMPT_KEY = pytest.StashKey[int]()
_OUTPUT_KEY = pytest.StashKey[str]()
INFRASTRUCTURE_ERRORS = (CuaProviderError, CuaConfigError, CuaCassetteError,
                         CuaBudgetExceeded)

_HELP = {
    "provider": "model provider: openai, azure, anthropic, gemini, or auto (by the "
                "credentials set)",
    "model": "model name, or Azure deployment name (default gpt-5.4; for anthropic "
             "claude-sonnet-4-6; for gemini gemini-3-flash-preview)",
    "tool": "computer tool version: preview, ga (OpenAI); computer_20250124, "
            "computer_20251124, computer_toolset_20260801 (Anthropic); computer_use_browser "
            "(Gemini); or auto (by provider and model)",
    "max_steps": "model turns allowed per step (default 30)",
    "safety_policy": "fail (default), acknowledge, or a comma list of safety check codes to "
                     "acknowledge",
    "allowed_domains": "a host the browser may visit (repeatable)",
    "gemini_excluded": "Gemini's predefined functions the model may not use, comma-separated "
                       "(default search,open_web_browser; none for none)",
    "cache": "cassettes: off, record, auto, replay (default off)",
    "cache_dir": "where cassettes live, relative to rootdir (default cua_cassettes)",
    "trail_dir": "also write one standalone HTML trail per test into this folder",
    "timeout": "seconds per model request (default 120)",
    "history": "server (chain with previous_response_id, default) or manual (resend items)",
    "report_images": "report screenshots: webp (default, quality 75), png (exact), jpeg, off",
    "screenshot_format": "screenshots sent to the model: auto (default: exact PNG for flat "
                         "pages, JPEG quality 90 for busy ones), png or jpeg",
    "loop_limit": "fail a step when the model repeats the same click/typing this many times "
                  "in a row (default 8, 0 = off)",
    "max_turns_total": "model turns allowed for the whole session, all xdist workers "
                       "together (default 0 = no limit)",
    "summary": "append a Markdown summary of the run to this file (failures first, with "
               "links), e.g. $GITHUB_STEP_SUMMARY",
    "trail_url": "the URL where the --cua-trail-dir folder is published: the summary links "
                 "trails under it",
    "replay_timeout": "seconds a replay waits for a recorded element or outcome before it "
                      "reports a mismatch (default 5)",
    "volatile": "CSS selector of content that changes by itself, left out of replay "
                "comparisons (repeatable)",
    "replay_dates": "dates and times in replayed evidence: kind (default: any date matches "
                    "a date, unless the step names it) or exact",
    "requests_per_minute": "the provider's request quota (per endpoint and model), shared by "
                           "every xdist worker so nothing is refused; 0 learns it from 429s",
    "tokens_per_minute": "the provider's token quota (per endpoint and model), shared by "
                         "every xdist worker",
    "max_cost": "US dollars the run may spend on model turns, shared by every xdist worker",
    "prices": "MODEL=INPUT,CACHED_INPUT,OUTPUT in US dollars per million tokens, over the "
              "built-in prices (repeatable)",
    "model_family": "openai-compatible: the open-weight model's family (its prompt, output "
                    "grammar and coordinates); auto guesses it from the model name",
    "extra_body": "a JSON object of extra request fields, e.g. vLLM's chat_template_kwargs",
    "extra_headers": "a JSON object of extra request headers",
}
_CHOICES = {"model_family": ("auto", *FAMILIES), "provider": PROVIDERS, "tool": TOOLS,
            "cache": CACHE_MODES, "history": HISTORY_MODES,
            "report_images": REPORT_IMAGES, "screenshot_format": screenshots.FORMATS,
            "replay_dates": likeness.DATES}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cua", "pytest-cua (AI-driven UI steps)")
    for spec in SPECS:
        kwargs: dict[str, Any] = {"dest": f"cua_{spec.name}", "default": None,
                                  "help": _HELP[spec.name] + f" [env {spec.env}]"}
        if spec.name in _CHOICES:
            kwargs["choices"] = _CHOICES[spec.name]
        if spec.name in LIST_SPECS:
            kwargs["action"] = "append"
        group.addoption(spec.option, **kwargs)
        parser.addini(spec.ini, _HELP[spec.name], default=None,
                      type="linelist" if spec.name in LIST_SPECS else "string")


def _cli_and_ini(config: pytest.Config) -> tuple[dict, dict]:
    cli = {spec.name: config.getoption(f"cua_{spec.name}") for spec in SPECS}
    ini = {spec.name: config.getini(spec.ini) for spec in SPECS}
    return cli, ini


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cua(" + ", ".join(f"{k}=..." for k in MARKER_KEYS) + "): pytest-cua settings for one "
        "test, overriding command line, ini and environment",
    )
    cli, ini = _cli_and_ini(config)
    try:
        session_settings = resolve(cli=cli, ini=ini, env=os.environ)
    except SettingError as exc:
        raise pytest.UsageError(f"pytest-cua: {exc}") from None
    if providers.resolve_provider(session_settings, os.environ) == "openai-compatible":
        try:  # the served model and its family: wrong ones are usage errors, before any test
            providers.tool_for(session_settings, os.environ)
        except CuaConfigError as exc:
            raise pytest.UsageError(f"pytest-cua: {exc}") from None
    config.stash[_CLIENTS_KEY] = {}
    config.stash[_QUOTAS_KEY] = {}
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:  # the xdist controller or a plain run reports and owns the budget
        trails = session_settings.trail_dir
        totals = SessionTotals(artifacts.trail_folder(config, trails) if trails else None,
                               session_settings, getattr(config.option, "allure_report_dir", None))
        config.pluginmanager.register(totals, "cua_session_totals")
        # What the workers share: budgets and the provider's quota state (see `shared`).
        config.stash[_RUN_KEY] = totals.run_folder = Path(
            tempfile.mkdtemp(prefix="pytest-cua-run-"))
    else:
        config.stash[_RUN_KEY] = Path(workerinput["cua_run"])
    if session_settings.max_turns_total or session_settings.max_cost:
        config.stash[_BUDGET_KEY] = Budget(config.stash[_RUN_KEY] / "budget.json",
                                           session_settings.max_turns_total,
                                           session_settings.max_cost)


ASYNCIO_LOOP_SCOPE = "asyncio_default_fixture_loop_scope"


@pytest.hookimpl(tryfirst=True, specname="pytest_configure")
def pytest_configure_asyncio(config: pytest.Config) -> None:
    """Give pytest-asyncio the fixture loop scope it asks for, when the user gave none.

    pytest-asyncio 1.5 warns in every run where `asyncio_default_fixture_loop_scope` is
    unset, and `pytest-cua[async]` is what brings it into a project that may have no async
    fixture at all. "fixture-scope" is the value that keeps pytest-asyncio's behaviour
    exactly as it is when unset; a value in the user's ini (or `-o`) always wins. This runs
    before pytest-asyncio's own `pytest_configure`, which reads the value and warns.
    """
    if not config.pluginmanager.has_plugin("asyncio") or config.getini(ASYNCIO_LOOP_SCOPE):
        return
    try:
        release = tuple(int(p) for p in version("pytest-asyncio").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return
    if release >= (1, 5):  # where "fixture-scope" is a valid value
        # pytest has no public setter for an ini value; its cache is what getini reads.
        config._inicache[ASYNCIO_LOOP_SCOPE] = "fixture-scope"


@pytest.hookimpl(trylast=True, specname="pytest_configure")
def pytest_configure_junit(config: pytest.Config) -> None:
    """After pytest's JUnit writer exists: infrastructure errors become `<error>`."""
    junit.errors_for_infrastructure(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker shares the controller's budgets and quota state."""
    node.workerinput["cua_run"] = str(node.config.stash[_RUN_KEY])


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_RUN_KEY, None)
    if folder is not None and not hasattr(config, "workerinput"):
        shutil.rmtree(folder, ignore_errors=True)
    for client in config.stash.get(_CLIENTS_KEY, {}).values():
        close = getattr(client, "close", None)
        if close is not None:
            close()


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if yamltests.is_test_file(file_path):
        return yamltests.CuaYamlFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Credentials are checked when `cua_client` is set up. Put it before the browser
    # fixtures so that a missing key errors out before any page is opened.
    for item in items:
        names = getattr(item, "fixturenames", None)
        if not names or "cua_client" not in names or not (
                "cua_agent" in names or "cua_agent_for" in names):
            continue
        browser_fixtures = [n for n in ("new_context", "context", "page") if n in names]
        if not browser_fixtures:
            continue
        first = min(names.index(n) for n in browser_fixtures)
        if names.index("cua_client") > first:
            names.remove("cua_client")
            names.insert(first, "cua_client")
        # The fake server sets the environment the client is built from.
        if "cua_fake_server" in names and names.index("cua_fake_server") > first:
            names.remove("cua_fake_server")
            names.insert(first, "cua_fake_server")


def settings_for(item: pytest.Item) -> Settings:
    """The settings of one test: its `cua` marker over command line, ini and environment."""
    marker: dict[str, Any] = {}
    for mark in reversed(list(item.iter_markers("cua"))):
        if mark.args:
            raise CuaConfigError(
                "@pytest.mark.cua takes keyword arguments only, e.g. "
                "@pytest.mark.cua(max_steps=10)"
            )
        marker.update(mark.kwargs)
    cli, ini = _cli_and_ini(item.config)
    try:
        return resolve(cli=cli, ini=ini, env=os.environ, marker=marker)
    except SettingError as exc:
        raise CuaConfigError(str(exc)) from None


@pytest.fixture
def cua_settings(request: pytest.FixtureRequest) -> Settings:
    """Resolved pytest-cua settings for this test; override to compute them yourself."""
    settings = settings_for(request.node)
    request.node.stash[_SETTINGS_KEY] = settings
    return settings


@pytest.fixture(scope="session")
def cua_azure_credential() -> Any:
    """The azure-identity credential used when AZURE_OPENAI_API_KEY is not set.

    None means DefaultAzureCredential; override to use another credential.
    """
    return None


@pytest.fixture
def cua_client(request: pytest.FixtureRequest, cua_settings: Settings,
               cua_azure_credential: Any) -> Any:
    """The SDK client (one per provider configuration per worker, so connections are reused).

    With cassettes that may answer every step (cache auto or replay) it is built on first
    use, so a replayed run needs no credentials.
    """
    clients = request.config.stash[_CLIENTS_KEY]
    environ = dict(os.environ)

    def build() -> Any:
        key = (*providers.client_key(cua_settings, environ), id(cua_azure_credential))
        if key not in clients:
            clients[key] = providers.build_client(cua_settings, environ, cua_azure_credential)
        return clients[key]

    if cua_settings.cache in ("auto", "replay"):
        return providers.LazyClient(build)
    return build()


def _quota_for(config: pytest.Config, settings: Settings) -> quota.Quota:
    """The quota of the test's provider configuration (service, endpoint, key, model: what
    a service counts a quota for), its state shared by every worker of the run."""
    key = providers.quota_key(settings, os.environ)
    quotas = config.stash[_QUOTAS_KEY]
    if key not in quotas:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
        quotas[key] = quota.Quota(config.stash[_RUN_KEY] / f"quota-{digest}.json",
                            requests_per_minute=settings.requests_per_minute,
                            tokens_per_minute=settings.tokens_per_minute)
    return quotas[key]


def cache_dir(config: pytest.Config, settings: Settings) -> Path:
    """The cassette folder: `cache_dir` relative to the rootdir."""
    return config.rootpath / settings.cache_dir


@pytest.fixture
def cua_secrets() -> dict[str, str]:
    """Secrets every step may type by placeholder (`{name}`); override to supply them,
    e.g. from the environment. Values never reach the model, reports or cassettes."""
    return {}


@pytest.fixture
def cua_files() -> list[str | os.PathLike[str]]:
    """Files every step of the test may upload when the page opens a file chooser; override
    to offer some (a step adds its own with `files=`). Nothing else on disk is offered."""
    return []


@pytest.fixture
def cua_agent_for(request: pytest.FixtureRequest, cua_client: Any, cua_settings: Settings,
                  cua_secrets: dict[str, str], cua_files: list[str | os.PathLike[str]],
                  output_path: str,
                  cua_azure_credential: Any) -> Generator[Callable[..., Any], None, None]:
    """Make an agent for any page of the test: a sync page gets a `CuaAgent`, an async page
    an `AsyncCuaAgent` (`await agent("...")`). All agents of a test share its trail, so
    several pages (or several concurrent async agents) appear in one report."""
    item = request.node
    if item.stash.get(_ATTEMPT_KEY, None) != _attempt(item):  # a rerun starts afresh
        item.stash[_ATTEMPT_KEY] = _attempt(item)
        item.stash[_TRAIL_KEY] = Trail(nodeid=item.nodeid)
        if _TAPE_KEY in item.stash:
            del item.stash[_TAPE_KEY]
        item.user_properties[:] = [p for p in item.user_properties
                                   if not str(p[0]).startswith("cua_")]
    trail = item.stash[_TRAIL_KEY]
    item.stash[_OUTPUT_KEY] = output_path
    async_clients: list[Any] = []
    budget = request.config.stash.get(_BUDGET_KEY, None)
    pace = _quota_for(request.config, cua_settings)

    def tape_for(page: Any) -> cache.Tape | None:
        """The test's cassette, opened for its first agent and shared by the others: its
        steps are numbered across agents, like the trail's."""
        if cua_settings.cache == "off":
            return None
        tape = item.stash.get(_TAPE_KEY, None)
        if tape is None:
            viewport = page.viewport_size
            meta = cache.Meta(providers.model_for(cua_settings, os.environ),
                              providers.tool_for(cua_settings, os.environ),
                              (viewport["width"], viewport["height"]) if viewport else None)
            path = cache.cassette_path(cache_dir(request.config, cua_settings), item.nodeid)
            tape = cache.Tape.open(cua_settings.cache, path, item.nodeid, meta)
            item.stash[_TAPE_KEY] = tape
        return tape

    def make(page: Any) -> Any:
        agent: Any
        tape = tape_for(page)
        if _is_async(page):
            def build() -> Any:
                client = providers.build_client(cua_settings, os.environ, cua_azure_credential,
                                                asynchronous=True)
                async_clients.append(client)
                return client

            # Like the sync client: built on first use when cassettes may answer every step.
            client = providers.LazyClient(build) if cua_settings.cache in ("auto", "replay") \
                else build()
            agent = AsyncCuaAgent(page, client, cua_settings, trail=trail, tape=tape,
                                  secrets=cua_secrets, files=cua_files, budget=budget,
                             quota=pace)
        else:
            agent = CuaAgent(page, cua_client, cua_settings, trail=trail, tape=tape,
                             secrets=cua_secrets, files=cua_files, budget=budget,
                             quota=pace)
        # Downloads an action starts are kept beside pytest-playwright's other artifacts.
        agent.computer.download_dir = Path(output_path)
        agent.base_url = request.getfixturevalue("base_url") or None
        if cua_settings.allowed_domains:
            base_url = request.getfixturevalue("base_url")
            own = [domains.host_rule(url) for url in (base_url or "", page.url)]
            agent.computer.allow_only(tuple(cua_settings.allowed_domains)
                                      + tuple(r for r in own if r))
        agent.observers.extend(_live_reporters(request.config, agent, cua_settings))
        agent.replay_screenshots = _reports_show_images(request.config, cua_settings)
        return agent

    yield make
    tape = item.stash.get(_TAPE_KEY, None)
    if tape is not None:
        recorded_volatile = tape.recorded.volatile if tape.recorded else []
        steps, volatile = replay.recorded_steps(trail.steps, recorded_volatile,
                                                cua_settings.volatile,
                                                likeness.Likeness(cua_settings.replay_dates))
        cassette = tape.to_write(steps, item.stash.get(_PASSED_KEY, False), volatile)
        if cassette is not None:
            cache.save(tape.path, cassette)
    for client in async_clients:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the test's loop is gone: close the connections on a fresh one
            with contextlib.suppress(Exception):
                asyncio.run(client.close())
        # else: teardown runs inside the test's loop, which closes its own connections


@pytest.fixture
def cua_agent(cua_agent_for: Callable[..., Any], page: Any) -> Any:
    """A computer-use agent on pytest-playwright's `page`; one conversation per test."""
    return cua_agent_for(page)


def _attempt(item: pytest.Item) -> int:
    """Which run of the test this is: pytest-rerunfailures counts them on the item."""
    return int(getattr(item, "execution_count", 1) or 1)


def _is_async(page: Any) -> bool:
    """An async Playwright page (its methods are coroutines) rather than a sync one."""
    return inspect.iscoroutinefunction(getattr(page, "screenshot", None))


def _html_report(config: pytest.Config) -> Any:
    """The pytest-html plugin when it writes a report in this run, else None."""
    html = config.pluginmanager.getplugin("html")
    return html if html is not None and getattr(config.option, "htmlpath", None) else None


def _allure_on(config: pytest.Config) -> bool:
    return config.pluginmanager.get_plugin("allure_listener") is not None


def _reports_show_images(config: pytest.Config, settings: Settings) -> bool:
    if settings.report_images == "off":
        return False
    return bool(_html_report(config) or _allure_on(config) or settings.trail_dir)


def _live_reporters(config: pytest.Config, agent: CuaAgent, settings: Settings) -> list:
    reporters: list[Any] = []
    plugins = config.pluginmanager
    terminal = plugins.get_plugin("terminalreporter")
    if terminal is not None and config.get_verbosity() > 0:
        capture = plugins.get_plugin("capturemanager")

        def write_line(line: str) -> None:
            # Shown live, past output capture, the way pytest's live logging does it.
            if capture is None:
                terminal.write_line(line)
                return
            with capture.global_and_fixture_disabled():
                terminal.write_line(line)

        reporters.append(live.TerminalLines(write_line))
    if _allure_on(config):
        allure = live.load_allure()
        if allure is not None:
            reporters.append(live.AllureSteps(allure, settings.report_images))
    if config.getoption("--tracing", default="off") != "off" and isinstance(agent, CuaAgent):
        reporters.append(live.TraceGroups(lambda: agent.page))
    return reporters


def trail_of(item: pytest.Item) -> Trail | None:
    """The trail recorded for a test, for reporters and users' own hooks."""
    return item.stash.get(_TRAIL_KEY, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Generator:
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(INFRASTRUCTURE_ERRORS):
        report.cua_infrastructure = True
    if report.when == "call":
        item.stash[_PASSED_KEY] = report.passed
    if report.when == "teardown" and trail_of(item) is not None:
        try:
            _attach_playwright_artifacts(item)  # written by pytest-playwright's teardown
        except Exception:
            report.sections.append(("pytest-cua reporting error", traceback.format_exc()))
    trail = trail_of(item)
    if report.when != "call" or trail is None or not trail.steps:
        return
    try:
        _attach_trail(item, report, trail)
    except Exception:
        report.sections.append(("pytest-cua reporting error", traceback.format_exc()))


def _attach_trail(item: pytest.Item, report: pytest.TestReport, trail: Trail) -> None:
    config = item.config
    settings = item.stash.get(_SETTINGS_KEY, None) or settings_for(item)
    outcome = "error" if getattr(report, "cua_infrastructure", False) else report.outcome
    properties = [
        ("cua_steps", len(trail.steps)),
        ("cua_turns", trail.model_turns),  # requests to the model: what the run paid for
        ("cua_replayed_turns", trail.replayed_turns),
        ("cua_input_tokens", trail.input_tokens),
        ("cua_output_tokens", trail.output_tokens),
        # US dollars, or "unknown" when the model has no price (never a made-up one)
        ("cua_cost_usd", "unknown" if trail.cost_usd is None else f"{trail.cost_usd:.6f}"),
        ("cua_model", trail.model),
    ]
    if trail.cached_tokens:
        properties.append(("cua_cached_tokens", trail.cached_tokens))
    tape = item.stash.get(_TAPE_KEY, None)
    if tape is not None:
        properties += [(f"cua_{source}", tape.sources.count(source))
                       for source in cache.SOURCES]
        # what healing cost: the model turns of the steps it healed
        properties.append(("cua_heal_turns", sum(
            1 for s in trail.steps if s.source == "healed" for t in s.turns if not t.replayed)))
    # What the run's index and summary show of the test; travels with the report (xdist).
    # A test that passed opens at its start (a step it expected to fail is no failure).
    failing = html_trail.failing_step(trail) if report.failed else None
    report.cua_details = {"anchor": html_trail.anchor(trail) if failing else "",
                          "seconds": report.duration, "reason": failing.reason if failing else ""}
    if settings.trail_dir:
        path = artifacts.write_trail(config, item, trail, outcome, settings)
        link = path + report.cua_details["anchor"]  # a failure opens at its turn
        properties.append(("cua_trail", link))
        report.sections.append(("cua trail", f"standalone CUA trail: {link}"))
    # On the item, like record_property, so the teardown report (which JUnit XML reads)
    # carries them; on this report for hooks that look at the call phase.
    item.user_properties.extend(properties)
    report.user_properties.extend(properties)
    html = _html_report(config)
    if html is not None:
        self_contained = bool(config.getoption("self_contained_html", default=False))
        report.extras = [*getattr(report, "extras", []),
                         *artifacts.html_extras(html.extras, trail, settings.report_images,
                                                self_contained)]


def _attach_playwright_artifacts(item: pytest.Item) -> None:
    """Allure: the Playwright trace and video pytest-playwright kept for the test
    (`--tracing`, `--video`), so the trace opens from the Allure report."""
    folder = item.stash.get(_OUTPUT_KEY, None)
    allure = live.load_allure() if folder and _allure_on(item.config) else None
    if allure is None or not Path(folder).is_dir():
        return
    for path in sorted(Path(folder).glob("trace*.zip")):
        allure.attach.file(str(path), name=f"Playwright {path.stem}", extension="zip",
                           attachment_type=live.PLAYWRIGHT_TRACE)
    for path in sorted(Path(folder).glob("video*.webm")):
        allure.attach.file(str(path), name=f"Playwright {path.stem}", extension="webm",
                           attachment_type=allure.attachment_type.WEBM)


class SessionTotals:
    """Adds up the CUA properties of every test report, workers' included under xdist;
    writes what belongs to the whole run: the trail index (`--cua-trail-dir`), the
    Markdown summary (`--cua-summary`) and Allure's categories (`--alluredir`)."""

    def __init__(self, trail_folder: Path | None = None, settings: Settings | None = None,
                 allure_dir: str | None = None) -> None:
        # Cache hits and misses; turns and tokens are summed from the rows (trail_index).
        self.cassettes = {**dict.fromkeys(cache.SOURCES, 0), "cassettes": 0, "heal_turns": 0}
        self.trail_folder = trail_folder
        self.settings = settings or Settings()
        self.allure_dir = allure_dir
        self.rows: list[dict] = []  # every test with CUA steps, for the summary
        self.index: Path | None = None
        self.run_folder: Path | None = None  # the quotas' shared state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(p for p in report.user_properties if isinstance(p, tuple) and len(p) == 2)
        if report.when != "call" or "cua_turns" not in props:
            return
        outcome = "error" if getattr(report, "cua_infrastructure", False) else report.outcome
        trail = ""
        if self.trail_folder is not None and "cua_trail" in props:
            trail = Path(os.path.relpath(urllib.request.url2pathname(
                urllib.parse.urlsplit(str(props["cua_trail"])).path), self.trail_folder)
            ).as_posix()
        self.rows.append(trail_index.entry(report.nodeid, outcome, trail, props,
                                           getattr(report, "cua_details", None)))
        if "cua_replayed" in props:
            self.cassettes["cassettes"] += 1
            for source in cache.SOURCES:
                self.cassettes[source] += int(props[f"cua_{source}"])
            self.cassettes["heal_turns"] += int(props.get("cua_heal_turns", 0))

    def pytest_sessionfinish(self) -> None:
        trails = [row for row in self.rows if row["trail"]]
        if self.trail_folder is not None and trails:
            self.index = trail_index.write(self.trail_folder, trails)
        if self.settings.summary and self.rows:
            summary.append_to(Path(self.settings.summary), self.rows, self.settings.trail_url)
        if self.allure_dir:
            live.write_allure_categories(Path(self.allure_dir))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.index is not None:
            terminalreporter.write_line(f"pytest-cua trail index: {self.index.as_uri()}")
        if not self.rows:
            return
        terminalreporter.write_sep("-", "pytest-cua")
        terminalreporter.write_line(trail_index.say_totals(trail_index.totals(self.rows)))
        for line in quota.run_lines(self.run_folder) if self.run_folder else ():
            terminalreporter.write_line(line)
        t = self.cassettes
        if t["cassettes"]:
            terminalreporter.write_line(
                f"cassettes: {t['replayed']} steps replayed (cache hits), {t['live']} asked the "
                f"model (misses), {t['healed']} healed after a mismatch"
                + (f" ({t['heal_turns']} model turns)" if t["healed"] else ""))


def pytest_report_teststatus(report: pytest.TestReport) -> tuple[str, str, str] | None:
    # A provider or configuration failure during the test body is infrastructure: show it
    # as an error, like a fixture failure, never as a failed product check.
    if getattr(report, "cua_infrastructure", False) and report.when == "call" and report.failed:
        return "error", "E", "ERROR"
    return None
