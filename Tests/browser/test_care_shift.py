"""A care shift in Chromium: five conversations worked from the inbox with the keyboard only (a
saved reply picked with /, Ctrl+Enter to send and open the next, Ctrl+Shift+Enter to send and
resolve), and the collision notice when a teammate in a second browser answers first. Prints the
server time of each page the shift loaded (Navigation Timing), so a run shows what an agent waits for."""
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import AGENT, OWNER, click_and_wait, make_driver, screenshot, sign_in


def server_ms(driver):
    """Time from the request leaving the browser to the last byte of the page coming back."""
    return driver.execute_script(
        "var t = performance.getEntriesByType('navigation')[0]; return t ? t.responseEnd - t.requestStart : null;")


def press(driver, *keys):
    """Types into whatever has the focus, as a person at the keyboard does."""
    driver.switch_to.active_element.send_keys(*keys)


def keys_and_wait(driver, *keys):
    """Types keys that load a new page, and waits until the old one is gone."""
    old = driver.find_element(By.TAG_NAME, "html")
    press(driver, *keys)
    WebDriverWait(driver, 10).until(lambda d: _stale(old))


def _stale(element):
    try:
        element.is_enabled()
        return False
    except Exception:
        return True


def test_five_conversations_worked_with_the_keyboard_only(careloop, browser):
    # setup: five unhappy customers, and a saved reply with a placeholder
    run = uuid.uuid4().hex[:8]
    for i in range(5):
        careloop.review(f"shift{i}-{run}@example.com", f"Shift{i} Person", 1 + i % 2, body=f"Broken lid, shift {run} number {i}")
    sign_in(browser, careloop.base)
    browser.get(careloop.base + "/app/settings")
    browser.find_element(By.ID, "saved-title").send_keys(f"Replacement {run}")
    browser.find_element(By.ID, "saved-body").send_keys("Hi {{customer.first_name}}, a replacement is on its way today.")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/app/settings/saved-replies'] button"))
    browser.get(careloop.base + "/app/inbox")
    timings = []

    # act: / searches, j moves to the first row, Enter opens it
    press(browser, "/")
    assert browser.switch_to.active_element.get_attribute("id") == "inbox-q"
    keys_and_wait(browser, run, Keys.ENTER)
    rows = browser.find_elements(By.CSS_SELECTOR, "a.row")
    assert len(rows) == 5, [r.text for r in rows]
    browser.find_element(By.TAG_NAME, "body").send_keys("j")
    keys_and_wait(browser, Keys.ENTER)
    timings.append(("open", server_ms(browser)))
    for i in range(5):
        assert "/app/conversations/" in browser.current_url, browser.current_url
        customer = browser.find_element(By.CSS_SELECTOR, "#customer-card h2").text
        press(browser, "r")
        assert browser.switch_to.active_element.get_attribute("id") == "reply-body"
        press(browser, "/")
        assert browser.switch_to.active_element.get_attribute("id") == "saved-filter"
        press(browser, "replace")
        press(browser, Keys.ENTER)
        text = browser.find_element(By.ID, "reply-body").get_attribute("value")
        assert text == f"Hi {customer.split()[0]}, a replacement is on its way today.", text
        if i < 4:
            keys_and_wait(browser, Keys.CONTROL, Keys.ENTER)          # send and next
            timings.append(("send and next", server_ms(browser)))
        else:
            keys_and_wait(browser, Keys.CONTROL, Keys.SHIFT, Keys.ENTER)   # send and resolve
            timings.append(("send and resolve", server_ms(browser)))
    # check: the view is worked through; four wait for the customer, one is resolved, each got its own words
    assert "/app/inbox" in browser.current_url
    code, out = careloop.api("GET", "/api/v1/conversations?per_page=100&status=waiting")
    waiting = [c for c in out["conversations"] if run in c["customer"]["email"]]
    code, out = careloop.api("GET", "/api/v1/conversations?per_page=100&status=resolved")
    resolved = [c for c in out["conversations"] if run in c["customer"]["email"]]
    assert (len(waiting), len(resolved)) == (4, 1), (len(waiting), len(resolved))
    for c in waiting + resolved:
        code, one = careloop.api("GET", f"/api/v1/conversations/{c['id']}")
        staff = [m["body"] for m in one["messages"] if m["author"] == "staff"]
        first = c["customer"]["name"].split()[0]
        assert f"Hi {first}, a replacement is on its way today." in staff, staff
        assert one["assignee"]["email"] == OWNER[0], "replying to an unowned conversation assigns it"
    for what, ms in timings:
        print(f"shift page {what}: server {ms:.1f} ms")
    assert all(ms is not None for _, ms in timings)


