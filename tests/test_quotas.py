"""Provider quotas shared by every xdist worker, and what a run costs in money.

The live suites are real inner pytest runs at `-n 8` against fake servers that enforce
one shared rate limit (429 + retry-after-ms, as OpenAI and Azure answer), real Chromium.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import json
import socket
import sys
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from pytest_cua._core import pricing
from pytest_cua._providers import faults, registry
from pytest_cua._run import pacing, quota
from pytest_cua.errors import CuaProviderError
from pytest_cua.settings import resolve
from pytest_cua.testing import server
from pytest_cua.testing.quota import RateLimit

HARD_TIMEOUT = 400


# ----------------------------------------------------------------- the pace, unit by unit
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_declared_quota_spaces_request_starts_evenly_with_a_margin():
    clock = Clock()
    pace = quota.Quota(requests_per_minute=120, clock=clock)
    waits = [pace.reserve().wait for _ in range(4)]
    spacing = 0.5 * quota.MARGIN  # 0.5 s apart, and the margin
    assert waits == pytest.approx([0.0, spacing, 2 * spacing, 3 * spacing])


def test_a_429_holds_everyone_and_teaches_the_rate_it_admitted():
    clock = Clock()
    pace = quota.Quota(clock=clock)
    tickets = [pace.reserve() for _ in range(2)]  # admitted: no pace known yet
    assert [t.wait for t in tickets] == [0.0, 0.0]
    clock.now += 0.2
    third = pace.reserve()
    refusal = CuaProviderError("429", status=429, kind="rate", retry_after=0.8)
    pace.refused(third, refusal)
    state = pace.state()
    assert state["learned"] == pytest.approx(2.0)  # 2 admitted in the last second
    assert state["hold"] == pytest.approx(clock.now + 0.8)
    after = [pace.reserve().wait for _ in range(3)]  # everyone waits out the hold, paced
    spacing = 0.5 * quota.MARGIN
    assert after == pytest.approx([0.8, 0.8 + spacing, 0.8 + 2 * spacing])


def test_a_ticket_taken_before_another_workers_429_is_taken_again():
    clock = Clock()
    pace = quota.Quota(clock=clock)
    early = pace.reserve()
    pace.refused(pace.reserve(), CuaProviderError("429", kind="rate", retry_after=2.0))
    assert not pace.still_valid(early)  # its slot is before the hold now
    assert pace.reserve().wait == pytest.approx(2.0)


def test_a_declared_limit_in_the_headers_is_the_pace():
    clock = Clock()
    pace = quota.Quota(clock=clock)
    pace.refused(pace.reserve(), CuaProviderError(
        "429", kind="rate", retry_after=0.0, limits={"requests_per_minute": 600}))
    assert pace.state()["learned"] == pytest.approx(10.0)


def test_tokens_per_minute_hold_the_next_start_until_the_tokens_fit():
    clock = Clock()
    pace = quota.Quota(tokens_per_minute=60_000, clock=clock)
    pace.reserve()
    pace.used(5_000)  # 5 s worth of tokens, and the margin
    assert pace.reserve().wait == pytest.approx(5.0 * quota.MARGIN)


def test_tokens_are_reserved_as_a_request_starts_and_reconciled_with_its_reply():
    clock = Clock()
    pace = quota.Quota(tokens_per_minute=60_000, clock=clock)
    first = pace.reserve(tokens=5_000)  # expected: 5 s worth of tokens
    assert first.tokens == 5_000
    assert pace.reserve(tokens=0).wait == pytest.approx(5.0 * quota.MARGIN)  # before it ends
    pace.used(3_000, reserved=5_000)  # it used fewer: 2 s worth given back
    assert pace.reserve().wait == pytest.approx(3.0 * quota.MARGIN)
    refused = pace.reserve(tokens=4_000)
    pace.refused(refused, CuaProviderError("429", kind="rate", retry_after=0.0))
    assert pace.reserve().wait == pytest.approx(3.0 * quota.MARGIN)  # a refusal spent none


def test_a_request_that_leaves_late_pushes_the_next_one_back_at_the_socket():
    clock = Clock()
    pace = quota.Quota(requests_per_minute=120, clock=clock)
    spacing = 0.5 * quota.MARGIN
    first, second = pace.reserve(), pace.reserve()
    assert second.wait == pytest.approx(spacing)
    clock.now += 0.5  # the first one's bytes leave half a second late ...
    assert pace.sending() == 0.0
    clock.now = first.slot + spacing  # ... the second one is on time
    wait = pace.sending()
    assert wait == pytest.approx(0.5)  # and waits for its spacing from the first
    clock.now += wait + 0.3  # then its thread wakes 0.3 s late: it leaves at once
    assert pace.sending(woke=True) == 0.0
    clock.now += 0.1  # and its headers reach the socket 0.1 s later still
    pace.departed()
    left = clock.now
    clock.now = first.slot + 2 * spacing  # the third, on time by plan
    assert pace.sending() == pytest.approx(left + spacing - clock.now)


class Asked:
    """A stand-in quota: how often the socket hook asked it (a short wait, then go)."""

    def __init__(self) -> None:
        self.times = self.departures = 0

    def sending(self, woke: bool = False) -> float:
        self.times += 1
        return 0.0 if woke else 0.01

    def departed(self) -> None:
        self.departures += 1


@pytest.fixture
def hangs_up():
    """An address that reads a request and closes: the headers left, then the SDK fails."""
    listening = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = listening.accept()
                with connection:
                    connection.recv(65536)

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    listening.close()


HUNG_UP = {"APIConnectionError", "RemoteProtocolError"}  # the SDKs' names for it
CLIENTS = {
    "openai": {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "{url}/v1"},
    "azure": {"AZURE_OPENAI_ENDPOINT": "{url}", "AZURE_OPENAI_API_KEY": "k"},
    "anthropic": {"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "{url}"},
    "gemini": {"GEMINI_API_KEY": "k", "GOOGLE_GEMINI_BASE_URL": "{url}"},
    "openai-compatible": {"OPENAI_BASE_URL": "{url}/v1"},
}


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("provider", sorted(CLIENTS))
def test_every_vendors_client_is_paced_at_the_socket(provider, asynchronous, hangs_up):
    env = {name: value.format(url=hangs_up) for name, value in CLIENTS[provider].items()}
    settings = resolve(env={"CUA_PROVIDER": provider, "CUA_MODEL": "qwen3-vl-8b"})
    client = registry.build_client(settings, env, asynchronous=asynchronous)
    models = client.models  # google-genai's async client is its `.aio`
    asked = Asked()

    def send() -> None:
        pacing.SENDING.set(asked)  # in a copy of the context: as quota.requesting sets it
        request = models.get(model="m") if provider == "gemini" else models.retrieve("m")
        if asynchronous:
            asyncio.run(request)

    # Its own thread: the sync Playwright of earlier tests may hold a running event loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        failed = pool.submit(contextvars.copy_context().run, send).exception()
    assert type(failed).__name__ in HUNG_UP, repr(failed)
    assert asked.times == 2  # asked, waited, asked again: then the bytes went
    assert asked.departures == 1  # and the trace of the headers written said when


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's receive stamp is Linux's")
def test_the_fake_counts_a_request_when_it_arrived_not_when_it_was_read():
    with socket.create_server(("127.0.0.1", 0)) as listening:
        listening.setsockopt(socket.SOL_SOCKET, server._KERNEL_STAMP, 1)
        with socket.create_connection(listening.getsockname()) as client:
            connection, _ = listening.accept()
            with connection:
                sent = time.time()
                client.sendall(b"POST /v1/responses HTTP/1.1\r\n\r\n")
                time.sleep(0.3)  # a busy handler thread reads it late
                assert server._arrival(connection) == pytest.approx(sent, abs=0.1)
                assert connection.recv(4) == b"POST"  # the peek left the bytes


def test_fault_kinds_retry_after_and_declared_limits():
    assert faults.fault_kind(429, {"error": {"code": "rate_limit_exceeded"}}) == "rate"
    assert faults.fault_kind(429, {"error": {"code": "insufficient_quota", "message":
                                           "You exceeded your current quota"}}) == "spent"
    assert faults.fault_kind(429, {"error": {"status": "RESOURCE_EXHAUSTED", "details": [
        {"quotaId": "GenerateRequestsPerDayPerProjectPerModel"}]}}) == "spent"
    assert faults.fault_kind(529, None) == "transient"
    assert faults.fault_kind(None, None, transport=True) == "transient"
    assert faults.fault_kind(400, None) == "fatal"
    assert faults.retry_after({"retry-after-ms": "250", "retry-after": "1"}) == 0.25
    assert faults.retry_after({"retry-after": "3"}) == 3.0
    assert faults.retry_after({}, {"error": {"details": [{"retryDelay": "12s"}]}}) == 12.0
    assert faults.retry_after({}) is None
    assert faults.rate_limits({"x-ratelimit-limit-requests": "500",
                             "anthropic-ratelimit-tokens-limit": "80000"}) == {
        "requests_per_minute": 500.0, "tokens_per_minute": 80000.0}


def test_rate_limit_of_the_fake_admits_n_per_window(tmp_path):
    limit = RateLimit(2, 1.0, shared=tmp_path / "q.json")
    assert limit.admit() is None and limit.admit() is None
    wait = limit.admit()
    assert wait is not None and 0 < wait <= 1.0
    other = RateLimit(2, 1.0, shared=tmp_path / "q.json")  # another worker's server
    assert other.admit() is not None
    assert other.refused == 2 and other.served == 2


# ----------------------------------------------------------------- prices
def test_cost_is_tokens_times_prices():
    price = pricing.PRICES["gpt-5.4"]
    # 10_000 input of which 4_000 cached, 500 output
    assert price.cost(10_000, 4_000, 500) == pytest.approx(
        (6_000 * 2.50 + 4_000 * 0.25 + 500 * 15.00) / 1_000_000)
    assert pricing.price_of("claude-sonnet-4-5-20250929", pricing.PRICES) is \
        pricing.PRICES["claude-sonnet-4-5"]
    assert pricing.price_of("gpt-5.4-turbo", pricing.PRICES) is None  # no guessing
    assert all(p.source and p.date for p in pricing.PRICES.values())


def test_user_prices_win_and_bad_lines_say_the_format():
    table = pricing.table(["gpt-5.4=1,0.1,8", "my-model=2,,4"])
    assert table["gpt-5.4"].input == 1.0
    assert table["my-model"].cached_input == 2.0  # no cache price: input price
    with pytest.raises(ValueError, match="MODEL=INPUT,CACHED_INPUT,OUTPUT"):
        pricing.parse_line("gpt-5.4 costs 2")


# ----------------------------------------------------------------- live suites at -n 8
SUITE = """
import os
import pytest
from pytest_cua.testing import click, computer_call, turn, verdict

