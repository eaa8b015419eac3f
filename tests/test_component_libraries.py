"""Strict replay on apps built from real component libraries, installed from npm.

Each app is recorded once against the scripted model answering at once (the hardest
recording: a clock or a toast's timer is seen changing fewer than three times), then
replayed with no model and no credentials against variants of it:
- unchanged, 3 replays, all pass: the clock ticks, tips rotate, the dates differ per load,
  toasts count down in their shadow roots, colours transition;
- unchanged but alive, 3 replays, all pass: a backend slower than the replay behind a
  spinner;
- broken with the same markup (a handler that does nothing, a save the backend drops, a
  switch that snaps back, a look changed by CSS): each fails, naming the step.

The libraries are the ones users install (tests/apps/package.json): Shoelace's web
components, Bootstrap 5's modal, toasts and validation states, and Swagger UI's single-page
app.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_cua._replay import likeness
from replaying import (
    cassette,
    cassette_file,
    failure_of,
    mismatch_step,
    prepare,
    replays_right,
    run,
    write_app,
)

APPS = Path(__file__).parent / "apps"
SHOELACE, BOOTSTRAP, SWAGGER = ((APPS / f"{name}.html").read_text()
                                for name in ("shoelace", "bootstrap", "swagger"))

SHOELACE_TESTS = r'''
def test_app(model, page, cua_agent, app):
    if scripted(model) is not None:
        title, add = centre(app, "#title input"), centre(app, "#add")
        app.evaluate("document.querySelector('#list').insertAdjacentHTML('beforeend', "
                     "'<sl-checkbox id=probe>x</sl-checkbox>')")
        app.wait_for_function("document.querySelector('#probe').shadowRoot")
        tick = centre(app, "#probe .checkbox__control")
        app.evaluate("document.querySelector('#probe').remove()")
        settings = centre(app, "sl-tab[panel=settings]")
        app.evaluate("document.querySelector('#tabs').show('settings')")
        notify, dark = centre(app, "#notify"), centre(app, "#dark .track")
        save = centre(app, "#save")
        app.evaluate("document.querySelector('#tabs').show('tasks')")
        model.script(
            turn(computer_call(click(*title))), turn(computer_call(type_text("buy milk"))),
            turn(computer_call(click(*add))), turn(verdict(True, "buy milk is listed")),
            turn(computer_call(click(*tick))), turn(verdict(True, "ticked")),
            turn(verdict(True, "the box is ticked")),
            turn(computer_call(click(*settings))), turn(verdict(True, "settings show")),
            turn(computer_call(click(*notify))), turn(verdict(True, "switched on")),
            turn(computer_call(click(*dark))), turn(verdict(True, "dark mode on")),
            turn(computer_call(click(*save))), turn(verdict(True, "saved")),
            turn(verdict(True, "a toast says so")))
    cua_agent("Add a task 'buy milk'")
    cua_agent("Tick 'buy milk' as done")
    cua_agent.check("'buy milk' is ticked")
    cua_agent("Open the Settings tab")
    cua_agent("Turn on email notifications")
    cua_agent("Turn on dark mode")
    cua_agent("Save the settings")
    cua_agent.check("A message says the settings were saved")
'''

ADD, TICK, SWITCH, TOGGLE, SAVE = 1, 2, 5, 6, 7
SHOELACE_BROKEN = {  # variant: (its settings, the step that must fail)
    "the add handler does nothing": ({"cfg": {"addBreaks": True}}, ADD),
    "the checked look is gone (CSS only)": (
        {"cfg": {"css": "sl-checkbox::part(control--checked) {background: #fff; "
                        "border-color: #ccc; color: #fff}"}}, TICK),
    "the switch snaps back": ({"cfg": {"switchSnapsBack": True}}, SWITCH),
    "the custom ARIA switch snaps back": ({"cfg": {"toggleSnapsBack": True}}, TOGGLE),
    "the backend drops the save": ({"backend_drops": True}, SAVE),
}


@pytest.fixture
def shoelace(cua_pytester, monkeypatch, component_libraries):
    return prepare(cua_pytester, monkeypatch, SHOELACE_TESTS, component_libraries)



def test_shoelace_app_replays_right(shoelace):
    write_app(shoelace, SHOELACE)
    run(shoelace, "record").assert_outcomes(passed=1)
    text = cassette_file(shoelace).read_text()
    # unchanged: the clock, the tips, the dates and the toast are alive; then a slow save
    replays_right(shoelace, SHOELACE, SHOELACE_BROKEN)
    # What the recording kept is what a person sees, through shadow roots
    recorded = cassette(shoelace)
    switched = recorded["steps"][SWITCH - 1]["change"]["appeared"]
    assert any(line.startswith("[checkbox Email notifications: checked]")
               for line in switched), switched  # Shoelace's own input, drawn transparent
    toggled = recorded["steps"][TOGGLE - 1]["change"]["appeared"]
    assert '[switch "Dark mode": checked]' in toggled, toggled  # ARIA on the host
    assert "127.0.0.1" not in text  # no origin in any look or address
    assert "opacity 0.2" not in text and "opacity 0.3" not in text  # the dots read at rest


BOOTSTRAP_TESTS = r'''
def test_app(model, page, cua_agent, app):
    if scripted(model) is not None:
        email, save = centre(app, "#email"), centre(app, "#save")
        app.evaluate("document.querySelector('#history').insertAdjacentHTML('beforeend', "
                     "'<tr id=probe><td>ada@example.com saved</td><td><button "
                     "class=\\'btn btn-sm\\'>Delete</button></td></tr>'); "
                     "document.querySelector('#empty').hidden = true")
        delete = centre(app, "#probe button")
        app.evaluate("document.querySelector('#probe').remove(); "
                     "document.querySelector('#empty').hidden = false")
        app.evaluate("document.querySelector('#confirm').classList.add('show'); "
                     "document.querySelector('#confirm').style.display = 'block'")
        really = centre(app, "#really")
        app.evaluate("document.querySelector('#confirm').classList.remove('show'); "
                     "document.querySelector('#confirm').style.display = ''")
        model.script(
            turn(computer_call(click(*save))), turn(verdict(True, "the form says it needs one")),
            turn(computer_call(click(*email))), turn(computer_call(type_text("ada@example.com"))),
            turn(computer_call(click(*save))), turn(verdict(True, "saved")),
            turn(verdict(True, "listed")),
            turn(computer_call(click(*delete))), turn(computer_call(click(*really))),
            turn(verdict(True, "deleted")), turn(verdict(True, "empty")))
    cua_agent("Save the profile without an email")
    cua_agent("Enter ada@example.com as the email and save the profile")
    cua_agent.check("The history lists ada@example.com")
    cua_agent("Delete the history entry, confirming in the dialog")
    cua_agent.check("The history is empty")
'''

VALID_ICON = ("url(\"data:image/svg+xml,%3csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 8 8'"
              "%3e%3cpath fill='%23198754' d='M2.3 6.73.6 4.53c-.4-1.04.46-1.4 1.1-.8l1.1 1.4 "
              "3.4-3.8c.6-.63 1.6-.27 1.2.7l-4 4.6c-.43.5-.8.4-1.1.1'/%3e%3c/svg%3e\")")
BOOTSTRAP_BROKEN = {  # variant: (its settings, the step that must fail)
    # The invalid field keeps its red border but shows the valid icon: only an icon, both
    # data URIs, tells the two states apart.
    "an invalid field shows the valid icon (CSS only)": (
        {"cfg": {"css": ".was-validated .form-control:invalid "
                        f"{{background-image: {VALID_ICON}}}"}}, 1),
    "an invalid field is not marked red (CSS only)": (
        {"cfg": {"css": ".was-validated .form-control:invalid {border-color: #dee2e6}"}}, 1),
    "the backend drops the save": ({"backend_drops": True}, 2),
    "the new entry is never listed (it would flash)": ({"cfg": {"historyBreaks": True}}, 2),
    "confirming the delete does nothing": ({"cfg": {"deleteBreaks": True}}, 4),
}


@pytest.fixture
def bootstrap(cua_pytester, monkeypatch, component_libraries):
    return prepare(cua_pytester, monkeypatch, BOOTSTRAP_TESTS, component_libraries)



def test_bootstrap_app_replays_right(bootstrap):
    """Modal and toast fade, a spinner spins while saving, a new row flashes by script,
    validation states differ only by an icon: settled looks are compared, the flashing
    row's text stays evidence."""
    write_app(bootstrap, BOOTSTRAP)
    run(bootstrap, "record").assert_outcomes(passed=1)
    recorded = cassette(bootstrap)
    invalid = recorded["steps"][0]["change"]["appeared"]
    assert any("[input Email" in line and "url(data #" in line for line in invalid), invalid
    added = recorded["steps"][1]["change"]["appeared"]
    deleted = recorded["steps"][3]["change"]["appeared"]
    assert any(line.startswith("No history yet.") for line in deleted), deleted
    row = next(line for line in added if line.startswith("ada@example.com saved"))
    assert "255, 193, 7" not in row, row  # read settled: no trace of the fading highlight
    replays_right(bootstrap, BOOTSTRAP, BOOTSTRAP_BROKEN)

