"""Verified replay: a strict replay passes exactly when the app still behaves as recorded.

A third-party-like task app (TodoMVC's shape: a form, a list with checkboxes, filters, a
footer, an About link) is recorded against the scripted model, then replayed with no model
and no credentials against variants of it: some changed the way users would notice (a
handler that breaks while the markup stays, a style-only change, a link that does nothing,
an effect that never arrives), some unchanged but alive (a layout shift, a clock and a
rotating tip, a greeting random per load, a backend slower than a replay). Each variant's
replay must be called right: fail naming the step and what differs, or pass, every time.
The same holds for the app inside a web component's shadow root and inside a frame from
another origin.
"""

from __future__ import annotations

import json

import pytest
import yaml

import replaying

APP = r"""<!doctype html><html><head><meta charset="utf-8"><title>Tasks</title>
<style>body{margin:0;font:16px sans-serif}</style></head><body>
<div id="host"></div>
<script>
const CFG = %(cfg)s;
const MARKUP = `<style>
  header {display:flex; gap:16px; align-items:baseline; padding:4px 16px; background:#2d6a4f;
          color:#fff}
  h1 {margin:0; font-size:22px}
  nav button {border:1px solid #ccc; background:#fff; color:#333; padding:4px 10px}
  nav button.selected {background:#2d6a4f; color:#fff}
  form {margin:10px 16px} #title {width:260px; font-size:16px}
  ul {list-style:none; margin:0 16px; padding:0} li {padding:4px 0}
  li.done label {text-decoration:line-through; color:#999}
  footer {margin:10px 16px}
  ${CFG.css || ''}
</style>
<header><h1>Tasks</h1><span id="greeting" ${CFG.markGreeting ? 'data-cua-volatile' : ''}></span>
  <span id="clock"></span><span id="synced"></span></header>
<p id="due" style="margin:6px 16px"></p>
<p id="tip" style="margin:6px 16px"></p>
<nav style="margin:0 16px"><button class="selected" type="button">All</button>
  <button type="button">Open</button></nav>
<form id="new"><input id="title" aria-label="New task" placeholder="What needs doing?"></form>
<ul id="list"></ul>
<footer><span id="count">0 tasks left</span> &middot; <a id="about" href="#about">About</a>
</footer>
<section id="aboutpage" hidden style="margin:0 16px"><h2>About Tasks</h2></section>`;
const host = document.getElementById('host');
const root = CFG.shadow ? host.attachShadow({mode: 'open'}) : host;
root.innerHTML = MARKUP;
const $ = sel => root.querySelector(sel);
const count = () => { const left = root.querySelectorAll('li:not(.done)').length;
  $('#count').textContent = CFG.renamed ? left + ' to do'
    : left + (left === 1 ? ' task left' : ' tasks left');
  if (CFG.countWithTasks) $('#count').style.visibility = root.querySelector('li') ? ''
    : 'hidden'; };
count();
$('#new').addEventListener('submit', e => {
  e.preventDefault();
  const title = $('#title').value.trim();
  if (!title) return;
  if (CFG.addBreaks) throw new Error('add handler broke');
  $('#title').value = '';
  const render = () => {
    const li = document.createElement('li');
    li.innerHTML = '<input type="checkbox" aria-label="done"> <label></label>';
    li.querySelector('label').textContent = title;
    li.querySelector('input').addEventListener('change', e => {
      if (!CFG.doneBreaks) li.classList.toggle('done', e.target.checked);
      count();
    });
    $('#list').append(li);
    count();
  };
  if (CFG.addNever) return;
  if (CFG.addDelay) setTimeout(render, CFG.addDelay); else render();
});
$('#about').addEventListener('click', e => {
  e.preventDefault();
  if (CFG.aboutBreaks) return;
  $('#aboutpage').hidden = false;
  history.pushState({}, '', '#about');
});
if (CFG.greeting) $('#greeting').textContent = 'Hello, ' + CFG.greeting;
if (CFG.due) $('#due').textContent = 'Due ' + CFG.due;
if (CFG.synced) {  // different on every load: when, in three forms, and how long ago
  const minutes = 2 + Math.floor(Math.random() * 50), days = Math.floor(Math.random() * 20);
  const at = new Date(Date.now() - days * 86400000 - minutes * 60000);
  $('#synced').textContent = 'Last synced ' + at.toLocaleString('en-US', {dateStyle: 'medium',
    timeStyle: 'short'}) + ' (' + at.toISOString().slice(0, 19) + 'Z) · updated '
    + minutes + ' minutes ago';
}
if (CFG.alive) {
  const tips = ['Tip: press Enter to add', 'Tip: tick a task when done', 'Tip: All shows all'];
  let tick = 0;
  const beat = () => { $('#clock').textContent = new Date().toLocaleTimeString();
    $('#tip').textContent = tips[tick++ %% tips.length]; };
  beat();
  setInterval(beat, 700);
}
</script></body></html>"""

