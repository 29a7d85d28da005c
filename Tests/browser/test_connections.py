"""Settings → Connections in Chromium: the owner connects a Shopify shop from the form, reads the
clicks to make in Shopify's admin, the delivery URL and the topics; a signed orders/create delivery
(the fixture's body, signed as Shopify signs) turns the connection to Connected with its counts and
its line in the latest deliveries; a forged one is refused with its reason shown; Pause, Resume and
Delete do what they say. axe-core finds no serious or critical violation at 1280 and 390 px (with
CARELOOP_SCREENSHOTS set, the page is saved there as connections-1280/-390), and an agent gets the
owner-only refusal page, with no connection on it and no Settings link."""
import base64, hashlib, hmac, json, os, urllib.error, urllib.request, uuid

import pytest
from axe_selenium_python import Axe
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.by import By

from conftest import AGENT, click_and_wait, make_driver, screenshot, sign_in

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "connect")


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()   # the raw bytes: the signature is over them


def shopify_signature(body, secret):
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliver(url, body, secret, topic, shop, signature=None):
    """Posts one webhook as Shopify does; returns the status and the answer's JSON."""
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("X-Shopify-Topic", topic)
    req.add_header("X-Shopify-Hmac-Sha256", signature or shopify_signature(body, secret))
    req.add_header("X-Shopify-Shop-Domain", shop)
    req.add_header("X-Shopify-Webhook-Id", str(uuid.uuid4()))
    req.add_header("X-Shopify-API-Version", "2026-04")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def section_for(driver, shop):
    """The connection's card, found by the shop domain in its heading."""
    cards = [s for s in driver.find_elements(By.CSS_SELECTOR, "section.connection") if shop in s.find_element(By.TAG_NAME, "h2").text]
    assert len(cards) == 1, [s.text[:80] for s in driver.find_elements(By.CSS_SELECTOR, "section.connection")]
    return cards[0]


def rows(table):
    return [[td.text.strip() for td in tr.find_elements(By.TAG_NAME, "td")] for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")]


def badge(card):
    return card.find_element(By.CSS_SELECTOR, "h2 .badge").text.strip()


def notice(driver):
    return driver.find_element(By.CSS_SELECTOR, "main p.notice[role=status]").text


def serious_violations(driver):
    axe = Axe(driver)
    axe.inject()
    result = axe.run()
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
            if v.get("impact") in ("serious", "critical")]


def too_wide(driver):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
        ".slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))")


def navigation_status(driver):
    """The HTTP status of the page the browser last loaded (Navigation Timing Level 2)."""
    return driver.execute_script("var t = performance.getEntriesByType('navigation')[0]; return t ? t.responseStatus : null;")


@pytest.fixture(scope="module")
def shown_connections(careloop):
    """Two connections made through the API, for the axe and agent tests: a Shopify one that took a
    products/create delivery and refused a forged one, and a WooCommerce one still waiting."""
    run = uuid.uuid4().hex[:6]
    shop, secret = f"axe-{run}.myshopify.com", f"shpss_axe_{run}_secret"
    code, made = careloop.api("POST", "/api/v1/connections", {"platform": "shopify", "shop_domain": shop, "secret": secret})
    assert code == 201, made
    body = fixture("shopify-products-create.json")
    code, out = deliver(made["webhook_url"], body, secret, "products/create", shop)
    assert code == 200 and out["result"] == "applied", (code, out)
    code, out = deliver(made["webhook_url"], body, secret, "products/create", shop, signature=shopify_signature(body, "not the secret"))
    assert code == 401, (code, out)
    woo = f"axe-{run}.example.com"
    code, waiting = careloop.api("POST", "/api/v1/connections", {"platform": "woocommerce", "shop_domain": woo, "secret": f"wc_axe_{run}_secret"})
    assert code == 201, waiting
    return {"shopify": made, "woocommerce": waiting}


