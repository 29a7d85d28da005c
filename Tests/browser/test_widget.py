"""Collecting and showing reviews end to end, with real parts: an order is fulfilled, the request email
reaches a real SMTP server (aiosmtpd), a scanner following every link records nothing, the buyer's form
publishes a verified review, and the widget shows it on a third-party page served from another port,
in Chromium."""
import email, email.policy, functools, glob, html, http.server, json, os, re, shutil, subprocess, sys, tempfile, threading, time
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import click_and_wait, free_port, make_driver, sign_in

SUPPORT = os.path.join(os.path.dirname(__file__), "..", "support")
# Each sets window.__xss if it ever runs.
XSS = [
    '<script>window.__xss=1</script>', '<img src=x onerror="window.__xss=1">', '"><svg onload=window.__xss=1>',
    "</script><script>window.__xss=1</script>", "<a href=\"javascript:window.__xss=1\">x</a>", "<iframe srcdoc=\"<script>parent.__xss=1</script>\">",
]


@pytest.fixture(scope="module")
def shop():
    binary = os.environ.get("CARELOOP_BIN")
    assert binary and os.path.exists(binary), "set CARELOOP_BIN to the built careloop binary (scripts/test does)"
    work = tempfile.mkdtemp(prefix="careloop-widget-")
    smtp_port, port = free_port(), free_port()
    sink = subprocess.Popen([sys.executable, os.path.join(SUPPORT, "smtp_sink.py"), "--port", str(smtp_port), "--dir", f"{work}/mail"],
                            stdout=subprocess.PIPE, text=True)
    assert sink.stdout.readline().strip() == "ready"
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, CARELOOP_DATABASE_URL=f"sqlite://{work}/shop.sqlite", CARELOOP_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
               CARELOOP_MAIL_FROM="care@mail.test", CARELOOP_PUBLIC_URL=base, CARELOOP_REQUEST_SWEEP_SECONDS="0.5",
               CARELOOP_PUBLIC_CACHE_SECONDS="0")
    created = subprocess.run([binary, "create-store", "--name", "Widget Shop", "--slug", "widget", "--owner-email", "o@widget.test",
                              "--owner-password", "owner password"], env=env, capture_output=True, text=True, check=True)
    key = json.loads(created.stdout)["api_key"]
    server = subprocess.Popen([binary, "serve", "--hostname", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=open(f"{work}/server.log", "w"), stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz")
            break
        except OSError:
            time.sleep(0.05)
    yield {"base": base, "key": key, "mail": f"{work}/mail", "work": work}
    server.kill()
    server.wait()
    sink.kill()
    sink.wait()
    shutil.rmtree(work, ignore_errors=True)


def api(shop, method, path, body=None):
    req = urllib.request.Request(shop["base"] + path, data=json.dumps(body).encode() if body is not None else None, method=method)
    req.add_header("Authorization", "Bearer " + shop["key"])
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def wait_for_mail(folder, subject_start, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
            m = json.load(open(path))
            if m["headers"].get("subject", "").startswith(subject_start):
                return m
        time.sleep(0.1)
    raise AssertionError(f"no mail '{subject_start}' in {timeout}s")


@pytest.fixture(scope="module")
def third_party():
    """The shop's own storefront: another origin, serving a page with the one tag on it."""
    root = tempfile.mkdtemp(prefix="storefront-")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    shutil.rmtree(root, ignore_errors=True)


def storefront(root, base, product, extra=""):
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Storefront</title>
<link rel="stylesheet" href="{base}/widget.css">
<script>window.__cls = 0; new PerformanceObserver(function (l) {{ l.getEntries().forEach(function (e) {{ if (!e.hadRecentInput) window.__cls += e.value; }}); }})
  .observe({{type: "layout-shift", buffered: true}});</script></head>
<body style="font-family:serif"><h1>Our kettle</h1>
<div data-careloop-reviews="{product}" class="reviews-here"></div>
<script src="{base}/widget.js" data-store="widget" async></script>
<p id="below">Shipping and returns.</p>
<ul><li>Kettle <div data-careloop-product="{product}"></div></li><li>Lid <div data-careloop-product="lid"></div></li>
<li>Other <div data-careloop-product="unknown"></div></li></ul>{extra}</body></html>"""
    with open(os.path.join(root, "product.html"), "w") as f:
        f.write(page)


def shadow_text(driver, css):
    return driver.execute_script("var h = document.querySelector(arguments[0]); return h && h.shadowRoot ? h.shadowRoot.textContent : null;", css)


def test_order_to_request_email_to_verified_review_to_widget_on_a_storefront(shop, third_party):
    # The owner turns quiet hours off in Settings → Review requests (this test may run at any hour).
    driver = make_driver()
    try:
        sign_in(driver, shop["base"], ("o@widget.test", "owner password"))
        driver.get(shop["base"] + "/app/settings#review-requests")
        for field in ("req-quiet-start", "req-quiet-end"):
            box = driver.find_element(By.ID, field)
            box.clear()
            box.send_keys("0")
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/app/settings/requests'] button[type=submit]"))
        assert driver.find_element(By.ID, "req-quiet-end").get_attribute("value") == "0"
    finally:
        driver.quit()

    fulfilled = datetime.now(timezone.utc) - timedelta(days=8)
    stamp = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
    status, _ = api(shop, "POST", "/api/v1/orders", {
        "external_id": "W-1", "customer": {"email": "wren@example.com", "name": "Wren"}, "placed_at": stamp(fulfilled - timedelta(days=1)),
        "fulfilled_at": stamp(fulfilled), "items": [{"product": {"external_id": "kettle", "name": "Gooseneck Kettle"}, "quantity": 1}]})
    assert status == 201
    mail = wait_for_mail(shop["mail"], "How was your order from Widget Shop")
    # The email: to the buyer, with RFC 8058 headers.
    assert mail["rcpt_tos"] == ["wren@example.com"]
    assert mail["headers"]["list-unsubscribe"].startswith("<" + shop["base"] + "/u/")
    assert "mailto:unsubscribe@" in mail["headers"]["list-unsubscribe"]
    assert mail["headers"]["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
    links = sorted(set(html.unescape(l) for l in re.findall(re.escape(shop["base"]) + r"/[^\s\"<>]+", mail["text"] + mail["html"])))
    assert len(links) >= 7, links
    # A mail scanner follows every link: nothing is recorded.
    for link in links:
        with urllib.request.urlopen(link) as r:
            assert r.status == 200, link
    status, listed = api(shop, "GET", "/api/v1/reviews?per_page=100")
    assert status == 200 and listed["total"] == 0, listed

    # The buyer clicks 4★ and sends the form, in Chromium.
    four = next(l for l in links if "stars=4" in l)
    driver = make_driver()
    try:
        driver.get(four)
        assert driver.find_element(By.ID, "s-kettle-4").is_selected()
        assert not driver.find_element(By.ID, "s-kettle-5").is_selected()
        driver.find_element(By.ID, "title-kettle").send_keys("Pours beautifully")
        driver.find_element(By.ID, "body-kettle").send_keys("Steady hand, even heat.")
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(driver, 10).until(lambda d: "done=1" in d.current_url)
        assert "Thank you" in driver.page_source
    finally:
        driver.quit()
    status, listed = api(shop, "GET", "/api/v1/reviews?per_page=100")
    assert listed["total"] == 1
    review = listed["reviews"][0]
    assert review["rating"] == 4 and review["verified"] is True and review["status"] == "published", review

    # More reviews, some written to attack the page, so there is a second page.
    for i, payload in enumerate(XSS + ["Plain words"] * 2):
        status, out = api(shop, "POST", "/api/v1/reviews", {
            "product": {"external_id": "kettle"}, "customer": {"email": f"x{i}@example.com", "name": payload[:90]},
            "rating": 1 + i % 5, "title": payload[:200], "body": payload, "author_name": payload[:100]})
        assert status == 201, out
    api(shop, "POST", "/api/v1/orders", {"external_id": "W-2", "customer": {"email": "lid@example.com"},
                                         "items": [{"product": {"external_id": "lid", "name": "Spare Lid"}, "quantity": 1}]})

    # The storefront, on another origin.
    root, origin = third_party
    storefront(root, shop["base"], "kettle")
    driver = make_driver()
    try:
        driver.get(origin + "/product.html")
        WebDriverWait(driver, 10).until(lambda d: "Page 1 of 2" in (shadow_text(d, '.reviews-here') or ""))
        text = shadow_text(driver, '.reviews-here')
        assert "3.0 out of 5 · 9 reviews" in text or "out of 5 · 9 reviews" in text, text
        assert "<img src=x" in text or "window.__xss" in text, "attack text is shown as text"
        # Product cards: every summary from one request.
        WebDriverWait(driver, 10).until(lambda d: "reviews" in (d.execute_script(
            "return document.querySelector('[data-careloop-product=kettle]').shadowRoot.textContent") or ""))
        assert "No reviews yet" in driver.execute_script("return document.querySelector('[data-careloop-product=lid]').shadowRoot.textContent")
        requests = driver.execute_script("return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
        assert len([r for r in requests if "/summaries?" in r]) == 1, requests
        assert not [r for r in requests if "/embed/widget/lid" in r], "cards never load one list each"

        # Paging, from the keyboard's point of view: the next page's link is a real link.
        host = driver.find_element(By.CSS_SELECTOR, '.reviews-here')
        nxt = host.shadow_root.find_element(By.CSS_SELECTOR, "a[rel=next]")
        nxt.click()
        WebDriverWait(driver, 10).until(lambda d: "Page 2 of 2" in shadow_text(d, '.reviews-here'))
        # The buyer's review, oldest, is on the second page, marked verified.
        text = shadow_text(driver, '.reviews-here')
        assert "Pours beautifully" in text and "Verified buyer" in text, text

        # The write form is there and labelled.
        write = host.shadow_root.find_element(By.CSS_SELECTOR, "button[aria-expanded]")
        write.click()
        host.shadow_root.find_element(By.CSS_SELECTOR, "input[name=rating][value='5']").click()
        host.shadow_root.find_element(By.ID, "cl-author_name").send_keys("Sam")
        host.shadow_root.find_element(By.ID, "cl-author_email").send_keys("sam@example.com")
        host.shadow_root.find_element(By.ID, "cl-body").send_keys("Lovely")
        host.shadow_root.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(driver, 10).until(lambda d: "Thank you" in shadow_text(d, '.reviews-here'))

        # Nothing from the reviews ran, and nothing on the page moved.
        assert driver.execute_script("return window.__xss") is None
        assert driver.execute_script("return window.__cls") == 0, driver.execute_script("return window.__cls")
        below = driver.find_element(By.ID, "below").location["y"]
        assert below > 500, "the widget's height was reserved above the rest of the page"
    finally:
        driver.quit()


def test_talk_to_us_from_the_widget_opens_a_conversation_once_the_address_confirms(shop, third_party):
    """'Need help with your order? Talk to us', beside the review form: a hosted page, a link mailed to
    the address typed in (a scanner opening it sends nothing), and one button that opens the conversation."""
    root, origin = third_party
    storefront(root, shop["base"], "kettle")
    before = api(shop, "GET", "/api/v1/conversations?per_page=100")[1]
    driver = make_driver()
    try:
        driver.get(origin + "/product.html")
        host = driver.find_element(By.CSS_SELECTOR, ".reviews-here")
        WebDriverWait(driver, 10).until(lambda d: "Talk to us" in (shadow_text(d, ".reviews-here") or ""))
        link = host.shadow_root.find_element(By.CSS_SELECTOR, "a.help")
        assert host.shadow_root.find_element(By.CSS_SELECTOR, "button[aria-expanded]"), "the review form stays beside it"
        href = link.get_attribute("href")
        assert href == shop["base"] + "/s/widget/help", href
        assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")

        # act: the customer writes on the hosted page
        driver.get(href)
        driver.find_element(By.ID, "email").send_keys("help-seeker@example.com")
        driver.find_element(By.ID, "name").send_keys("Hana")
        driver.find_element(By.ID, "message").send_keys("My kettle's lid is cracked. <b>not bold</b>")
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
        assert "We sent a link" in driver.page_source or "sent a link" in driver.find_element(By.TAG_NAME, "body").text

        # check: a mail to the address, naming only the store; nothing opened yet
        mail = wait_for_mail(shop["mail"], "Please confirm your message to Widget Shop")
        text = mail["text"]
        assert "cracked" not in text, "nothing a stranger typed is mailed"
        confirm = re.search(r"(http://127\.0\.0\.1:\d+/help/[^\s]+)", text).group(1)
        urllib.request.urlopen(confirm).read()  # a mail scanner
        assert api(shop, "GET", "/api/v1/conversations?per_page=100")[1]["total"] == before["total"]

        # act: the owner of the address opens the link and presses the button
        driver.get(confirm)
        assert "cracked" in driver.find_element(By.TAG_NAME, "blockquote").text
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))

        # check: the conversation's page, with their message (as text), and one conversation for the store
        assert "/c/" in driver.current_url, driver.current_url
        assert "<b>not bold</b>" in driver.find_element(By.TAG_NAME, "body").text
        after = api(shop, "GET", "/api/v1/conversations?per_page=100")[1]
        assert after["total"] == before["total"] + 1
        # The same link again leads to the same conversation, opening nothing new.
        driver.get(confirm)
        assert "/c/" in driver.current_url
        assert api(shop, "GET", "/api/v1/conversations?per_page=100")[1]["total"] == after["total"]
    finally:
        driver.quit()