# The frame's origin is localhost, the portal's 127.0.0.1: another site, its own process.
PORTAL = """<!doctype html><html><head><meta charset="utf-8"><title>Portal</title></head>
<body style="margin:0;font:16px sans-serif"><p style="margin:8px">Partner portal</p>
<iframe id="f" title="Tasks app" style="width:900px;height:560px;border:1px solid #999">
</iframe><script>
document.getElementById('f').src = 'http://localhost:' + location.port + '/app.html';
</script></body></html>"""

# The app server of every replay test; the task app is reached in the top page, a shadow
# root or a frame from another origin.
CONFTEST = replaying.SERVER_CONFTEST + r'''
@pytest.fixture
def app(server, page):
    """The app's URL and where its controls are (the top page, a shadow root, a frame
    from another origin: localhost inside 127.0.0.1)."""
    where = os.environ["WHERE"]
    if where == "frame":
        page.goto(f"http://127.0.0.1:{server}/portal.html")
        frame = page.frame_locator("iframe")
        frame.locator("#title").wait_for()
        return frame
    page.goto(f"http://127.0.0.1:{server}/app.html")
    return page
'''

HELPERS = replaying.HELPERS + r'''
def spots(app):
    """Where the input is, and where the first task's checkbox and the About link will be
    once a task is listed (a task put in and taken out again, before any step)."""
    title = centre(app, "#title")
    app.locator("#list").evaluate("ul => ul.insertAdjacentHTML('beforeend', "
                                  "'<li><input type=checkbox> <label>x</label></li>')")
    tick, about = centre(app, "li input"), centre(app, "#about")
    app.locator("#list").evaluate("ul => ul.replaceChildren()")
    return title, tick, about
'''

TESTS = HELPERS + r'''
def test_tasks(model, page, cua_agent, app):
    if model is not None and os.environ.get("HEAL"):
        model.script(turn(verdict(True, "ticked")), turn(verdict(True, "underlined now")))
    elif model is not None:
        model.delay = float(os.environ.get("MODEL_DELAY", "0"))
        title, tick, about = spots(app)
        model.script(
            turn(verdict(True, "All is highlighted")),
            turn(computer_call(click(*title))), turn(computer_call(type_text("buy milk"))),
            turn(computer_call(keypress("ENTER"))), turn(verdict(True, "buy milk is listed")),
            turn(computer_call(click(*tick))), turn(verdict(True, "ticked")),
            turn(verdict(True, "buy milk is struck through")),
            turn(computer_call(click(*about))), turn(verdict(True, "the About page shows")))
    cua_agent.check("The 'All' filter is shown as selected")
    cua_agent("Add a task 'buy milk'")
    cua_agent("Mark 'buy milk' as done")
    cua_agent.check("'buy milk' is shown struck through")
    cua_agent("Open the About page")
'''