TURNS, DELAY = int(os.environ["TURNS"]), float(os.environ["DELAY"])

@pytest.mark.parametrize("number", range(16))
def test_live(page, cua_fake_server, cua_agent, number):
    cua_fake_server.limit(int(os.environ["RATE"]), 1.0, shared=os.environ["QUOTA_FILE"])
    page.set_content("<button onclick='this.textContent++'>0</button>")
    cua_fake_server.script(*[turn(computer_call(click(20, 15)), delay=DELAY)
                             for _ in range(TURNS - 1)], turn(verdict(True, "done"), delay=DELAY))
    cua_agent("Click the button")
    assert page.inner_text("button") == str(TURNS - 1)
"""
RATE, TURNS = 2, 4  # 2 starts a second: 120 per minute, as in the issue


def _live_suite(cua_pytester, monkeypatch, tmp_path, *args: str):
    quota_file = tmp_path / "provider-quota.json"
    monkeypatch.setenv("QUOTA_FILE", str(quota_file))
    monkeypatch.setenv("RATE", str(RATE))
    monkeypatch.setenv("TURNS", str(TURNS))
    monkeypatch.setenv("DELAY", "1.0")  # a 1 s model, as in the issue
    cua_pytester.makepyfile(test_live=SUITE)
    result = cua_pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "8", *args,
                                               timeout=HARD_TIMEOUT)
    return result, json.loads(quota_file.read_text())


@pytest.mark.alone
def test_a_suite_past_its_quota_finishes_with_no_error(cua_pytester, monkeypatch, tmp_path):
    result, provider = _live_suite(cua_pytester, monkeypatch, tmp_path)
    result.assert_outcomes(passed=16)
    turns = 16 * TURNS
    assert provider["served"] == turns
    assert 0 < provider["refused"] <= turns, provider  # at most one refusal per model turn
    result.stdout.fnmatch_lines(["*the model service refused * requests for its rate (429)*"])


@pytest.mark.alone
def test_a_declared_quota_is_never_refused(cua_pytester, monkeypatch, tmp_path):
    result, provider = _live_suite(cua_pytester, monkeypatch, tmp_path,
                                   f"--cua-requests-per-minute={RATE * 60}")
    result.assert_outcomes(passed=16)
    assert provider["served"] == 16 * TURNS
    assert provider.get("refused", 0) == 0, provider


# ----------------------------------------------------------------- faults and money
INNER = """
import os
import pytest
from pytest_cua.testing import click, computer_call, fault, turn, verdict