SWAGGER_TESTS = r'''
from pytest_cua.testing import scroll

def test_app(model, page, cua_agent, app):
    if scripted(model) is not None:
        operation = centre(app, ".opblock-summary")
        app.click(".opblock-summary")
        try_it = centre(app, ".try-out__btn")
        app.click(".try-out__btn")
        execute = centre(app, ".execute")
        app.reload()
        app.wait_for_function("window.appReady === true")
        model.script(
            turn(computer_call(click(*operation))), turn(verdict(True, "it is open")),
            turn(computer_call(click(*try_it))), turn(computer_call(click(*execute))),
            turn(verdict(True, "a response came")),
            turn(computer_call(scroll(640, 400, 0, 400))), turn(verdict(True, "saved is true")))
    cua_agent("Open the 'Save the settings' operation")
    cua_agent("Try it out and execute the request")
    cua_agent.check("The response body says the settings were saved")
'''


SWAGGER_BROKEN = {"the backend drops the save": ({"backend_drops": True}, 3)}


@pytest.fixture
def swagger(cua_pytester, monkeypatch, component_libraries):
    return prepare(cua_pytester, monkeypatch, SWAGGER_TESTS, component_libraries)



def test_swagger_ui_replays_right(swagger):
    """A single-page app that shows what its backend answered: the response's `date`
    header and timestamp differ on every run, the request URL carries the server's port."""
    write_app(swagger, SWAGGER)
    run(swagger, "record").assert_outcomes(passed=1)
    evidence = cassette(swagger)["steps"][2]["evidence"]
    dates = [line for line in evidence if likeness.dynamic(line).startswith("{date}")]
    assert dates, evidence  # the response's date header, compared by kind
    # The same page, the backend stops saving: the response shows below the fold, so the
    # check that scrolls to it is the first step that sees it.
    replays_right(swagger, SWAGGER, SWAGGER_BROKEN)