# The scripted model acts on the slow app as a model that takes seconds a turn would: by
# its next turn the late task is there, so it ticks it within the same step.
SLOW_TESTS = HELPERS + r'''
def test_tasks(model, page, cua_agent, app):
    if model is not None:
        model.delay = float(os.environ.get("MODEL_DELAY", "0"))
        title, tick, _ = spots(app)
        model.script(
            turn(computer_call(click(*title))), turn(computer_call(type_text("buy milk"))),
            turn(computer_call(keypress("ENTER"))), turn(computer_call(click(*tick))),
            turn(verdict(True, "buy milk is added and ticked")))
    cua_agent("Add a task 'buy milk' and tick it")
'''


@pytest.fixture
def tasks(cua_pytester, monkeypatch):
    cua_pytester.mp = monkeypatch
    cua_pytester.makeconftest((cua_pytester.path / "conftest.py").read_text() + CONFTEST)
    cua_pytester.makepyfile(test_tasks=TESTS)
    return cua_pytester


def write_app(pytester: pytest.Pytester, where: str, **cfg: object) -> None:
    """The app as the next run sees it: `cfg` is its variant (see APP)."""
    pytester.mp.setenv("WHERE", where)
    config = {"shadow": where == "shadow", **cfg}
    (pytester.path / "app.html").write_text(APP % {"cfg": json.dumps(config)})
    (pytester.path / "portal.html").write_text(PORTAL)


def run(pytester: pytest.Pytester, mode: str, *args: str, delay: float = 0.0,
        scripted: bool = False):
    """An inner run; `record` is scripted (the model answering in `delay` s a turn), other
    modes have no model server and no credentials unless `scripted`."""
    pytester.mp.setenv("SCRIPTED", "1" if mode == "record" or scripted else "0")
    pytester.mp.setenv("MODEL_DELAY", str(delay))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--cua-cache={mode}",
                                         "--cua-replay-timeout=3", *args)


def cassette_text(pytester: pytest.Pytester) -> str:
    return (pytester.path / "cua_cassettes/test_tasks/test_tasks[chromium].yaml").read_text()


def cassette(pytester: pytest.Pytester) -> dict:
    return yaml.safe_load(cassette_text(pytester))


def failure_of(result: pytest.RunResult) -> str:
    out = result.stdout.str()
    return out[out.find("CuaReplayMismatch"):] if "CuaReplayMismatch" in out else out


ADD, TICK = "Add a task 'buy milk'", "Mark 'buy milk' as done"
FILTER, ABOUT = "The 'All' filter is shown as selected", "Open the About page"
MISSING = ('"buy milk"', "{where} did not appear")
CHANGED = {  # variant: (its config, the step that must fail, what its reason says first)
    "add handler breaks": ({"addBreaks": True}, (2, ADD), MISSING),
    "tick handler breaks": ({"doneBreaks": True}, (3, TICK),
                            ('"buy milk"{where} did not change its look (when recorded, it '
                             "became struck",)),
    "done items lose their strike-through (CSS only)": (
        {"css": "li.done label {text-decoration:none}"}, (3, TICK),
        ('"buy milk"{where} looks different: no longer struck',)),
    "the selected filter is no longer highlighted (CSS only)": (
        {"css": "nav button.selected {background:#fff; color:#333}"}, (1, FILTER),
        ('"All"{where} looks different: color rgb(51, 51, 51) (recorded: rgb(255, 255, 255)); '
         "no longer background rgb(45, 106, 79)",)),
    "the footer is hidden (CSS only)": (
        {"css": "#count {visibility:hidden}"}, (1, FILTER), ('"0 tasks left" is no longer shown',)),
    "the About link does nothing (last step)": (
        {"aboutBreaks": True}, (5, ABOUT),
        ("the address is still /app.html (when recorded, it became /app.html#about)",)),
    "the new task never arrives": ({"addNever": True}, (2, ADD), MISSING),
}
UNCHANGED = {  # variants of the same app that a person would call unchanged
    "as recorded": {},
    "layout shift": {"css": "header {padding:30px 60px} nav, form, ul, footer "
                            "{margin-left:140px} #title {width:200px}"},
    "a backend slower than the replay": {"addDelay": 1200},
    "a colour one step off (#9a9a9a for #999)": {"css": "li.done label {color:#9a9a9a}"},
}
TOP_ONLY = ("the footer is hidden (CSS only)", "the About link does nothing (last step)")


