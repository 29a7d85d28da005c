#!/usr/bin/env python3
"""Signed Shopify orders/create deliveries at a steady rate: for each binary in turn, on a fresh
SQLite file, one store with one Shopify connection receives RATE deliveries a second for SECONDS,
open loop (each delivery leaves at its scheduled time whatever the earlier ones are doing; a
delivery that has to wait for the client counts that wait, as every figure is taken from the
schedule). Each delivery is a distinct order (its own id and line items; buyers from a pool of
2 000, so customers repeat) of 5–8 KB, the REST Order resource as Shopify posts it, signed with
the connection's secret over the raw bytes.

  connect.py --bins "old=/path/a new=/path/b" [--seconds 30] [--rate 200]

Printed for each binary: delivery → 200 and delivery → order readable through the API (every 10th
delivery, GET /api/v1/orders/{id} right after its 200 and every 5 ms until it answers 200), p50/p95/
p99/max from the scheduled send; /healthz asked 10 times a second meanwhile; answers that were not
200; the server's CPU seconds (/proc/PID/stat) and peak RSS (VmHWM); warnings and errors in the
server's log. With two binaries, the ratios first/second. Requests go over kept-alive HTTP/1.1
connections: a pool that opens another connection only when every open one is waiting for an answer.
"""
import argparse, asyncio, base64, collections, gc, hashlib, hmac, json, os, random, re, resource, secrets, shutil, sys, tempfile, time, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "support"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from postfix import SmtpSink  # noqa: E402
from care_latency import Server, api  # noqa: E402  (the same server start, env and CPU reading)

SHOP = "bench-shop.myshopify.com"
GOAL_MS = 50
SAMPLE_EVERY = 10
POLL_S = 0.005
TIMEOUT_S = 60


# ---------------------------------------------------------------------------------------------
# Orders as Shopify sends them (REST Order resource, compact JSON).

FIRST = ["Lena", "Jonas", "Mia", "Noah", "Emma", "Luca", "Sofia", "Elias", "Hannah", "Finn", "Léa", "Mateo", "Zoë", "Ömer",
         "Chloé", "Oskar", "Ines", "Théo", "Marta", "Jakub", "Aoife", "Sven", "Clara", "Nils", "Amélie"]
LAST = ["Hoffmann", "Müller", "Schmidt", "Dubois", "Rossi", "García", "Nowak", "Jansen", "Larsen", "O'Brien", "Weber",
        "Fischer", "Moreau", "Bianchi", "Kowalski", "Novák", "Andersson", "Keller", "Brandt", "Lefèvre"]
COUNTRIES = [("Germany", "DE", "Berlin", "10115"), ("Austria", "AT", "Wien", "1010"), ("France", "FR", "Lyon", "69001"),
             ("Netherlands", "NL", "Utrecht", "3511"), ("Italy", "IT", "Milano", "20121"), ("Spain", "ES", "Valencia", "46001"),
             ("Poland", "PL", "Kraków", "31-001"), ("United Kingdom", "GB", "Leeds", "LS1 1UR")]
LOCALES = ["de", "en", "fr", "nl", "it", "es", "pl", "en"]
VENDORS = ["Brühwerk", "Nordkeramik", "Atelier Lumen", "Kaffeeklatsch & Co.", "Hygge Home"]
THINGS = ["Glass Kettle", "Stoneware Mug", "Pour-over Set", "Milk Jug", "Tea Strainer", "Coffee Grinder", "Serving Tray",
          "Linen Napkins", "Espresso Cups", "Cold Brew Bottle", "Bread Board", "Butter Dish"]
COLOURS = ["Smoke", "Sand", "Moss", "Charcoal", "Clay", "Ocean", "Chalk", "Rust"]
SIZES = ["250 ml", "350 ml", "500 ml", "1.0 l", "1.7 l", "S", "M", "L"]
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148"


def money(amount, cur):
    m = {"amount": amount, "currency_code": cur}
    return {"shop_money": m, "presentment_money": dict(m)}


def cents(c):
    return f"{c // 100}.{c % 100:02d}"