DJANGO_CONFTEST = r'''
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

class QuietWSGI(WSGIRequestHandler):
    def log_message(self, *args):
        pass

class ThreadingWSGI(ThreadingMixIn, WSGIServer):
    daemon_threads = True

@pytest.fixture(scope="session")
def crew():
    """Django admin on a fresh database: migrated, with one staff user."""
    sys.path.insert(0, os.environ["DJANGO_SITE"])
    os.environ["DJANGO_SETTINGS_MODULE"] = "crew.settings"
    os.environ["CREW_DB"] = os.path.abspath("crew.sqlite3")
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if os.path.exists("crew.sqlite3"):
        os.remove("crew.sqlite3")
    import django
    django.setup()
    from django.contrib.auth.models import User
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    call_command("migrate", "--run-syncdb", verbosity=0)
    User.objects.create_superuser("ada", "ada@example.com", "lovelace-1815")
    httpd = make_server("127.0.0.1", 0, StaticFilesHandler(get_wsgi_application()),
                        server_class=ThreadingWSGI, handler_class=QuietWSGI)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()

@pytest.fixture
def app(crew, page):
    page.goto(crew + "/admin/login/?next=/admin/tasks/task/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "lovelace-1815")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/tasks/task/")
    return page
'''

DJANGO_TESTS = r'''
def test_app(model, page, cua_agent, app, crew):
    if scripted(model) is not None:
        from django.db import connection
        from tasks.models import Task
        # Measured on a run of the flow itself (the message after an add moves the list
        # down), then undone without a trace: no task, the id sequence reset.
        add = centre(app, ".object-tools a.addlink")
        app.click(".object-tools a.addlink")
        title, save = centre(app, "#id_title"), centre(app, "input[name=_save]")
        app.fill("#id_title", "buy milk")
        app.click("input[name=_save]")
        row = centre(app, "#result_list tbody th a")
        app.click("#result_list tbody th a")
        done, keep = centre(app, "#id_done"), centre(app, "input[name=_save]")
        Task.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'tasks_task'")
        app.goto(crew + "/admin/tasks/task/")
        model.script(
            turn(computer_call(click(*add))), turn(computer_call(click(*title))),
            turn(computer_call(type_text("buy milk"))), turn(computer_call(click(*save))),
            turn(verdict(True, "added")), turn(verdict(True, "listed")),
            turn(computer_call(click(*row))), turn(computer_call(click(*done))),
            turn(computer_call(click(*keep))), turn(verdict(True, "marked done")),
            turn(verdict(True, "shown as done")))
    cua_agent("Add a task 'buy milk'")
    cua_agent.check("The task list shows 'buy milk'")
    cua_agent("Mark 'buy milk' as done")
    cua_agent.check("'buy milk' is shown as done")
'''

APPS_SITE = APPS / "django_site"


@pytest.fixture
def django_admin(cua_pytester, monkeypatch):
    pytester = prepare(cua_pytester, monkeypatch, DJANGO_TESTS)
    pytester.makeconftest((pytester.path / "conftest.py").read_text() + DJANGO_CONFTEST)
    monkeypatch.setenv("DJANGO_SITE", str(APPS_SITE))
    return pytester


def test_django_admin_replays_right(django_admin):
    """A server-rendered app with a database, as installed from PyPI: each run starts on a
    fresh database, so every creation time differs from the recording's."""
    django_admin.mp.setenv("CREW_DROPS", "")
    run(django_admin, "record").assert_outcomes(passed=1)
    recorded = cassette(django_admin)
    listed = recorded["steps"][1]["evidence"]
    created = [line for line in listed if likeness.dynamic(line).startswith("{date}, {time}")]
    assert created, listed  # the creation time, compared by kind
    for _ in range(3):
        result = run(django_admin, "replay")
        assert result.parseoutcomes() == {"passed": 1}, failure_of(result)
    done = recorded["steps"][2]["change"]["appeared"]
    assert any(line.startswith('[img "True" icon-yes.svg]') for line in done), done
    django_admin.mp.setenv("CREW_DROPS", "change")  # "changed successfully", not saved
    result = run(django_admin, "replay")
    assert result.parseoutcomes() == {"failed": 1}, failure_of(result)
    assert mismatch_step(result) == 3, failure_of(result)