@pytest.mark.parametrize("where", ["top", "shadow", "frame"])
def test_strict_replay_calls_each_variant_right(tasks, where):
    write_app(tasks, where)
    run(tasks, "record").assert_outcomes(passed=1)
    recorded = cassette(tasks)
    add, tick = recorded["steps"][1]["change"], recorded["steps"][2]["change"]
    prefix = '[frame "Tasks app" (/app.html)] ' if where == "frame" else ""
    assert prefix + "buy milk" + (" {in <div>}" if where == "shadow" else "") in add["appeared"]
    assert any(line.startswith(f"{prefix}buy milk {{struck") for line in tick["appeared"])
    called_right = {}
    inside = ' in frame "Tasks app" (/app.html)' if where == "frame" else ""
    for name, (cfg, (number, instruction), said) in CHANGED.items():
        if where != "top" and name in TOP_ONLY:
            continue  # the look of a hidden footer and the address: the top page is enough
        write_app(tasks, where, **cfg)
        result = run(tasks, "replay")
        failure = failure_of(result)
        called_right[name] = result.parseoutcomes() == {"failed": 1}
        assert (f"CuaReplayMismatch: CUA replay: step {number} {instruction!r} no longer "
                "matches") in failure, (name, failure)
        assert all(part.format(where=inside) in failure for part in said), (name, failure)
    for name, cfg in UNCHANGED.items():
        write_app(tasks, where, **cfg)
        result = run(tasks, "replay")
        called_right[name] = result.parseoutcomes() == {"passed": 1}
        assert called_right[name], (name, failure_of(result))
    assert all(called_right.values()), called_right


def test_content_faded_out_to_nothing_is_a_change(tasks):
    write_app(tasks, "top")
    run(tasks, "record").assert_outcomes(passed=1)
    write_app(tasks, "top", css="footer {opacity:0}")  # its text is there, nobody sees it
    result = run(tasks, "replay")
    result.assert_outcomes(failed=1)
    assert '"0 tasks left", "·" and "About" are no longer shown' in failure_of(result)


def test_a_mismatch_shows_the_page_the_replay_found(tasks):
    write_app(tasks, "top")
    run(tasks, "record").assert_outcomes(passed=1)
    write_app(tasks, "top", addBreaks=True)
    result = run(tasks, "replay", "--cua-trail-dir=trails")
    result.assert_outcomes(failed=1)
    link = next(line.split("standalone CUA trail: ")[1] for line in result.outlines
                if "standalone CUA trail:" in line)
    assert link.endswith("#step-2-turn-4")  # the picture after the three replayed turns
    trail = (tasks.path / "trails/test_tasks.py-test_tasks-chromium.html").read_text()
    data = json.loads(trail.split('id="cua-trail">', 1)[1].split("</script>", 1)[0])
    step = data["steps"][1]
    assert step["source"] == "replay mismatch" and "buy milk" in step["reason"]
    last = step["turns"][-1]
    assert last["image"].startswith("data:image/webp;base64,") and last["replayed"]
    assert last["reasoning"] == ['the page when the replay stopped: pressing ENTER in textbox '
                                 '"New task" did not make the change it made when recorded '
                                 '(waited 3 s): "buy milk" and checkbox "done" (not checked) '
                                 "did not appear"]


