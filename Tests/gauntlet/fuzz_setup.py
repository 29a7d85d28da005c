"""Makes the data the fuzz run aims at, through the API, and prints it as shell assignments.

Usage: fuzz_setup.py BASE_URL API_KEY SLUG RECEIVER_URL

A 1-star review (the default trigger opens a conversation about it), two triggers (one to change,
one to delete), two webhooks (one to test, one to delete), two shop connections (one to read and
pause, one to delete), one dead-lettered delivery (the webhook's receiver answers 410 Gone, which
dead-letters a delivery at once) and one suppressed address (a delivery report to the care mail's
return path, signed with CARELOOP_SECRET as CareLoop signs it).
"""

import hashlib
import hmac
import json
import os
import shlex
import uuid
import sys
import time
import urllib.error
import urllib.request

base, key, slug, receiver = sys.argv[1:5]


def call(method, path, body=None, auth=key):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": "Bearer " + auth}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raise SystemExit(f"fuzz setup: {method} {path} answered {e.code}: {e.read()[:300]!r}")


out = {"FUZZ_SLUG": slug, "FUZZ_PRODUCT": "fuzz-mug"}

_, review = call("POST", "/api/v1/reviews", {
    "product": {"external_id": "fuzz-mug", "name": "Fuzz Mug", "url": "https://shop.example/mug"},
    "customer": {"email": "sam@example.com", "name": "Sam Lee"},
    "rating": 1, "title": "Chipped", "body": "The rim was chipped when it arrived."})
out["FUZZ_REVIEW_ID"] = review["id"]

_, conversations = call("GET", "/api/v1/conversations")
mine = [c for c in conversations["conversations"] if c["review_id"] == review["id"]]
if not mine:
    raise SystemExit("fuzz setup: the low-rating trigger opened no conversation")
out["FUZZ_CONVERSATION_ID"] = mine[0]["id"]

for var, name in (("FUZZ_TRIGGER_ID", "Fuzz: tag unhappy reviews"), ("FUZZ_TRIGGER_DELETE_ID", "Fuzz: to delete")):
    _, t = call("POST", "/api/v1/triggers", {
        "name": name, "event": "review.created",
        "conditions": {"all": [{"attribute": "review.rating", "op": "lte", "value": 2}]},
        "actions": [{"type": "add_tag", "tag": "unhappy"}]})
    out[var] = t["id"]

for var in ("FUZZ_WEBHOOK_ID", "FUZZ_WEBHOOK_DELETE_ID"):
    _, w = call("POST", "/api/v1/webhooks", {"url": receiver, "events": ["review.created"]})
    out[var] = w["id"]

call("POST", f"/api/v1/webhooks/{out['FUZZ_WEBHOOK_ID']}/test")
deadline = time.time() + 30
while True:
    _, jobs = call("GET", "/api/v1/outbox?status=dead&kind=webhook")
    if jobs["jobs"]:
        out["FUZZ_DEAD_JOB_ID"] = jobs["jobs"][0]["id"]
        break
    if time.time() > deadline:
        raise SystemExit("fuzz setup: the test delivery was not dead-lettered within 30 s")
    time.sleep(0.5)

for var, email in (("FUZZ_CUSTOMER_ID", "keep@example.com"), ("FUZZ_ERASE_CUSTOMER_ID", "erase@example.com")):
    _, order = call("POST", "/api/v1/orders", {
        "external_id": f"fuzz-{email}", "customer": {"email": email, "name": "Fuzz Customer"},
        "items": [{"product": {"external_id": "fuzz-mug", "name": "Fuzz Mug"}, "quantity": 1, "unit_price": 1200}]})
    out[var] = order["customer"]["id"]

out["FUZZ_ORDER"] = "fuzz-keep@example.com"

for var, domain in (("FUZZ_CONNECTION_ID", "fuzz-shop.myshopify.com"), ("FUZZ_CONNECTION_DELETE_ID", "fuzz-delete.example.com")):
    _, c = call("POST", "/api/v1/connections", {"platform": "shopify", "shop_domain": domain, "secret": "fuzz-shop-secret"})
    out[var] = c["id"]

_, inbound = call("GET", "/api/v1/settings/inbound-email")
out["FUZZ_INBOUND_SECRET"] = inbound["secret"]

# A bounce of the care mail: its return path is bounce+HEX(delivery id)+HEX(HMAC[:10])@MAIL_DOMAIN.
_, jobs = call("GET", "/api/v1/outbox?kind=email")
# The care mail to the customer (not the owner's notice of the same 1★ review).
delivery = uuid.UUID(next(j for j in jobs["jobs"] if j["type"] == "conversation_message")["id"]).hex
mac = hmac.new(("careloop-bounce:" + os.environ["CARELOOP_SECRET"]).encode(), delivery.encode(), hashlib.sha256).hexdigest()[:20]
report = "\r\n".join([
    "From: MAILER-DAEMON@fuzz.test", f"To: bounce+{delivery}{mac}@{os.environ['CARELOOP_MAIL_DOMAIN']}", "Subject: Undelivered",
    'Content-Type: multipart/report; report-type=delivery-status; boundary="R"', "", "--R", "Content-Type: message/delivery-status", "",
    "Reporting-MTA: dns; fuzz.test", "", "Final-Recipient: rfc822; sam@example.com", "Action: failed", "Status: 5.1.1", "--R--", ""])
req = urllib.request.Request(base + "/api/v1/inbound-email", data=report.encode(), method="POST",
                             headers={"Authorization": "Bearer " + out["FUZZ_INBOUND_SECRET"], "Content-Type": "message/rfc822"})
with urllib.request.urlopen(req, timeout=30) as r:
    answer = json.loads(r.read())
if answer.get("result") != "bounce":
    raise SystemExit(f"fuzz setup: the delivery report was not taken as a bounce: {answer}")
out["FUZZ_SUPPRESSED"] = "sam@example.com"

for k, v in out.items():
    print(f"export {k}={shlex.quote(str(v))}")