def test_owner_connects_shopify_sees_deliveries_and_refusals_then_pauses_resumes_and_deletes(careloop, browser):
    run = uuid.uuid4().hex[:8]
    shop, secret = f"care-{run}.myshopify.com", f"shpss_{run}_0f3a9c"
    order = fixture("shopify-orders-create.json")
    order_id = str(json.loads(order)["id"])

    # act: Settings → Connections, Shopify, the domain and the secret, Connect
    sign_in(browser, careloop.base)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "header.top nav a[href='/app/settings']"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main").find_element(By.LINK_TEXT, "Connections"))
    assert browser.current_url.endswith("/app/settings/connections"), browser.current_url
    assert browser.find_element(By.TAG_NAME, "h1").text == "Connections"
    form = browser.find_element(By.ID, "connect-form")
    form.find_element(By.CSS_SELECTOR, "input[name=platform][value=woocommerce]").click()
    shopify = form.find_element(By.CSS_SELECTOR, "input[name=platform][value=shopify]")
    shopify.click()
    assert shopify.is_selected()
    browser.find_element(By.ID, "shop-domain").send_keys(shop)
    browser.find_element(By.ID, "shop-secret").send_keys(secret)
    click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    # check: waiting, with the setup instructions open, the delivery URL and the topics
    assert "/app/settings/connections" in browser.current_url, browser.current_url
    assert "Now make the webhooks in your shop's admin" in notice(browser)
    card = section_for(browser, shop)
    cid = card.get_attribute("id").removeprefix("connection-")
    assert "Shopify" in card.find_element(By.TAG_NAME, "h2").text
    assert badge(card) == "Waiting for the first delivery"
    details = card.find_element(By.TAG_NAME, "details")
    assert details.get_attribute("open") is not None, "a waiting connection shows what to set up"
    assert "Settings → Notifications → Webhooks" in details.text
    url_field = card.find_element(By.ID, f"url-{cid}")
    assert url_field.get_attribute("readonly") is not None
    assert card.find_element(By.CSS_SELECTOR, f"label[for='url-{cid}']").text == "Delivery URL"
    url = url_field.get_attribute("value")
    # the URL ends with the connection's own unguessable key, not its id
    assert "/connect/shopify/" in url and url.rsplit("/", 1)[1] != cid and len(url.rsplit("/", 1)[1]) >= 40, url
    assert url.startswith(careloop.base), (url, careloop.base)
    code, listed = careloop.api("GET", "/api/v1/connections")
    mine = [c for c in listed["connections"] if c["shop_domain"] == shop]
    assert len(mine) == 1 and mine[0]["id"].lower() == cid and mine[0]["webhook_url"] == url, (mine, cid)
    assert mine[0]["status"] == "waiting", mine
    topics = rows(details.find_element(By.TAG_NAME, "table"))
    assert ["Order creation", "orders/create"] in topics, topics
    assert ["Product creation", "products/create"] in topics, topics
    assert card.find_elements(By.CSS_SELECTOR, "table.topic-counts") == []
    assert "none yet" in card.find_element(By.CSS_SELECTOR, ".last-event").text
    assert secret not in browser.page_source, "the secret is never shown again"

    # act: Shopify delivers an order, signed with the secret typed in the form
    code, out = deliver(url, order, secret, "orders/create", shop)
    assert code == 200, (code, out)
    assert out["result"] == "applied", out
    browser.refresh()

    # check: connected, the last event, the 7-day count, the latest delivery
    card = section_for(browser, shop)
    assert badge(card) == "Connected"
    assert card.find_element(By.TAG_NAME, "details").get_attribute("open") is None, "once connected, the setup folds away"
    assert card.find_element(By.CSS_SELECTOR, ".last-event").text.startswith("orders/create at "), card.find_element(By.CSS_SELECTOR, ".last-event").text
    assert rows(card.find_element(By.CSS_SELECTOR, "table.topic-counts")) == [["orders/create", "1"]]
    recent = rows(card.find_element(By.CSS_SELECTOR, "table.recent-deliveries"))
    assert len(recent) == 1 and recent[0][1:3] == ["orders/create", "applied"], recent
    assert order_id in recent[0][3], recent
    assert card.find_elements(By.CSS_SELECTOR, ".last-refusal") == []

    # act: a delivery signed with another secret
    code, out = deliver(url, order, secret, "orders/create", shop, signature=shopify_signature(order, secret + "-wrong"))
    assert code == 401, (code, out)
    browser.refresh()

    # check: the refusal and its reason; nothing more counted as received
    card = section_for(browser, shop)
    refusal = card.find_element(By.CSS_SELECTOR, ".last-refusal").text
    assert "signature does not match" in refusal, refusal
    facts = card.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert "Last refused" in facts and "1 refused" in facts, facts
    assert rows(card.find_element(By.CSS_SELECTOR, "table.topic-counts")) == [["orders/create", "1"]]
    assert badge(card) == "Connected"

    # act: Pause
    click_and_wait(browser, card.find_element(By.XPATH, ".//button[normalize-space()='Pause']"))
    # check: paused, deliveries refused, and the button now resumes
    assert notice(browser).startswith("Paused"), notice(browser)
    card = section_for(browser, shop)
    assert badge(card) == "Paused"
    assert card.find_elements(By.XPATH, ".//button[normalize-space()='Pause']") == []
    code, out = deliver(url, order, secret, "orders/create", shop)
    assert code == 403, (code, out)

    # act: Resume
    click_and_wait(browser, card.find_element(By.XPATH, ".//button[normalize-space()='Resume']"))
    assert notice(browser).startswith("Resumed"), notice(browser)
    card = section_for(browser, shop)
    assert badge(card) == "Connected"
    assert card.find_elements(By.XPATH, ".//button[normalize-space()='Pause']") != []

    # act: Delete
    click_and_wait(browser, card.find_element(By.XPATH, ".//button[normalize-space()='Delete']"))
    # check: gone from the page and the API; the notice says the orders stay, and they do
    assert "The orders and products it brought stay." in notice(browser), notice(browser)
    assert not [s for s in browser.find_elements(By.CSS_SELECTOR, "section.connection") if shop in s.text]
    assert browser.find_elements(By.ID, f"connection-{cid}") == []
    code, listed = careloop.api("GET", "/api/v1/connections")
    assert not [c for c in listed["connections"] if c["id"].lower() == cid], listed
    code, kept = careloop.api("GET", f"/api/v1/orders/{order_id}")
    assert code == 200, kept
    code, out = deliver(url, order, secret, "orders/create", shop)
    assert code == 404, (code, out)


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_connections_page_fits_and_passes_axe(careloop, shown_connections, width, height):
    driver = make_driver(width=width, height=height)
    try:
        # headless Chromium keeps a window at least 500 px wide: a phone's 390 px is emulated
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                                      "mobile": width < 500})
        sign_in(driver, careloop.base)
        driver.get(careloop.base + "/app/settings/connections")
        assert driver.execute_script("return window.innerWidth") == width
        for made in shown_connections.values():
            assert driver.find_elements(By.ID, f"connection-{made['id'].lower()}"), made
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), \
            f"connections at {width} px: {too_wide(driver)}"
        screenshot(driver, f"connections-{width}")
        failures = serious_violations(driver)
        assert not failures, failures
    finally:
        driver.quit()


