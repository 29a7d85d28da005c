"""Browser tests: the real careloop binary on a SQLite file, driven by Selenium through Debian's
chromium and chromium-driver (headless). scripts/test builds the binary and sets CARELOOP_BIN."""
import json, os, shutil, socket, subprocess, tempfile, time, urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

OWNER = ("owner@browser.test", "owner password")
AGENT = ("agent@browser.test", "agent password")
MAYA = ("maya@browser.test", "maya password")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class CareLoop:
    def __init__(self, base, key, inbound_secret):
        self.base, self.key, self.inbound_secret = base, key, inbound_secret

    def api(self, method, path, body=None, raw=None, content_type="application/json", key=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + (key or self.key))
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def review(self, email, name, rating, title=None, body=None, product="kettle", product_name="Gooseneck Kettle"):
        payload = {"product": {"external_id": product, "name": product_name}, "customer": {"email": email, "name": name}, "rating": rating}
        if title is not None:
            payload["title"] = title
        if body is not None:
            payload["body"] = body
        status, out = self.api("POST", "/api/v1/reviews", payload)
        assert status == 201, out
        return out


@pytest.fixture(scope="session")
def careloop():
    binary = os.environ.get("CARELOOP_BIN")
    assert binary and os.path.exists(binary), "set CARELOOP_BIN to the built careloop binary (scripts/test does)"
    work = tempfile.mkdtemp(prefix="careloop-browser-")
    env = dict(os.environ, CARELOOP_DATABASE_URL=f"sqlite://{work}/careloop.sqlite", CARELOOP_MAIL_DOMAIN="mail.test")
    created = subprocess.run([binary, "create-store", "--name", "Browser Shop", "--slug", "browser", "--owner-email", OWNER[0],
                              "--owner-password", OWNER[1]], env=env, capture_output=True, text=True, check=True)
    key = json.loads(created.stdout)["api_key"]
    subprocess.run([binary, "add-staff", "--store", "browser", "--email", AGENT[0], "--password", AGENT[1], "--name", "Ann Agent"],
                   env=env, capture_output=True, text=True, check=True)
    subprocess.run([binary, "add-staff", "--store", "browser", "--email", MAYA[0], "--password", MAYA[1], "--name", "Maya Lopez"],
                   env=env, capture_output=True, text=True, check=True)
    port = free_port()
    server = subprocess.Popen([binary, "serve", "--hostname", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=open(f"{work}/server.log", "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz")
            break
        except OSError:
            time.sleep(0.05)
    loop = CareLoop(base, key, None)
    status, settings = loop.api("GET", "/api/v1/settings/inbound-email")
    assert status == 200
    loop.inbound_secret = settings["secret"]
    yield loop
    server.kill()
    server.wait()
    shutil.rmtree(work, ignore_errors=True)


def make_driver(width=1280, height=900):
    options = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"]:
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(options=options, service=service)


@pytest.fixture
def browser():
    driver = make_driver()
    yield driver
    driver.quit()


def click_and_wait(driver, element):
    """Clicks something that loads a new page, and waits until the old one is gone."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(_):
        try:
            old.is_enabled()
            return False
        except WebDriverException:   # stale, or "node does not belong to the document": the page is new
            return True
    WebDriverWait(driver, 10).until(replaced)


def sign_in(driver, base, who=OWNER):
    from selenium.webdriver.common.by import By
    driver.get(base + "/app/login")
    driver.find_element(By.ID, "email").send_keys(who[0])
    driver.find_element(By.ID, "password").send_keys(who[1])
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert "/app/inbox" in driver.current_url, driver.page_source[:500]


def screenshot(driver, name):
    """Saves a picture of the page for the README when CARELOOP_SCREENSHOTS names a folder."""
    folder = os.environ.get("CARELOOP_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        driver.save_screenshot(os.path.join(folder, name + ".png"))


def start_shop_with_mail(prefix, slug, owner, extra_env=None):
    """The careloop binary on its own SQLite file with a real SMTP server (aiosmtpd) beside it, and a
    store whose owner is `owner`. Returns a dict (base, key, mail folder) and a function that stops both."""
    import sys
    binary = os.environ.get("CARELOOP_BIN")
    assert binary and os.path.exists(binary), "set CARELOOP_BIN to the built careloop binary (scripts/test does)"
    work = tempfile.mkdtemp(prefix=prefix)
    smtp_port, port = free_port(), free_port()
    support = os.path.join(os.path.dirname(__file__), "..", "support")
    sink = subprocess.Popen([sys.executable, os.path.join(support, "smtp_sink.py"), "--port", str(smtp_port), "--dir", f"{work}/mail"],
                            stdout=subprocess.PIPE, text=True)
    assert sink.stdout.readline().strip() == "ready"
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, CARELOOP_DATABASE_URL=f"sqlite://{work}/shop.sqlite", CARELOOP_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
               CARELOOP_MAIL_FROM="care@mail.test", CARELOOP_MAIL_DOMAIN="mail.test", CARELOOP_PUBLIC_URL=base, **(extra_env or {}))
    created = subprocess.run([binary, "create-store", "--name", "Every Day Shop", "--slug", slug, "--owner-email", owner[0],
                              "--owner-password", owner[1]], env=env, capture_output=True, text=True, check=True)
    key = json.loads(created.stdout)["api_key"]
    server = subprocess.Popen([binary, "serve", "--hostname", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=open(f"{work}/server.log", "w"), stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz")
            break
        except OSError:
            time.sleep(0.05)

    def stop():
        server.kill()
        server.wait()
        sink.kill()
        sink.wait()
        shutil.rmtree(work, ignore_errors=True)
    return {"base": base, "key": key, "mail": f"{work}/mail", "work": work, "loop": CareLoop(base, key, None)}, stop


def mails(folder):
    """Every mail the SMTP sink took, in the order it took them."""
    import glob
    return [json.load(open(p)) for p in sorted(glob.glob(os.path.join(folder, "*.json")))]
