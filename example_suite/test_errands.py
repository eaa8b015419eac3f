"""Natural-language steps mixed with plain Playwright, against the Errands demo app."""

from playwright.sync_api import expect


def test_add_an_errand(page, base_url, cua_agent):
    page.goto(base_url + "/")
    cua_agent("Add an errand 'buy milk'")
    expect(page.get_by_text("buy milk")).to_be_visible()
    cua_agent.check("The list shows 'buy milk' and the footer says 1 errand left")


def test_complete_an_errand(page, base_url, cua_agent):
    page.goto(base_url + "/")
    cua_agent("Add an errand 'post letter'")
    cua_agent("Mark 'post letter' as done")
    expect(page.locator("li.done")).to_have_text("post letter")
    assert cua_agent.ask("How many errands are left, as the footer says?") == "0 errands left"
