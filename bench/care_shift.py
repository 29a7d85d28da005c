#!/usr/bin/env python3
"""bench/care_shift.py BASE OWNER_EMAIL OWNER_PASSWORD API_KEY — the five-conversation care shift of
Tests/browser/test_care_shift.py against a running server (bench/dashboard runs it on its big
store): Chromium, keyboard only. For each action it prints the time from the browser's request to
the last byte of the page that action led to, redirects included (Navigation Timing), on loopback,
and the server's own time for every request the action made (the form post, its redirect and the
page), read from the server's request-duration histogram at /metrics before and after the action
(CARELOOP_METRICS_TOKEN must be the server's metrics token)."""
import json, os, re, shutil, sys, time, urllib.request, uuid

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

base, email, password, key = sys.argv[1:5]


def api(method, path, body=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body else None, method=method)
    req.add_header("Authorization", "Bearer " + key)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")


METRICS_TOKEN = os.environ.get("CARELOOP_METRICS_TOKEN", "")


def server_seconds():
    """Seconds the server has spent answering requests so far (every route but /metrics itself)."""
    req = urllib.request.Request(base + "/metrics")
    req.add_header("Authorization", "Bearer " + METRICS_TOKEN)
    with urllib.request.urlopen(req) as r:
        text = r.read().decode()
    return sum(float(m.group(2)) for m in re.finditer(r'^http_request_duration_seconds_sum\{([^}]*)\} (\S+)$', text, re.M)
               if 'path="/metrics"' not in m.group(1))


def loaded_after(driver, act):
    old = driver.find_element(By.TAG_NAME, "html")
    before = server_seconds()
    act()

    def gone(_):
        try:
            old.is_enabled()
            return False
        except Exception:
            return True
    WebDriverWait(driver, 30).until(gone)
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    total, redirect = driver.execute_script(
        "var t = performance.getEntriesByType('navigation')[0]; return [t.responseEnd - t.startTime, t.redirectEnd - t.redirectStart];")
    return total, redirect, (server_seconds() - before) * 1000


run = uuid.uuid4().hex[:8]
for i in range(5):
    api("POST", "/api/v1/reviews", {"product": {"external_id": "shift-kettle", "name": "Shift Kettle"},
                                    "customer": {"email": f"shift{i}-{run}@example.com", "name": f"Shift{i} Person"}, "rating": 1,
                                    "body": f"shift {run}"})
options = webdriver.ChromeOptions()
for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]:
    options.add_argument(arg)
options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver"))
try:
    driver.get(base + "/app/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    loaded_after(driver, lambda: driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click())
    driver.get(base + "/app/settings")
    driver.find_element(By.ID, "saved-title").send_keys(f"Replacement {run}")
    driver.find_element(By.ID, "saved-body").send_keys("Hi {{customer.first_name}}, a replacement is on its way today.")
    loaded_after(driver, lambda: driver.find_element(By.CSS_SELECTOR, "form[action='/app/settings/saved-replies'] button").click())
    driver.get(base + "/app/inbox")
    rows = []
    started = time.monotonic()
    rows.append(("search the inbox", loaded_after(driver, lambda: (driver.switch_to.active_element.send_keys("/"),
                                                                  driver.switch_to.active_element.send_keys(run, Keys.ENTER)))))
    driver.find_element(By.TAG_NAME, "body").send_keys("j")
    rows.append(("open the first", loaded_after(driver, lambda: driver.switch_to.active_element.send_keys(Keys.ENTER))))
    for i in range(5):
        a = driver.switch_to.active_element
        a.send_keys("r")
        driver.switch_to.active_element.send_keys("/")
        driver.switch_to.active_element.send_keys("replace", Keys.ENTER)
        keys = (Keys.CONTROL, Keys.ENTER) if i < 4 else (Keys.CONTROL, Keys.SHIFT, Keys.ENTER)
        rows.append(("send and next" if i < 4 else "send and resolve",
                     loaded_after(driver, lambda: driver.switch_to.active_element.send_keys(*keys))))
    elapsed = time.monotonic() - started
finally:
    driver.quit()
print(f"{'care shift action (Chromium, keyboard)':40} {'browser ms':>11} {'redirect ms':>12} {'server ms':>10}")
for what, (total, redirect, server) in rows:
    print(f"{what:40} {total:11.1f} {redirect:12.1f} {server:10.1f}")
totals = [t for _, (t, _, _) in rows]
servers = [s for _, (_, _, s) in rows]
print(f"five conversations in {elapsed:.1f} s wall time (typing included)")
print(f"browser time per action: slowest {max(totals):.1f} ms, mean {sum(totals) / len(totals):.1f} ms")
print(f"server time per action (every request it made): slowest {max(servers):.1f} ms, mean {sum(servers) / len(servers):.1f} ms (target: under 50 ms)")
