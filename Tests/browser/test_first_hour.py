"""A new store's first hour in Chromium, with a real SMTP server (aiosmtpd): the owner follows the
checklist on the inbox to the end — orders come in through a Shopify connection made in Settings (one
signed delivery, as Shopify sends it), the widget snippet from the checklist is pasted into a storefront
page on another origin and shows the store's reviews there (axe-core finds no serious or critical
violation on that page, inside the widget's shadow root too), the two test mails reach the owner, a
teammate is invited — and the checklist goes away. Settings → Showing reviews previews the widget."""
import functools, http.server, json, os, shutil, tempfile, threading, time, uuid

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import click_and_wait, free_port, mails, make_driver, screenshot, sign_in, start_shop_with_mail
from test_connections import deliver, fixture, serious_violations, too_wide

OWNER = ("owner@firsthour.test", "owner password")


@pytest.fixture(scope="module")
def shop():
    shop, stop = start_shop_with_mail("careloop-firsthour-", "firsthour", OWNER, {"CARELOOP_PUBLIC_CACHE_SECONDS": "0"})
    yield shop
    stop()


@pytest.fixture(scope="module")
def storefront():
    root = tempfile.mkdtemp(prefix="storefront-")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    shutil.rmtree(root, ignore_errors=True)


def step_done(driver, step):
    return "done" in (driver.find_element(By.ID, f"step-{step}").get_attribute("class") or "")


def wait_for_mail(folder, to, subject_start, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for m in mails(folder):
            if m["rcpt_tos"] == [to] and m["headers"].get("subject", "").startswith(subject_start):
                return m
        time.sleep(0.1)
    raise AssertionError(f"no mail '{subject_start}' to {to} in {timeout}s: {[m['headers'].get('subject') for m in mails(folder)]}")


def test_a_new_owner_follows_the_checklist_to_the_end(shop, storefront, browser):
    root, front = storefront
    sign_in(browser, shop["base"], OWNER)
    # check: a new store lands on the checklist, nothing done
    card = browser.find_element(By.ID, "first-run")
    assert "0 of 5 done" in card.text, card.text
    assert serious_violations(browser) == []
    screenshot(browser, "first-run-1280")
    phone = make_driver(width=390, height=844)
    try:
        sign_in(phone, shop["base"], OWNER)
        assert phone.find_element(By.ID, "first-run").is_displayed()
        assert too_wide(phone) == [], too_wide(phone)
        assert serious_violations(phone) == []
        screenshot(phone, "first-run-390")
    finally:
        phone.quit()

    # step 1: orders, through a Shopify connection made in Settings (the checklist links there)
    click_and_wait(browser, card.find_element(By.LINK_TEXT, "Settings → Connections"))
    run = uuid.uuid4().hex[:6]
    domain, secret = f"first-{run}.myshopify.com", f"shpss_first_{run}"
    form = browser.find_element(By.ID, "connect-form")
    form.find_element(By.CSS_SELECTOR, "input[name=platform][value=shopify]").click()
    browser.find_element(By.ID, "shop-domain").send_keys(domain)
    browser.find_element(By.ID, "shop-secret").send_keys(secret)
    click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    url = browser.find_element(By.CSS_SELECTOR, "section.connection input[readonly]").get_attribute("value")
    order = fixture("shopify-orders-create.json")
    code, out = deliver(url, order, secret, "orders/create", domain)   # Shopify delivers an order
    assert code == 200, out
    product = str(json.loads(order)["line_items"][0]["product_id"])
    # the shop's first review of that product (as its widget or a request would bring it)
    code, _ = shop["loop"].api("POST", "/api/v1/reviews", {"product": {"external_id": product, "name": "First product"},
                                                           "customer": {"email": "fay@example.com", "name": "Fay"}, "rating": 5,
                                                           "title": "Lovely first review", "body": "Arrived quickly and works well."})
    assert code == 201
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "header.top nav a[href='/app/inbox']"))
    assert step_done(browser, "orders")

    # step 2: the snippet, pasted into the shop's product page on another origin
    snippet = browser.find_element(By.ID, "widget-snippet").get_attribute("value")
    assert 'data-store="firsthour"' in snippet and shop["base"] + "/widget.js" in snippet, snippet
    with open(os.path.join(root, "product.html"), "w") as f:
        f.write(f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Our product</title></head>"
                f"<body><main><h1>Our product</h1>{snippet.replace('PRODUCT_ID', product)}</main></body></html>")
    shopper = make_driver()
    try:
        shopper.get(front + "/product.html")
        WebDriverWait(shopper, 20).until(lambda d: "Lovely first review" in (d.execute_script(
            "var h = document.querySelector('[data-careloop-reviews]'); return h && h.shadowRoot ? h.shadowRoot.textContent : '';") or ""))
        # the widget opened with its form: axe-core reads inside the shadow root
        shopper.execute_script("document.querySelector('[data-careloop-reviews]').shadowRoot.querySelector('button').click()")
        assert serious_violations(shopper) == []
        grown = shopper.execute_script("var h = document.querySelector('[data-careloop-reviews]'); return [h.scrollHeight, h.clientHeight];")
        assert grown[0] <= grown[1] + 1, f"the widget grows with its content instead of scrolling inside: {grown}"
        screenshot(shopper, "widget-on-storefront")
    finally:
        shopper.quit()
    browser.refresh()
    assert step_done(browser, "widget"), "the widget ticked itself when the shop showed it"

    # steps 3 and 4: the test mails, to the owner
    click_and_wait(browser, browser.find_element(By.ID, "send-test-request"))
    assert "on its way to owner@firsthour.test" in browser.find_element(By.ID, "first-run-notice").text
    request = wait_for_mail(shop["mail"], OWNER[0], "[Test] ")
    assert "Every Day Shop" in request["headers"]["subject"] or "Every Day Shop" in (request["text"] or ""), request["headers"]
    click_and_wait(browser, browser.find_element(By.ID, "send-test-care"))
    care = wait_for_mail(shop["mail"], OWNER[0], "[Test] About your")
    assert "I'm sorry Example product let you down" in care["text"], care["text"]
    assert step_done(browser, "request") and step_done(browser, "care")

    # step 5: invite the team (the checklist links to Settings → Team)
    click_and_wait(browser, browser.find_element(By.ID, "step-team").find_element(By.TAG_NAME, "a"))
    browser.find_element(By.ID, "invite-email").send_keys("ann@firsthour.test")
    browser.find_element(By.ID, "invite-name").send_keys("Ann")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/app/settings/team'] button[type=submit]"))
    # Settings → Showing reviews previews the widget on the busiest product
    preview = browser.find_element(By.ID, "widget-preview")
    browser.execute_script("arguments[0].scrollIntoView()", preview)
    browser.switch_to.frame(preview)
    WebDriverWait(browser, 20).until(lambda d: "Lovely first review" in (d.execute_script(
        "var h = document.querySelector('[data-careloop-reviews]'); return h && h.shadowRoot ? h.shadowRoot.textContent : '';") or ""))
    browser.switch_to.default_content()

    # check: every step done, and the checklist is gone
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "header.top nav a[href='/app/inbox']"))
    assert browser.find_elements(By.ID, "first-run") == []
    wait_for_mail(shop["mail"], "ann@firsthour.test", "")