def test_a_live_page_passes_strict_replay_every_time(tasks):
    """A clock and a rotating tip, recorded with a model as slow as a real one: seen
    changing by themselves, recorded as volatile, left out; five replays in a row pass."""
    write_app(tasks, "top", alive=True)
    run(tasks, "record", delay=0.5).assert_outcomes(passed=1)
    recorded = cassette(tasks)
    assert {v["selector"] for v in recorded["volatile"]} == {"#clock", "#tip"}
    assert all(v["changes"] >= 3 for v in recorded["volatile"])
    text = cassette_text(tasks)
    assert "Tip:" not in text  # left out of every step, also those read before it was known
    for _ in range(5):
        run(tasks, "replay").assert_outcomes(passed=1)
    write_app(tasks, "top", alive=True, addBreaks=True)  # alive, and broken: still caught
    result = run(tasks, "replay")
    result.assert_outcomes(failed=1)
    assert all(part.format(where="") in failure_of(result) for part in MISSING)


def test_content_that_differs_per_load_passes_once_marked(tasks):
    """A greeting that differs per page load and then stays still cannot be seen changing:
    unmarked it fails the replay (to the replay it is a change); marked, by a setting or
    by an attribute in the app, it is left out, and the cassette says so."""
    write_app(tasks, "top", greeting="Ada")
    run(tasks, "record").assert_outcomes(passed=1)
    write_app(tasks, "top", greeting="Grace")  # the next load greets someone else
    result = run(tasks, "replay")
    result.assert_outcomes(failed=1)
    assert '"Hello, Grace" is shown where the recording had "Hello, Ada"' in failure_of(result)

    write_app(tasks, "top", greeting="Ada")
    run(tasks, "record", "--cua-volatile=#greeting").assert_outcomes(passed=1)
    assert cassette(tasks)["volatile"] == [{"selector": "#greeting", "marked": True}]
    assert "Hello" not in cassette_text(tasks)
    for name in ("Linus", "Alan"):  # the cassette remembers the mark: no setting needed
        write_app(tasks, "top", greeting=name)
        run(tasks, "replay").assert_outcomes(passed=1)

    write_app(tasks, "top", greeting="Ada", markGreeting=True)  # data-cua-volatile
    run(tasks, "record").assert_outcomes(passed=1)
    assert "Hello" not in cassette_text(tasks)
    for name in ("Grace", "Linus"):
        write_app(tasks, "top", greeting=name, markGreeting=True)
        run(tasks, "replay").assert_outcomes(passed=1)


def test_a_bad_volatile_selector_is_a_clear_error(tasks):
    write_app(tasks, "top")
    run(tasks, "record").assert_outcomes(passed=1)
    result = run(tasks, "replay", "--cua-volatile=#clock[")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CuaConfigError: these volatile selectors are not CSS "
                                 "selectors the browser accepts: '#clock['*"])


def test_an_effect_later_than_the_next_action_is_waited_for(tasks):
    """Recorded on a slow app with a model taking two seconds a turn; replayed in
    milliseconds, the next action's element is not there yet: it is waited for."""
    tasks.makepyfile(test_tasks=SLOW_TESTS)
    write_app(tasks, "top", addDelay=1500)
    run(tasks, "record", delay=2.0).assert_outcomes(passed=1)
    tick = cassette(tasks)["steps"][0]["turns"][3]["actions"][0]["target"]
    assert (tick["role"], tick["name"]) == ("checkbox", "done")  # the late task was there
    for _ in range(2):
        run(tasks, "replay").assert_outcomes(passed=1)
    write_app(tasks, "top", addNever=True)
    result = run(tasks, "replay")
    result.assert_outcomes(failed=1)
    failure = failure_of(result)
    assert ('clicking checkbox "done" failed: there is no checkbox "done" on the page (waited '
            "3 s)") in failure, failure