def catalog(rng, count=300):
    products = []
    for p in range(count):
        thing, vendor = rng.choice(THINGS), rng.choice(VENDORS)
        variants = []
        for v in range(rng.randint(1, 3)):
            colour, size = rng.choice(COLOURS), rng.choice(SIZES)
            variants.append({"id": 44120394850000 + p * 10 + v, "title": f"{colour} / {size}", "grams": rng.randint(150, 1800),
                             "sku": f"{thing[:3].upper()}-{p:03d}-{colour[:3].upper()}{v}", "price": rng.randint(900, 12900)})
        products.append({"id": 8120394850000 + p, "title": f"{thing} {p}", "vendor": vendor, "variants": variants})
    return products


def buyers(rng, count=2000):
    out = []
    for k in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        country = rng.choice(COUNTRIES)
        slug = re.sub(r"[^a-z]", "", (first + "." + last).lower().encode("ascii", "ignore").decode()) or "buyer"
        out.append({"id": 7120394850000 + k, "first": first, "last": last, "email": f"{slug}.{k}@example.com",
                    "country": country, "locale": rng.choice(LOCALES), "consent": rng.choice(["subscribed", "not_subscribed", "subscribed"]),
                    "phone": f"+49151{rng.randint(1000000, 9999999)}", "street": f"{rng.choice(LAST)}straße {rng.randint(1, 180)}"})
    return out


def address(b):
    name, (country, code, city, zip_) = f"{b['first']} {b['last']}", b["country"]
    return {"first_name": b["first"], "address1": b["street"], "phone": b["phone"], "city": city, "zip": zip_, "province": None,
            "country": country, "last_name": b["last"], "address2": None, "company": None, "latitude": None, "longitude": None,
            "name": name, "country_code": code, "province_code": None}