def test_collision_notice_when_a_teammate_answers_first(careloop):
    # setup: one conversation, open in the owner's browser and then the agent's
    run = uuid.uuid4().hex[:8]
    careloop.review(f"clash-{run}@example.com", "Clash Person", 1, body="Clash")
    code, out = careloop.api("GET", "/api/v1/conversations?per_page=100")
    cid = next(c["id"] for c in out["conversations"] if c["customer"]["email"] == f"clash-{run}@example.com")
    owner, agent = make_driver(), make_driver()
    try:
        sign_in(owner, careloop.base, OWNER)
        sign_in(agent, careloop.base, AGENT)
        owner.get(f"{careloop.base}/app/conversations/{cid}")
        agent.get(f"{careloop.base}/app/conversations/{cid}")
        assert "also has this conversation open" in agent.find_element(By.ID, "collision").text

        # act: the agent answers first while the owner is still writing
        owner.find_element(By.ID, "reply-body").send_keys("My answer, written on a stale page")
        agent.find_element(By.ID, "reply-body").send_keys("Agent here: a refund is on its way.")
        click_and_wait(agent, agent.find_element(By.ID, "send-reply"))

        # check: the owner's open page says so by itself (it checks every 10 s)...
        WebDriverWait(owner, 20).until(lambda d: "wrote since you opened it" in d.find_element(By.ID, "collision").text)
        assert "Ann Agent" in owner.find_element(By.ID, "collision").text
        screenshot(owner, "collision")
        # ...and sending anyway is stopped once, with the draft kept
        click_and_wait(owner, owner.find_element(By.ID, "send-reply"))
        notice = owner.find_element(By.ID, "stale-notice").text
        assert "Ann Agent wrote since you opened this conversation" in notice, notice
        assert owner.find_element(By.ID, "reply-body").get_attribute("value") == "My answer, written on a stale page"
        assert "Agent here: a refund is on its way." in owner.find_element(By.ID, "thread").text
        code, one = careloop.api("GET", f"/api/v1/conversations/{cid}")
        assert not any(m["body"].startswith("My answer") for m in one["messages"])
        click_and_wait(owner, owner.find_element(By.ID, "send-reply"))
        code, one = careloop.api("GET", f"/api/v1/conversations/{cid}")
        assert any(m["body"].startswith("My answer") for m in one["messages"]), "sent once the owner has seen the warning"
    finally:
        owner.quit()
        agent.quit()


def test_bulk_reject_three_held_reviews_with_a_reason(careloop, browser):
    # setup: three reviews that two links each hold for a person's decision
    run = uuid.uuid4().hex[:8]
    ids = []
    for i in range(3):
        out = careloop.review(f"held{i}-{run}@example.com", f"Held{i} Person", 5,
                              body=f"Visit http://spam-{run}.example/{i} and http://more-{run}.example/{i}")
        assert out["status"] == "pending", out
        ids.append(out["id"])
    sign_in(browser, careloop.base)
    assert browser.find_element(By.ID, "held-badge").text.strip() != "", "the navigation says reviews are held"
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "header.top a[href='/app/reviews']"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "ul.tabs a[href='/app/reviews?status=pending']"))
    assert browser.find_element(By.CSS_SELECTOR, "ul.tabs a[aria-current=page]").text.startswith("Needs a decision")
    # act: tick the three, choose reject, give the reason, apply
    for rid in ids:
        browser.find_element(By.ID, f"pick-{rid}").click()
    Select(browser.find_element(By.ID, "bulk-decision")).select_by_value("reject")
    browser.find_element(By.ID, "bulk-reason").send_keys("Advertising links, not a review")
    screenshot(browser, "reviews-bulk")
    click_and_wait(browser, browser.find_element(By.ID, "bulk-apply"))
    # check: each one rejected, with the reason and who decided
    for rid in ids:
        code, r = careloop.api("GET", f"/api/v1/reviews/{rid}")
        assert code == 200, r
        assert r["status"] == "rejected", r
        assert r["status_reason"] == "Advertising links, not a review", r
    assert not any(f"pick-{rid}" == e.get_attribute("id") for rid in ids for e in browser.find_elements(By.CSS_SELECTOR, "input.pick"))


