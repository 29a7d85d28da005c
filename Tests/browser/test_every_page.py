"""Every page of the dashboard and the customer's page, at 1280 px and on a 390 px phone: nothing
runs off the side, a dozen inbox rows fit on a laptop screen, and axe-core (axe-selenium-python,
run offline in the page) finds no serious or critical accessibility violation. With
CARELOOP_SCREENSHOTS set, each page is saved there (docs/screenshots holds the committed set)."""
import re, uuid

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By

from conftest import make_driver, screenshot, sign_in


def serious_violations(driver):
    axe = Axe(driver)
    axe.inject()
    result = axe.run()
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
            if v.get("impact") in ("serious", "critical")]


def too_wide(driver):
    """The elements that run past the right edge, to say what broke."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
        ".slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))")


@pytest.fixture(scope="module")
def pages(careloop):
    """The pages to look at, with real content behind them: 14 conversations, one with a reply."""
    run = uuid.uuid4().hex[:6]
    for i in range(14):
        careloop.review(f"page{i}-{run}@example.com", f"Page{i} Person", 1 + i % 2, title=f"Title {i}",
                        body=f"The lid broke on day {i}. Second line of the review.")
    code, out = careloop.api("GET", "/api/v1/conversations?per_page=100")
    conversation = next(c for c in out["conversations"] if c["customer"]["email"].startswith("page0-"))
    code, one = careloop.api("GET", f"/api/v1/conversations/{conversation['id']}")
    customer = one["customer"]["id"]
    code, triggers = careloop.api("GET", "/api/v1/triggers")
    return {
        "inbox": "/app/inbox",
        "conversation": f"/app/conversations/{conversation['id']}",
        "customers": "/app/customers",
        "customer": f"/app/customers/{customer}",
        "reviews": "/app/reviews",
        "insights": "/app/insights",
        "triggers": "/app/triggers",
        "trigger-editor": f"/app/triggers/{triggers['triggers'][0]['id']}",
        "settings": "/app/settings",
        "customer-page": one["page_url"],
    }


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_every_page_fits_and_passes_axe(careloop, pages, width, height):
    driver = make_driver(width=width, height=height)
    failures = []
    try:
        driver.get(careloop.base + "/app/login")
        screenshot(driver, f"login-{width}")
        failures += [("login", v) for v in serious_violations(driver)]
        sign_in(driver, careloop.base)
        for name, path in pages.items():
            driver.get(path if path.startswith("http") else careloop.base + path)
            assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), \
                f"{name} at {width} px: {too_wide(driver)}"
            screenshot(driver, f"{name}-{width}")
            failures += [(name, v) for v in serious_violations(driver)]
        if width == 1280:
            driver.get(careloop.base + "/app/inbox")
            fits = driver.execute_script(
                "return Array.from(document.querySelectorAll('a.row')).filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length")
            assert fits >= 12, f"only {fits} inbox rows fit on a 1280×900 screen"
    finally:
        driver.quit()
    assert not failures, failures
