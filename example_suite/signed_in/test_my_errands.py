"""A test that starts signed in, from the session's saved storage state (see conftest.py)."""

from playwright.sync_api import expect


def test_signed_in_user_adds_an_errand(page, base_url, cua_agent):
    page.goto(base_url + "/")
    expect(page.locator("#who")).to_have_text("Signed in as ada")  # no sign-in in this test
    cua_agent("Add an errand 'call the bank'")
    cua_agent.check("The header says ada is signed in, and 'call the bank' is listed")