def order(i, rng, products, pool, base_time):
    """The i-th order: its own id, number and line items; a buyer from the pool."""
    b = pool[rng.randrange(len(pool))]
    cur = "EUR" if b["country"][1] != "GB" else "GBP"
    oid = 5938471200000 + i
    created = base_time + i
    stamp = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S-05:00", time.gmtime(t - 5 * 3600))
    lines, subtotal, tax_total = [], 0, 0
    for n, p in enumerate(rng.sample(products, rng.choice([1, 1, 2, 2, 2, 3]))):
        v = rng.choice(p["variants"])
        qty = rng.choice([1, 1, 1, 2])
        tax = v["price"] * qty * 19 // 119
        subtotal += v["price"] * qty
        tax_total += tax
        lines.append({
            "id": 14620938400000 + i * 10 + n, "admin_graphql_api_id": f"gid://shopify/LineItem/{14620938400000 + i * 10 + n}",
            "attributed_staffs": [], "current_quantity": qty, "fulfillable_quantity": qty, "fulfillment_service": "manual",
            "fulfillment_status": None, "gift_card": False, "grams": v["grams"], "name": f"{p['title']} - {v['title']}",
            "price": cents(v["price"]), "price_set": money(cents(v["price"]), cur), "product_exists": True, "product_id": p["id"],
            "properties": [], "quantity": qty, "requires_shipping": True, "sku": v["sku"], "taxable": True, "title": p["title"],
            "total_discount": "0.00", "total_discount_set": money("0.00", cur), "variant_id": v["id"],
            "variant_inventory_management": "shopify", "variant_title": v["title"], "vendor": p["vendor"],
            "tax_lines": [{"channel_liable": False, "price": cents(tax), "price_set": money(cents(tax), cur), "rate": 0.19,
                           "title": "MwSt"}],
            "duties": [], "discount_allocations": []})
    shipping = 495 if subtotal < 5000 else 0
    total = subtotal + shipping
    token = hashlib.md5(f"order{i}".encode()).hexdigest()
    cust = {"id": b["id"], "email": b["email"], "created_at": stamp(base_time - 86400 * 30), "updated_at": stamp(created),
            "first_name": b["first"], "last_name": b["last"], "state": "enabled", "note": None, "verified_email": True,
            "multipass_identifier": None, "tax_exempt": False, "phone": None,
            "email_marketing_consent": {"state": b["consent"], "opt_in_level": "single_opt_in", "consent_updated_at": stamp(created - 12)},
            "sms_marketing_consent": None, "tags": "", "currency": cur, "tax_exemptions": [],
            "admin_graphql_api_id": f"gid://shopify/Customer/{b['id']}"}
    return {
        "id": oid, "admin_graphql_api_id": f"gid://shopify/Order/{oid}", "app_id": 580111, "browser_ip": f"203.0.113.{i % 250 + 1}",
        "buyer_accepts_marketing": b["consent"] == "subscribed", "cancel_reason": None, "cancelled_at": None,
        "cart_token": f"Z2NwLWV1cm9wZS13ZXN0MTpudWxs{token[:12]}", "checkout_id": 36120394850000 + i,
        "checkout_token": token, "client_details": {"accept_language": f"{b['locale']}-{b['country'][1]}", "browser_height": None,
                                                    "browser_ip": f"203.0.113.{i % 250 + 1}", "browser_width": None,
                                                    "session_hash": None, "user_agent": UA},
        "closed_at": None, "company": None, "confirmation_number": token[:9].upper(), "confirmed": True, "contact_email": b["email"],
        "created_at": stamp(created), "currency": cur, "current_subtotal_price": cents(subtotal),
        "current_total_discounts": "0.00", "current_total_price": cents(total), "current_total_tax": cents(tax_total), "customer_locale": b["locale"], "device_id": None,
        "discount_codes": [], "email": b["email"], "estimated_taxes": False, "financial_status": "paid", "fulfillment_status": None,
        "landing_site": "/collections/all?utm_source=newsletter", "landing_site_ref": None, "location_id": None,
        "merchant_of_record_app_id": None, "name": f"#{1001 + i}", "note": None, "note_attributes": [], "number": 1 + i,
        "order_number": 1001 + i, "order_status_url": f"https://{SHOP}/61203948571/orders/{token}",
        "original_total_additional_fees_set": None, "original_total_duties_set": None,
        "payment_gateway_names": ["shopify_payments"], "phone": None, "po_number": None, "presentment_currency": cur,
        "processed_at": stamp(created), "reference": None, "referring_site": "https://www.google.com/", "source_identifier": None,
        "source_name": "web", "source_url": None, "subtotal_price": cents(subtotal), "subtotal_price_set": money(cents(subtotal), cur),
        "tags": "", "tax_exempt": False,
        "tax_lines": [{"price": cents(tax_total), "rate": 0.19, "title": "MwSt", "price_set": money(cents(tax_total), cur),
                       "channel_liable": False}],
        "taxes_included": True, "test": False, "token": token, "total_discounts": "0.00", "total_discounts_set": money("0.00", cur),
        "total_line_items_price": cents(subtotal), "total_line_items_price_set": money(cents(subtotal), cur),
        "total_outstanding": "0.00", "total_price": cents(total), "total_price_set": money(cents(total), cur),
        "total_shipping_price_set": money(cents(shipping), cur), "total_tax": cents(tax_total),
        "total_tax_set": money(cents(tax_total), cur), "total_tip_received": "0.00",
        "total_weight": sum(l["grams"] * l["quantity"] for l in lines), "updated_at": stamp(created + 4), "user_id": None,
        "billing_address": address(b), "customer": cust, "discount_applications": [], "fulfillments": [], "line_items": lines,
        "payment_terms": None, "refunds": [], "shipping_address": address(b),
        "shipping_lines": [{"id": 4720394850000 + i, "carrier_identifier": None, "code": "Standard", "discounted_price": cents(shipping),
                            "phone": None, "price": cents(shipping),
                            "price_set": money(cents(shipping), cur), "requested_fulfillment_service_id": None,
                            "source": "shopify", "title": "Standard", "tax_lines": [], "discount_allocations": []}],
    }


def make_orders(count):
    """The same orders for every binary (seeded), as the bytes posted, with their ids."""
    rng = random.Random(20261120)
    products, pool = catalog(rng), buyers(rng)
    base_time = int(time.time()) - count - 60
    out = []
    for i in range(count):
        o = order(i, rng, products, pool, base_time)
        out.append((str(o["id"]), json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode()))
    return out