def test_auto_heals_only_the_changed_steps(tasks):
    write_app(tasks, "top")
    run(tasks, "record").assert_outcomes(passed=1)
    before = cassette(tasks)
    write_app(tasks, "top", css="li.done label {text-decoration:underline}")  # a new look
    tasks.mp.setenv("HEAL", "1")
    result = run(tasks, "auto", "-v", scripted=True)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        '*cua act #3 healed through the model: clicking checkbox "done" did not make the change '
        "it made when recorded*",
        "*cassettes: 3 steps replayed (cache hits), 0 asked the model (misses), 2 healed "
        "after a mismatch (2 model turns)*"])
    after = cassette(tasks)
    kept = [0, 1, 4]  # the filter check, adding, opening About: replayed, kept as they were
    assert [after["steps"][i] for i in kept] == [before["steps"][i] for i in kept]
    assert any("underlined" in line for line in after["steps"][2]["change"]["appeared"])
    assert after["steps"][3]["finish"]["reason"] == "underlined now"
    tasks.mp.delenv("HEAL")
    run(tasks, "replay").assert_outcomes(passed=1)


# The same flow; the healing model judges the page it is given (each step it is handed is
# done), and the test checks the app is as a live run leaves it: one task, done.
HEAL_TESTS = TESTS.replace(
    'model.script(turn(verdict(True, "ticked")), turn(verdict(True, "underlined now")))',
    'model.script(*[turn(verdict(True, "done, as the page shows")) for _ in range(3)])'
) + r'''
    assert app.locator("li").count() == 1 and app.locator("li.done").count() == 1
    if model is not None and os.environ.get("HEAL"):
        import json
        with open("asked.json", "w") as out:
            json.dump([r.body for r in model.requests], out)
'''


def test_a_heal_never_repeats_what_the_replay_did(tasks):
    """The count is renamed ("1 task left" -> "1 to do") and shows first when the first
    task is added: that step's actions all find their targets, only its outcome differs.
    The model is handed the page as the replay left it, told what was done, and judges:
    nothing is added twice, and later steps replay or heal the same way."""
    tasks.makepyfile(test_tasks=HEAL_TESTS)
    write_app(tasks, "top", countWithTasks=True)
    run(tasks, "record").assert_outcomes(passed=1)
    before = cassette(tasks)
    write_app(tasks, "top", countWithTasks=True, renamed=True)
    tasks.mp.setenv("HEAL", "1")
    result = run(tasks, "auto", "-v", scripted=True)
    result.assert_outcomes(passed=1)  # and the inner test's own asserts: one task, done
    result.stdout.fnmatch_lines([
        "*cua act #2 healed through the model: * did not make the change it made when "
        "recorded*",
        "*cassettes: 2 steps replayed (cache hits), 0 asked the model (misses), 3 healed "
        "after a mismatch (3 model turns)*"])
    asked = json.loads((tasks.path / "asked.json").read_text())
    told = asked[0]["input"][0]["content"][0]["text"]  # the first heal: adding the task
    assert "Part of this step was already carried out" in told, told
    assert "2. type 'buy milk'; 3. keypress ENTER" in told, told
    assert "Do not repeat these actions" in told, told
    after = cassette(tasks)
    kept = [0, 4]  # the filter check and opening About replayed: kept byte for byte
    assert [after["steps"][i] for i in kept] == [before["steps"][i] for i in kept]
    healed = after["steps"][1]
    assert [a["action"]["type"] for t in healed["turns"] for a in t["actions"]] == [
        "click", "type", "keypress"]  # the replayed actions, once, and none of the model's
    assert "1 to do" in healed["change"]["appeared"]
    tasks.mp.delenv("HEAL")
    for _ in range(2):
        run(tasks, "replay").assert_outcomes(passed=1)


def test_a_heal_that_fails_is_no_heal(tasks):
    """The model, asked to heal, cannot: the step fails as a mismatch, the terminal counts
    no heal, and the failure keeps the mismatch that caused it."""
    tasks.makepyfile(test_tasks=HEAL_TESTS.replace(
        'turn(verdict(True, "done, as the page shows"))',
        'turn(verdict(False, "no task was added"))'))
    write_app(tasks, "top")
    run(tasks, "record").assert_outcomes(passed=1)
    write_app(tasks, "top", addBreaks=True)
    tasks.mp.setenv("HEAL", "1")
    result = run(tasks, "auto", scripted=True)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "0 healed after a mismatch" in out, out
    assert "the model was asked because the replay no longer matched" in out, out
    assert '"buy milk" and checkbox "done" (not checked) did not appear' in out, out


