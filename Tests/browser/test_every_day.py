"""Nothing sent by accident, in Chromium with a real SMTP server (aiosmtpd): typing a sentence with the
focus on the messages changes nothing; Esc leaves any box; `#` + Enter saves a tag and gives the keys
back to the page; resolve then undo (the button, or z) sends no mail; send-and-resolve delivers the
reply before the resolution mail in 20 of 20 conversations; `a` shows the new assignee in its box; `?`
lists the keys on the inbox."""
import time, uuid

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import click_and_wait, mails, screenshot, sign_in, start_shop_with_mail

OWNER = ("owner@everyday.test", "owner password")


@pytest.fixture(scope="module")
def shop():
    shop, stop = start_shop_with_mail("careloop-everyday-", "everyday", OWNER, {"CARELOOP_UNDO_SECONDS": "4"})
    yield shop
    stop()


def conversation_of(shop, email):
    code, out = shop["loop"].api("GET", "/api/v1/conversations?per_page=100")
    assert code == 200, out
    return next(c for c in out["conversations"] if c["customer"]["email"] == email)


def to(folder, email):
    return [m for m in mails(folder) if m["rcpt_tos"] == [email]]


def wait_until(check, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_typing_on_the_thread_changes_nothing_and_resolve_can_be_undone(shop, browser):
    # setup: a 1★ conversation whose care mail has gone
    email = f"typist-{uuid.uuid4().hex[:6]}@example.com"
    shop["loop"].review(email, "Tia Typist", 1, body="The lid leaks.")
    assert wait_until(lambda: len(to(shop["mail"], email)) == 1)
    cid = conversation_of(shop, email)["id"]
    sign_in(browser, shop["base"], OWNER)
    browser.get(f"{shop['base']}/app/conversations/{cid}")

    # act: click into the messages to read, then type a whole sentence (every shortcut letter is in it)
    ActionChains(browser).click(browser.find_element(By.CSS_SELECTOR, "#thread .msg .body")).perform()
    ActionChains(browser).send_keys("Please resolve this, a new jar arrives by Tuesday? #urgent e a r j k u z").perform()
    time.sleep(1)
    # check: nothing changed
    assert browser.current_url.endswith(f"/app/conversations/{cid}")
    assert browser.find_element(By.ID, "status").text == "open"
    assert browser.find_element(By.ID, "reply-body").get_attribute("value") == ""
    assert browser.find_element(By.ID, "tags-shown").text == "none"
    assert Select(browser.find_element(By.ID, "assignee")).first_selected_option.text == "Unassigned"
    c = conversation_of(shop, email)
    assert (c["status"], c["assignee"]) == ("open", None), c

    # act: Esc leaves the box; # + Enter saves a tag and hands the keys back to the page
    browser.find_element(By.ID, "reply-body").click()
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    assert browser.switch_to.active_element.tag_name == "body"
    ActionChains(browser).send_keys("#").perform()
    assert browser.switch_to.active_element.get_attribute("id") == "tags"
    ActionChains(browser).send_keys("lid", Keys.ENTER).perform()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "tags-shown").text == "lid")
    assert browser.switch_to.active_element.get_attribute("id") != "tags", "the tag box let go after saving"
    ActionChains(browser).send_keys("x").perform()
    assert browser.find_element(By.ID, "tags").get_attribute("value") == "lid", "the next key did not become a tag"
    # a: assigned, and the box says so
    ActionChains(browser).send_keys("a").perform()
    WebDriverWait(browser, 10).until(lambda d: Select(d.find_element(By.ID, "assignee")).first_selected_option.get_attribute("value") == OWNER[0])

    # act: e resolves (focus on the page), and z undoes it within the window
    old = browser.find_element(By.TAG_NAME, "html")
    ActionChains(browser).send_keys("e").perform()
    WebDriverWait(browser, 10).until(lambda d: _stale(old))
    bar = browser.find_element(By.ID, "undo-bar")
    assert "resolved" in bar.text
    screenshot(browser, "undo-bar")
    click_and_wait(browser, browser.find_element(By.ID, "undo"))
    # check: open again, and no resolution mail, even after the window
    assert "Undone: nothing was sent" in browser.find_element(By.ID, "undo-notice").text
    assert browser.find_element(By.ID, "status").text == "open"
    time.sleep(5)
    assert len(to(shop["mail"], email)) == 1, [m["text"] for m in to(shop["mail"], email)]


def test_send_and_resolve_delivers_the_reply_first_in_twenty_of_twenty(shop, browser):
    # setup: twenty conversations
    run = uuid.uuid4().hex[:6]
    emails = [f"order{i}-{run}@example.com" for i in range(20)]
    for e in emails:
        shop["loop"].review(e, "Olu Order", 1, body="Cracked.")
    assert wait_until(lambda: all(len(to(shop["mail"], e)) == 1 for e in emails), timeout=60)
    sign_in(browser, shop["base"], OWNER)

    # act: each answered with Ctrl+Shift+Enter (send and resolve)
    for e in emails:
        browser.get(f"{shop['base']}/app/conversations/{conversation_of(shop, e)['id']}")
        box = browser.find_element(By.ID, "reply-body")
        box.send_keys("Your replacement is on its way.")
        old = browser.find_element(By.TAG_NAME, "html")
        box.send_keys(Keys.CONTROL, Keys.SHIFT, Keys.ENTER)
        WebDriverWait(browser, 10).until(lambda d: _stale(old))

    # check: every customer got the reply, then the resolution mail
    assert wait_until(lambda: all(len(to(shop["mail"], e)) == 3 for e in emails), timeout=90)
    first = 0
    for e in emails:
        texts = [m["text"] for m in to(shop["mail"], e)]
        reply = next(i for i, t in enumerate(texts) if "Your replacement is on its way." in t)
        resolution = next(i for i, t in enumerate(texts) if "marked this conversation as resolved" in t)
        first += reply < resolution
    assert first == 20, first


def test_the_conversation_with_its_undo_bar_reads_on_a_phone_and_passes_axe(shop):
    from conftest import make_driver
    from test_connections import serious_violations, too_wide
    email = f"phone-{uuid.uuid4().hex[:6]}@example.com"
    shop["loop"].review(email, "Pia Phone", 2, body="The handle wobbles.")
    cid = conversation_of(shop, email)["id"]
    for width, height in ((1280, 900), (390, 844)):
        driver = make_driver(width=width, height=height)
        try:
            sign_in(driver, shop["base"], OWNER)
            driver.get(f"{shop['base']}/app/conversations/{cid}")
            driver.find_element(By.ID, "reply-body").send_keys("Thanks, Pia.")
            click_and_wait(driver, driver.find_element(By.ID, "send-reply"))
            assert driver.find_element(By.ID, "undo-bar").is_displayed()
            assert too_wide(driver) == [], too_wide(driver)
            assert serious_violations(driver) == []
            screenshot(driver, f"conversation-undo-{width}")
            driver.get(shop["base"] + "/app/notifications")
            assert too_wide(driver) == [], too_wide(driver)
            assert serious_violations(driver) == []
            screenshot(driver, f"notifications-{width}")
        finally:
            driver.quit()


def test_question_mark_lists_the_keys_on_the_inbox(shop, browser):
    sign_in(browser, shop["base"], OWNER)
    browser.get(shop["base"] + "/app/inbox")
    ActionChains(browser).send_keys("?").perform()
    dialog = browser.find_element(By.ID, "key-help")
    assert dialog.is_displayed()
    assert "never while you type" in dialog.text


def _stale(element):
    try:
        element.is_enabled()
        return False
    except Exception:
        return True