# ---------------------------------------------------------------------------------------------
# A small HTTP/1.1 client over asyncio streams, with kept-alive connections.

class Conn:
    def __init__(self, reader, writer):
        self.reader, self.writer, self.closed = reader, writer, False

    @classmethod
    async def open(cls, port):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        return cls(r, w)

    def usable(self):
        return not self.closed and not self.reader.at_eof() and not self.writer.is_closing()

    def close(self):
        self.closed = True
        try:
            self.writer.close()
        except Exception:
            pass

    async def roundtrip(self, data):
        self.writer.write(data)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            self.closed = True
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body


class Pool:
    """Kept-alive connections to one server: the most recently freed is used first; another is opened
    only when all are busy."""

    def __init__(self, port):
        self.port, self.idle, self.opened = port, [], 0

    async def request(self, data, timeout=TIMEOUT_S):
        conn = None
        while self.idle and conn is None:
            c = self.idle.pop()
            if c.usable():
                conn = c
            else:
                c.close()
        if conn is None:
            conn = await asyncio.wait_for(Conn.open(self.port), timeout)
            self.opened += 1
        try:
            status, headers, body = await asyncio.wait_for(conn.roundtrip(data), timeout)
        except BaseException:
            conn.close()
            raise
        if conn.usable():
            self.idle.append(conn)
        return status, body

    def close(self):
        for c in self.idle:
            c.close()
        self.idle = []


def request_bytes(method, path, port, headers=(), body=b""):
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"] + [f"{k}: {v}" for k, v in headers]
    if body or method in ("POST", "PUT", "PATCH"):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


# ---------------------------------------------------------------------------------------------

def pct(xs, q):
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def rss_peak_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def drive(port, key, url_path, orders, rate, seconds, secret):
    n = min(len(orders), int(rate * seconds))
    loop = asyncio.get_running_loop()
    triggered = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    path = url_path  # the connection's delivery URL, with its unguessable key
    prepared = []
    for external_id, body in orders[:n]:
        sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        prepared.append((external_id, request_bytes("POST", path, port, [
            ("User-Agent", "Shopify-Captain-Hook"), ("Accept", "*/*"), ("Content-Type", "application/json"),
            ("X-Shopify-Topic", "orders/create"), ("X-Shopify-Hmac-Sha256", sig), ("X-Shopify-Shop-Domain", SHOP),
            ("X-Shopify-Webhook-Id", str(uuid.uuid4())), ("X-Shopify-Event-Id", str(uuid.uuid4())),
            ("X-Shopify-Triggered-At", triggered), ("X-Shopify-API-Version", "2026-04")], body)))
    deliveries, api_pool, health_pool = Pool(port), Pool(port), Pool(port)
    auth = [("Authorization", f"Bearer {key}"), ("Accept", "application/json")]
    health_req = request_bytes("GET", "/healthz", port)

    r = {"ack": [], "visible": [], "polls": [], "health": [], "late": [], "status": collections.Counter(),
         "result": collections.Counter(), "poll_status": collections.Counter(), "health_status": collections.Counter(),
         "not_visible": 0}

    async def deliver(i, due):
        external_id, data = prepared[i]
        r["late"].append(loop.time() - due)
        try:
            status, body = await deliveries.request(data)
        except Exception as e:
            r["status"][type(e).__name__] += 1
            return
        done = loop.time()
        if status != 200:
            try:
                j = json.loads(body)
                e = j.get("error")
                code = e.get("code") if isinstance(e, dict) else (j.get("code") or e)
            except Exception:
                code = repr(body[:40])
            r["status"][f"{status} {code}"] += 1
            return
        r["status"][status] += 1
        try:
            r["result"][json.loads(body).get("result")] += 1
        except Exception:
            r["result"]["(not JSON)"] += 1
        r["ack"].append((done - due) * 1000)
        if i % SAMPLE_EVERY:
            return
        get = request_bytes("GET", f"/api/v1/orders/{external_id}", port, auth)
        polls, give_up = 0, done + TIMEOUT_S
        while True:
            polls += 1
            asked = loop.time()
            try:
                ps, _ = await api_pool.request(get)
            except Exception as e:
                ps = type(e).__name__
            if ps == 200:
                r["visible"].append((loop.time() - due) * 1000)
                r["polls"].append(polls)
                return
            if ps != 404:
                r["poll_status"][ps] += 1
            if loop.time() > give_up:
                r["not_visible"] += 1
                return
            await asyncio.sleep(max(0, asked + POLL_S - loop.time()))

    async def health(due):
        try:
            status, _ = await health_pool.request(health_req)
        except Exception as e:
            r["health_status"][type(e).__name__] += 1
            return
        r["health_status"][status] += 1
        if status == 200:
            r["health"].append((loop.time() - due) * 1000)

    tasks = []
    start = loop.time() + 0.2
    stop = start + n / rate

    async def healthz_ticks():
        k = 0
        while True:
            due = start + k * 0.1
            if due >= stop:
                return
            await asyncio.sleep(max(0, due - loop.time()))
            tasks.append(asyncio.ensure_future(health(due)))
            k += 1

    ticker = asyncio.ensure_future(healthz_ticks())
    for i in range(n):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(deliver(i, due)))
    await ticker
    sent_all = loop.time()
    await asyncio.gather(*tasks)
    r["drain"] = loop.time() - sent_all
    r["connections"] = (deliveries.opened, api_pool.opened, health_pool.opened)
    for p in (deliveries, api_pool, health_pool):
        p.close()
    r["n"] = n
    return r