SPENT = {"error": {"message": "You exceeded your current quota, please check your plan and "
                   "billing details.", "type": "insufficient_quota", "param": None,
                   "code": "insufficient_quota"}}

def test_spent(cua_fake_server, page, cua_agent):
    cua_fake_server.script(fault(429, body=SPENT), turn(verdict(True, "never")))
    cua_agent("Do a thing")

def test_priced(cua_fake_server, page, cua_agent):
    page.set_content("<button>b</button>")
    cua_fake_server.script(turn(computer_call(click(5, 5)), input_tokens=10_000,
                                output_tokens=500),
                           turn(verdict(True, "ok"), input_tokens=12_000, output_tokens=100))
    cua_agent("Click it")
"""


def test_spent_quota_fails_fast_and_cost_is_exact(cua_pytester):
    cua_pytester.makepyfile(test_inner=INNER)
    result = cua_pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-rA", "--junitxml=junit.xml", timeout=HARD_TIMEOUT)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*CuaProviderError: the model service answered 429*You exceeded your current quota*"
        "not retried: check the plan, billing or quota of the key*"])
    expected = (22_000 * 2.50 + 600 * 15.00) / 1_000_000  # gpt-5.4, nothing cached
    cases = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")}
             for c in ET.parse(cua_pytester.path / "junit.xml").iter("testcase")}
    assert float(cases["test_priced[chromium]"]["cua_cost_usd"]) == pytest.approx(expected)
    result.stdout.fnmatch_lines([f"*output tokens, cost {pricing.dollars(expected)}*"])


def test_an_unknown_model_says_its_price_is_unknown(cua_pytester):
    cua_pytester.makepyfile(test_inner=INNER)
    result = cua_pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-k", "priced", "--cua-model=our-own-model",
        "--junitxml=junit.xml", timeout=HARD_TIMEOUT)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*22000 input / 600 output tokens, cost unknown (no price "
                                 "for the model; set one with --cua-price)*"])
    props = {p.get("name"): p.get("value")
             for p in ET.parse(cua_pytester.path / "junit.xml").iter("property")}
    assert props["cua_cost_usd"] == "unknown"
    priced = cua_pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-k", "priced", "--cua-model=our-own-model",
        "--cua-price=our-own-model=1,0.5,2", timeout=HARD_TIMEOUT)
    priced.stdout.fnmatch_lines([f"*cost {pricing.dollars((22_000 + 1_200) / 1e6)}*"])
    budget = cua_pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-k", "priced", "--cua-model=our-own-model",
        "--cua-max-cost=1", timeout=HARD_TIMEOUT)
    budget.assert_outcomes(errors=1)
    budget.stdout.fnmatch_lines(["*--cua-max-cost needs the price of model 'our-own-model'*"])


MONEY = """
import pytest
from pytest_cua.testing import click, computer_call, turn, verdict

@pytest.mark.parametrize("n", range(6))
def test_many(n, cua_fake_server, page, cua_agent):
    page.set_content("<button>b</button>")
    cua_fake_server.script(turn(computer_call(click(5, 5)), input_tokens=100_000,
                                output_tokens=0),
                           turn(verdict(True, "ok"), input_tokens=100_000, output_tokens=0))
    cua_agent("Click once")
"""


def test_the_money_budget_stops_a_run_across_workers(cua_pytester):
    # Each turn costs $0.25 (100k input tokens of gpt-5.4): a test costs $0.50. A turn may
    # start while less than $1.40 is spent: 6 turns (7 when both workers start one at
    # $1.25), so 2 or 3 tests finish, and every later request is stopped.
    cua_pytester.makepyfile(test_money=MONEY)
    result = cua_pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--cua-max-cost=1.40", timeout=HARD_TIMEOUT)
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") in (2, 3), outcomes
    assert outcomes.get("errors") == 6 - outcomes["passed"], outcomes
    result.stdout.fnmatch_lines(["*CuaBudgetExceeded: the session's money budget is spent: "
                                 "$1.* of $1.40 (--cua-max-cost) used by earlier model turns*"])