def test_trigger_form_rating_at_most_two_assigns_to_maya_without_internal_names(careloop, browser):
    # setup
    sign_in(browser, careloop.base)
    browser.get(careloop.base + "/app/triggers/new")
    # only the rows in use show; "+ Add condition" brings another
    visible = [r for r in browser.find_elements(By.CSS_SELECTOR, ".condition") if r.is_displayed()]
    assert len(visible) == 1, len(visible)
    # act: pick everything by the words on screen; type only the trigger's name and the number
    browser.find_element(By.ID, "t-name").send_keys("Low stars go to Maya")
    Select(browser.find_element(By.ID, "t-event")).select_by_visible_text("A review is posted")
    Select(browser.find_element(By.ID, "c0-attribute")).select_by_visible_text("Rating")
    Select(browser.find_element(By.ID, "c0-op")).select_by_visible_text("is at most")
    browser.find_element(By.ID, "c0-value").send_keys("two")
    Select(browser.find_element(By.ID, "a0-type")).select_by_visible_text("Assign to")
    assert not browser.find_element(By.ID, "a0-text").is_displayed(), "assigning needs no message box"
    Select(browser.find_element(By.ID, "a0-agent")).select_by_visible_text("Maya Lopez")
    click_and_wait(browser, browser.find_element(By.ID, "save-trigger"))
    # check: a wrong value is named beside its field, and nothing chosen is lost
    error = browser.find_element(By.ID, "c0-error").text
    assert error.startswith("Condition 1"), error
    assert Select(browser.find_element(By.ID, "a0-agent")).first_selected_option.text == "Maya Lopez"
    browser.find_element(By.ID, "c0-value").clear()
    browser.find_element(By.ID, "c0-value").send_keys("2")
    screenshot(browser, "trigger-form")
    click_and_wait(browser, browser.find_element(By.ID, "save-trigger"))
    code, out = careloop.api("GET", "/api/v1/triggers")
    rule = next(t["definition"] for t in out["triggers"] if t["name"] == "Low stars go to Maya")
    assert rule["conditions"] == {"all": [{"attribute": "review.rating", "op": "lte", "value": 2}]}, rule
    assert rule["actions"] == [{"type": "assign", "to": "maya@browser.test"}], rule
    # act: a 1★ review comes in
    run = uuid.uuid4().hex[:8]
    careloop.review(f"maya-{run}@example.com", "Unhappy Person", 1, body="Broken")
    # check: Maya has it, and the list says the trigger fired
    code, out = careloop.api("GET", "/api/v1/conversations?per_page=100")
    mine = next(c for c in out["conversations"] if c["customer"]["email"] == f"maya-{run}@example.com")
    assert mine["assignee"]["email"] == "maya@browser.test", mine
    browser.get(careloop.base + "/app/triggers")
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "#trigger-list tbody tr") if "Low stars go to Maya" in r.text)
    assert "just now" in row.text and "1 time" in row.text, row.text
    # the new trigger is last: turn it off again so the other tests' conversations stay unassigned
    click_and_wait(browser, row.find_element(By.CSS_SELECTOR, "form button"))
