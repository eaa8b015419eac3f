"""One suite as two shards (pytest-split), then one result: JUnit, Allure and trail index.

The shards run one after the other here, as two CI machines would run them side by side:
each with its own JUnit file, Allure folder, trail folder and turn budget. Recorded live,
then replayed read-only (`--cua-cache=replay` never writes). `python -m pytest_cua.merge`
puts the live run's artifacts together; every test must be in the merged files exactly
once, with its `cua_*` properties, and the totals must be the shards' sums.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from inner import SCRIPTED_MODEL_FIXTURE
from pytest_cua import merge

CLICKS = {"one": 1, "two": 2, "three": 3, "four": 4}  # turns = clicks + the verdict
TOTAL_TURNS = sum(n + 1 for n in CLICKS.values())  # 14
BUDGET = 10  # per shard: each shard fits, the whole suite (14 turns) would not

TESTS = '''
import os
import pytest
from pytest_cua.testing import click, computer_call, turn, verdict

CLICKS = CLICKS_JSON

@pytest.mark.parametrize("name", list(CLICKS))
def test_clicks(model, page, cua_agent, name):
    page.goto(os.environ["SITE"] + "/events.html")
    if model is not None:
        model.script(*[turn(computer_call(click(50 + 40 * n, 100))) for n in range(CLICKS[name])],
                     turn(verdict(True, "clicked")))
    cua_agent(f"Click the pad {CLICKS[name]} times")
    assert page.evaluate("events.filter(e => e.type === 'click').length") == CLICKS[name]
'''.replace("CLICKS_JSON", repr(CLICKS))


@pytest.fixture
def suite(cua_pytester, monkeypatch):
    cua_pytester.makeconftest((cua_pytester.path / "conftest.py").read_text()
                              + SCRIPTED_MODEL_FIXTURE)
    cua_pytester.makepyfile(test_shop=TESTS)
    return cua_pytester


def run_shard(pytester, monkeypatch, group: int, folder: str, cache: str):
    monkeypatch.setenv("SCRIPTED", "1" if cache == "record" else "0")
    workers = ["-n", "2"] if group == 2 else []  # a shard may use xdist: one index still
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--splits", "2", "--group", str(group), *workers,
        f"--cua-cache={cache}", f"--cua-max-turns-total={BUDGET}",
        f"--junitxml={folder}/junit.xml", f"--alluredir={folder}/allure",
        f"--cua-trail-dir={folder}/trails", timeout=240)
    result.assert_outcomes(passed=2)
    return result


def run_merge(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest_cua.merge", *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_two_shards_merge_into_one_result(suite, monkeypatch):
    path = suite.path
    for group in (1, 2):
        run_shard(suite, monkeypatch, group, f"live{group}", "record")
    cassettes = {p: p.read_bytes() for p in (path / "cua_cassettes").rglob("*.yaml")}
    assert len(cassettes) == 4
    for group in (1, 2):  # CI: cassettes read-only, no model, no credentials
        run_shard(suite, monkeypatch, group, f"replay{group}", "replay")
    assert {p: p.read_bytes() for p in (path / "cua_cassettes").rglob("*.yaml")} == cassettes

    # JUnit: one file, every test once, its properties kept, totals summed.
    junit = run_merge("junit", "-o", path / "merged.xml", path / "live1/junit.xml",
                      path / "live2/junit.xml")
    assert junit.returncode == 0, junit.stderr
    assert (f"{TOTAL_TURNS} model turns, 0 replayed turns, {TOTAL_TURNS * 1000} input"
            in junit.stdout)
    cases = list(ET.parse(path / "merged.xml").iter("testcase"))
    names = sorted(case.get("name") for case in cases)
    assert names == sorted(f"test_clicks[chromium-{name}]" for name in CLICKS)
    for case in cases:
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        clicks = CLICKS[case.get("name")[len("test_clicks[chromium-"):-1]]
        assert props["cua_turns"] == str(clicks + 1)
        assert props["cua_input_tokens"] == str((clicks + 1) * 1000)
        assert props["cua_steps"] == "1" and props["cua_model"]
        assert props["cua_trail"].startswith("file://")

    # Allure: a copy of both folders, each test's result once, attachments along.
    allure = run_merge("allure", "-o", path / "allure", path / "live1/allure",
                       path / "live2/allure")
    assert allure.returncode == 0, allure.stderr
    results = [json.loads(p.read_text()) for p in (path / "allure").glob("*-result.json")]
    assert sorted(r["name"] for r in results) == names
    for result in results:  # each test links to its trail, as JUnit does
        assert [link["name"] for link in result["links"]] == ["CUA trail"]
        assert result["links"][0]["url"].startswith("file://")
    attachments = [a["source"] for r in results for s in r["steps"] for a in s.get("attachments",
                                                                                   [])]
    attachments += [a["source"] for r in results for s in r["steps"]
                    for sub in s.get("steps", []) for a in sub.get("attachments", [])]
    assert attachments and all((path / "allure" / name).is_file() for name in attachments)

    # Trails: each shard indexed its own run; the merge indexes both, with summed totals.
    for group in (1, 2):
        shard = json.loads((path / f"live{group}/trails/index.json").read_text())
        assert len(shard["trails"]) == 2 and shard["totals"]["model_turns"] <= BUDGET
    trails = run_merge("trails", "-o", path / "trails", path / "live1/trails",
                       path / "live2/trails")
    assert trails.returncode == 0, trails.stderr
    index = json.loads((path / "trails/index.json").read_text())
    assert sorted(r["test"].split("::")[-1] for r in index["trails"]) == names
    assert index["totals"] == {"tests": 4, "steps": 4, "model_turns": TOTAL_TURNS,
                               "replayed_turns": 0,
                               "input_tokens": TOTAL_TURNS * 1000,
                               "output_tokens": TOTAL_TURNS * 50, "cached_tokens": 0,
                               "cost_usd": round(TOTAL_TURNS * (1000 * 2.50 + 50 * 15.00)
                                                 / 1e6, 6), "cost_unknown": 0}
    page = (path / "trails/index.html").read_text()
    for row in index["trails"]:
        assert row["outcome"] == "passed"
        assert (path / "trails" / row["trail"]).is_file()
        assert f'href="{row["trail"]}"' in page


def test_overlapping_shards_and_wrong_inputs_are_clear_errors(tmp_path, capsys):
    xml = tmp_path / "a.xml"
    xml.write_text('<testsuites><testsuite name="pytest" tests="1"><testcase classname="t" '
                   'name="test_x" time="0.1"/></testsuite></testsuites>')
    assert merge.main(["junit", "-o", str(tmp_path / "m.xml"), str(xml), str(xml)]) == 2
    assert "t.test_x is in both" in capsys.readouterr().err
    (tmp_path / "bad.xml").write_text("not xml")
    assert merge.main(["junit", "-o", str(tmp_path / "m.xml"), str(tmp_path / "bad.xml")]) == 2
    assert "bad.xml: not a JUnit XML file" in capsys.readouterr().err
    (tmp_path / "trails").mkdir()
    assert merge.main(["trails", "-o", str(tmp_path / "out"), str(tmp_path / "trails")]) == 2
    assert "--cua-trail-dir" in capsys.readouterr().err
    one, two = tmp_path / "s1", tmp_path / "s2"
    for folder, text in ((one, "a"), (two, "b")):
        folder.mkdir()
        (folder / "x-result.json").write_text(text)
    assert merge.main(["allure", "-o", str(tmp_path / "all"), str(one), str(two)]) == 2
    assert "same name and different content" in capsys.readouterr().err
