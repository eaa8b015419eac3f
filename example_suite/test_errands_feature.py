"""The scenarios of errands.feature, collected the pytest-bdd way.

Only the Background's step is Python (plain Playwright: open the app); the When and Then
steps have no definition, so pytest-cua runs them through the model: When acts, Then
checks.
"""

from pytest_bdd import given, scenarios

scenarios("errands.feature")


@given("the errands app is open")
def errands_app(page, base_url):
    page.goto(base_url + "/")