DATES_TESTS = HELPERS + r'''
def test_tasks(model, page, cua_agent, app):
    if model is not None:
        model.delay = float(os.environ.get("MODEL_DELAY", "0"))
        title, _, _ = spots(app)
        model.script(
            turn(verdict(True, "the header says when")),
            turn(computer_call(click(*title))), turn(computer_call(type_text("buy milk"))),
            turn(computer_call(keypress("ENTER"))), turn(verdict(True, "added")),
            turn(verdict(True, "due on Dec 24, 2026")))
    cua_agent.check("The header says when the list was last synced")
    cua_agent("Add a task 'buy milk'")
    cua_agent.check("The list is due on Dec 24, 2026")
'''


def test_dates_and_times_are_dynamic_unless_the_step_names_them(tasks):
    """A sync time, its ISO stamp and "N minutes ago", different on every load, a clock
    ticking through a recording by a model that answers at once: no marks, five replays
    pass. A date the step's own words name is compared by value."""
    tasks.makepyfile(test_tasks=DATES_TESTS)
    write_app(tasks, "top", synced=True, alive=True, due="Dec 24, 2026")
    run(tasks, "record").assert_outcomes(passed=1)
    assert "volatile" not in cassette(tasks)  # nothing marked, nothing seen ticking 3 times
    for _ in range(5):
        result = run(tasks, "replay")
        assert result.parseoutcomes() == {"passed": 1}, failure_of(result)
    write_app(tasks, "top", synced=True, alive=True, due="Dec 25, 2026")
    result = run(tasks, "replay")
    result.assert_outcomes(failed=1)
    assert '"Due Dec 25, 2026" is shown where the recording had "Due Dec 24, 2026"' in failure_of(
        result)
    write_app(tasks, "top", synced=True, alive=True, due="Dec 24, 2026")
    result = run(tasks, "replay", "--cua-replay-dates=exact")  # off: dates are values
    result.assert_outcomes(failed=1)
    assert "Last synced" in failure_of(result)


@pytest.mark.parametrize("where", ["top", "shadow", "frame"])
def test_volatile_entries_round_trip_everywhere(tasks, where):
    """What a recording finds changing by itself, in the top page, in a shadow root or in
    a frame from another origin, is written in a form its own replay accepts and resolves;
    the replay passes, and a broken add is still caught."""
    write_app(tasks, where, alive=True)
    run(tasks, "record", delay=0.5).assert_outcomes(passed=1)
    selectors = [v["selector"] for v in cassette(tasks)["volatile"]]
    assert len(selectors) == 2, selectors
    if where == "shadow":
        assert all(" >>> " in s for s in selectors), selectors
    for _ in range(2):
        result = run(tasks, "replay")
        assert result.parseoutcomes() == {"passed": 1}, failure_of(result)
    write_app(tasks, where, alive=True, addBreaks=True)
    result = run(tasks, "replay")
    result.assert_outcomes(failed=1)
    assert "step 2" in failure_of(result)


def test_a_colour_mid_transition_in_a_shadow_root_is_read_settled(tasks):
    """A done task fades to grey over 2 s inside a shadow root; recorded by a model that
    answers at once, the look is read at its end, as a screenshot shows it."""
    slow = "li label {transition: color 2s, text-decoration-color 2s}"
    write_app(tasks, "shadow", css=slow)
    run(tasks, "record").assert_outcomes(passed=1)
    ticked = cassette(tasks)["steps"][2]["change"]["appeared"]
    assert any(line.startswith("buy milk {struck; color rgb(153, 153, 153)") for line in ticked), \
        ticked
    for _ in range(3):
        result = run(tasks, "replay")
        assert result.parseoutcomes() == {"passed": 1}, failure_of(result)