def log_summary(path):
    """Warnings and errors in the server's log: counts by level and a few distinct lines."""
    levels, samples = collections.Counter(), collections.OrderedDict()
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = re.search(r"\[ (WARNING|ERROR|CRITICAL) \]", line)
                if not m:
                    continue
                levels[m.group(1)] += 1
                shape = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+", "#", line.strip())[:200]
                samples.setdefault(shape, line.strip()[:240])
    except OSError:
        pass
    return levels, list(samples.values())[:5]


def run(name, binary, orders, rate, seconds):
    work = tempfile.mkdtemp(prefix="careloop-connect-")
    os.chmod(work, 0o755)
    sink = SmtpSink(os.path.join(work, "sink")).start()
    server = None
    try:
        server = Server(binary, work, sink.port, 1)
        key = server.keys[0]
        secret = secrets.token_urlsafe(32)
        status, c = api(server.port, "POST", "/api/v1/connections", key, {"platform": "shopify", "shop_domain": SHOP, "secret": secret})
        if status != 201:
            raise SystemExit(f"{name}: POST /api/v1/connections answered {status}: {c}")
        gc.collect()
        gc.freeze()  # the prepared orders stay; no collector pauses over them in the client
        cpu0 = server.cpu_seconds()
        url_path = "/" + c["webhook_url"].split("/", 3)[3]  # http://host:port/connect/shopify/<key> → the path
        r = asyncio.run(drive(server.port, key, url_path, orders, rate, seconds, secret))
        r["cpu"] = server.cpu_seconds() - cpu0
        r["rss"] = rss_peak_mb(server.proc.pid)
        r["log"] = log_summary(os.path.join(work, "server.log"))
        return r
    finally:
        if server:
            server.stop()
        sink.stop()
        shutil.rmtree(work, ignore_errors=True)