def test_an_agent_cannot_open_connections(careloop, shown_connections):
    made = shown_connections["shopify"]
    driver = make_driver()
    try:
        sign_in(driver, careloop.base, AGENT)
        nav = driver.find_element(By.CSS_SELECTOR, "header.top nav")
        assert "Settings" not in nav.text
        assert nav.find_elements(By.CSS_SELECTOR, "a[href^='/app/settings']") == []
        csrf = driver.find_element(By.CSS_SELECTOR, "form.signout input[name=_csrf]").get_attribute("value")

        driver.get(careloop.base + "/app/settings/connections")
        assert navigation_status(driver) == 403
        assert driver.find_element(By.TAG_NAME, "h1").text == "Not allowed"
        assert "Only the store's owner can open settings." in driver.find_element(By.ID, "error-message").text
        page = driver.page_source
        for leak in [made["id"].lower(), made["id"], made["shop_domain"], shown_connections["woocommerce"]["shop_domain"], "/connect/", "connect-form"]:
            assert leak not in page, leak
        with pytest.raises(NoSuchElementException):
            driver.find_element(By.CSS_SELECTOR, "section.connection")

        # the owner's buttons refuse the agent too, even with the agent's own form token
        for action in ["pause", "delete"]:
            status = driver.execute_async_script("""
                const done = arguments[arguments.length - 1];
                fetch(arguments[0], {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'},
                                     body: '_csrf=' + encodeURIComponent(arguments[1]) + '&paused=1'})
                  .then(r => done(r.status)).catch(e => done(String(e)));
            """, f"/app/settings/connections/{made['id'].lower()}/{action}", csrf)
            assert status == 403, (action, status)
        code, one = careloop.api("GET", f"/api/v1/connections/{made['id']}")
        assert code == 200 and one["paused"] is False, one
    finally:
        driver.quit()
