#!/usr/bin/env python3
"""bench/care_clicks.py BASE OWNER_EMAIL OWNER_PASSWORD API_KEY AGENT_EMAIL [N] — a care agent's MOUSE
path in Chromium, counted: every click and every key that is not the message's own text, per
conversation, from the inbox row to done. Two tasks, N conversations each:

  note then reply — an internal note for the team, then a reply to the customer;
  handoff         — a note for a teammate, and the conversation assigned to them.

It takes the shortest mouse path the page offers (an older build's controls when the new ones are
not there), checks through the API that each task really happened (the note, the reply, the
assignee), and prints the median per task. bench/care_clicks runs it against each build given."""
import json, shutil, statistics, sys, time, urllib.request, uuid

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

base, email, password, key, agent = sys.argv[1:6]
n = int(sys.argv[6]) if len(sys.argv) > 6 else 5


def api(method, path, body=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body else None, method=method)
    req.add_header("Authorization", "Bearer " + key)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")


class Counter:
    def __init__(self, driver):
        self.driver, self.clicks = driver, 0

    def click(self, element, loads=False):
        self.clicks += 1
        old = self.driver.find_element(By.TAG_NAME, "html") if loads else None
        element.click()
        if loads:
            WebDriverWait(self.driver, 20).until(lambda d: stale(old))
            WebDriverWait(self.driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def pick(self, select, text):
        """Opening a list and choosing in it: two clicks, as a person makes them."""
        self.clicks += 2
        Select(select).select_by_visible_text(text)


def stale(element):
    try:
        element.is_enabled()
        return False
    except Exception:
        return True


def typing_into_reply(driver, c, text):
    box = driver.find_element(By.ID, "reply-body")
    if driver.switch_to.active_element != box:
        c.click(box)
    box.send_keys(text)   # the message itself: not counted


def open_row(driver, c, customer):
    driver.get(base + "/app/inbox?q=" + customer)   # where the agent already is: not counted
    c.click(driver.find_element(By.CSS_SELECTOR, "a.row"), loads=True)


def note_then_reply(driver, customer):
    c = Counter(driver)
    open_row(driver, c, customer)
    if driver.find_elements(By.ID, "add-note"):
        typing_into_reply(driver, c, "Customer says the lid leaks; replacing.")
        c.click(driver.find_element(By.ID, "add-note"))
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "reply-body").get_attribute("value") == "")
    else:
        c.click(driver.find_element(By.ID, "mode-note"))
        c.click(driver.find_element(By.ID, "reply-body"))
        driver.find_element(By.ID, "reply-body").send_keys("Customer says the lid leaks; replacing.")
        c.click(driver.find_element(By.ID, "send-reply"), loads=True)
    typing_into_reply(driver, c, "A new lid is on its way today.")
    c.click(driver.find_element(By.ID, "send-reply"), loads=True)
    return c.clicks


def handoff(driver, customer, agent_name):
    c = Counter(driver)
    open_row(driver, c, customer)
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "#handoffs button") if b.text == f"Hand to {agent_name}"]
    if buttons:
        typing_into_reply(driver, c, "Ann, this one is about a refund: yours.")
        c.click(buttons[0], loads=True)
    else:
        c.click(driver.find_element(By.ID, "mode-note"))
        c.click(driver.find_element(By.ID, "reply-body"))
        driver.find_element(By.ID, "reply-body").send_keys("Ann, this one is about a refund: yours.")
        c.click(driver.find_element(By.ID, "send-reply"), loads=True)
        c.pick(driver.find_element(By.ID, "assignee"), agent_name)
        c.click(driver.find_element(By.CSS_SELECTOR, "#assign-form button[type=submit]"))
        WebDriverWait(driver, 10).until(lambda d: "Saved" in d.find_element(By.ID, "in-place-status").text)
    return c.clicks


def conversation(customer):
    listed = api("GET", "/api/v1/conversations?per_page=100")["conversations"]
    cid = next(x["id"] for x in listed if x["customer"]["email"] == customer)
    return api("GET", f"/api/v1/conversations/{cid}")


run = uuid.uuid4().hex[:8]
customers = {task: [f"{task[:4]}{i}-{run}@example.com" for i in range(n)] for task in ("note", "handoff")}
for emails in customers.values():
    for e in emails:
        api("POST", "/api/v1/reviews", {"product": {"external_id": "clicks", "name": "Click Kettle"},
                                        "customer": {"email": e, "name": "Kim"}, "rating": 1, "body": f"clicks {run}"})
options = webdriver.ChromeOptions()
for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]:
    options.add_argument(arg)
options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver"))
counts = {"note then reply": [], "handoff": []}
try:
    driver.get(base + "/app/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 20).until(lambda d: "/app/inbox" in d.current_url)
    agent_name = "Ann Agent"
    for e in customers["note"]:
        counts["note then reply"].append(note_then_reply(driver, e))
        c = conversation(e)
        authors = [m["author"] for m in c["messages"]]
        assert authors.count("note") == 1 and authors.count("staff") == 2, authors   # the care trigger's message and the reply
    for e in customers["handoff"]:
        counts["handoff"].append(handoff(driver, e, agent_name))
        c = conversation(e)
        assert c["assignee"] and c["assignee"]["email"] == agent, c["assignee"]
        assert [m["author"] for m in c["messages"]].count("note") == 1
finally:
    driver.quit()
for task, values in counts.items():
    print(f"{task}: median {statistics.median(values):g} clicks and keys per conversation ({values})")