def report(name, r, rate):
    ack, vis, hz, late = (sorted(r[k]) for k in ("ack", "visible", "health", "late"))
    n = r["n"]
    bad = {k: v for k, v in r["status"].items() if k != 200}
    others = {k: v for k, v in r["result"].items() if k != "applied"}
    row = lambda label, xs, extra="": (f"  {label:<22}" + "".join(f"{pct(xs, q):>9.1f}" for q in (0.5, 0.95, 0.99))
                                        + f"{xs[-1] if xs else float('nan'):>9.1f}" + f"   {extra}")
    p99 = pct(ack, 0.99)
    verdict = "met" if len(ack) == n and p99 < GOAL_MS else "NOT met"
    print(f"{name}: {n} deliveries, {r['result'].get('applied', 0)} applied"
          + (f", other answers {dict(others)}" if others else "")
          + f"; non-200: {', '.join(f'{k} ×{v}' for k, v in sorted(bad.items(), key=str)) if bad else 'none'}"
          + f"; connections {r['connections'][0]}+{r['connections'][1]}+{r['connections'][2]} (deliveries+API+health)")
    print(f"  {'ms from scheduled send':<22}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    print(row("delivery → 200", ack, f"goal p99 < {GOAL_MS} ms at {rate:g}/s: {verdict}"))
    first = sum(1 for p in r["polls"] if p == 1)
    print(row("→ order in the API", vis, f"{len(vis)} sampled (every {SAMPLE_EVERY}th), {first} at the first poll"
              + (f", {r['not_visible']} never" if r["not_visible"] else "")
              + (f", poll answers {dict(r['poll_status'])}" if r["poll_status"] else "")))
    hbad = {k: v for k, v in r["health_status"].items() if k != 200}
    print(f"  {'/healthz':<22}{pct(hz, 0.5):>9.1f}{'':>9}{pct(hz, 0.99):>9.1f}{hz[-1] if hz else float('nan'):>9.1f}   "
          f"{len(hz)} asked" + (f", non-200 {dict(hbad)}" if hbad else ""))
    print(f"  server CPU {r['cpu']:.1f} s ({r['cpu'] / max(1, n) * 1000:.2f} ms a delivery), peak RSS {r['rss']:.0f} MB; "
          f"client sent late p99 {pct(late, 0.99) * 1000:.1f} ms max {late[-1] * 1000 if late else 0:.1f} ms; "
          f"last answers {r['drain'] * 1000:.0f} ms after the last send")
    levels, samples = r["log"]
    if levels:
        print(f"  server log: {', '.join(f'{k} ×{v}' for k, v in levels.items())}")
        for s in samples:
            print(f"    {s}")
    sys.stdout.flush()


def ratios(names, a, b):
    def stat(r, k, q):
        xs = sorted(r[k])
        return xs[-1] if q == 1 and xs else pct(xs, q)
    cells = []
    for label, k in (("delivery", "ack"), ("visible", "visible")):
        cells.append(f"{label} p50 {stat(a, k, .5) / stat(b, k, .5):.2f} p95 {stat(a, k, .95) / stat(b, k, .95):.2f} "
                     f"p99 {stat(a, k, .99) / stat(b, k, .99):.2f} max {stat(a, k, 1) / stat(b, k, 1):.2f}")
    cells.append(f"/healthz p99 {stat(a, 'health', .99) / stat(b, 'health', .99):.2f}")
    cells.append(f"CPU {a['cpu'] / b['cpu']:.2f}")
    cells.append(f"peak RSS {a['rss'] / b['rss']:.2f}")
    print(f"{names[0]}/{names[1]}: " + "; ".join(cells), flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--bins", required=True, help='"name=/path/careloop ..."')
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--rate", type=float, default=200)
    a = p.parse_args()
    # A stalled server makes the open-loop client hold one connection per waiting delivery.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    bins = [b.split("=", 1) for b in a.bins.split()]
    orders = make_orders(int(a.rate * a.seconds))
    sizes = sorted(len(b) for _, b in orders)
    print(f"== connect: {os.cpu_count()} cores, SQLite; signed Shopify orders/create, {a.rate:g}/s for {a.seconds:g} s, open loop; "
          f"bodies {sizes[0] / 1024:.1f}–{sizes[-1] / 1024:.1f} KB (mean {sum(sizes) / len(sizes) / 1024:.1f}), "
          f"buyers from a pool of 2 000; goal p99 < {GOAL_MS} ms ==", flush=True)
    results = []
    for name, binary in bins:
        r = run(name, binary, orders, a.rate, a.seconds)
        report(name, r, a.rate)
        results.append((name, r))
    if len(results) == 2:
        ratios([results[0][0], results[1][0]], results[0][1], results[1][1])
