"""Schemathesis hooks for Tests/gauntlet/fuzz.sh.

Two things the OpenAPI document cannot say in JSON Schema, and nothing else:

- `message/rfc822` bodies (POST /api/v1/inbound-email) are raw text: a generated string goes as its
  UTF-8 bytes, as a mail pipe would send it. A value that is not text (a negative test turns the
  body into an object or a number) has no raw form, so it goes as an empty body, which the server
  refuses (400) as it refuses every message with no bytes.
- An order's `fulfilled_at` may not be before its `placed_at` (a 422 the document describes in
  words). Orders are generated with the two dates independent, so when both are dates they are sent
  in order (swapping them never makes an invalid order valid, nor a valid one invalid).
"""

from __future__ import annotations

from datetime import datetime

import schemathesis


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return b""


def _moment(value):
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.method.upper() != "POST" or not case.path.endswith("/api/v1/orders"):
        return
    body = case.body
    if not isinstance(body, dict):
        return
    placed, fulfilled = _moment(body.get("placed_at")), _moment(body.get("fulfilled_at"))
    if placed is None or fulfilled is None:
        return
    try:
        wrong_way = fulfilled < placed
    except TypeError:
        return
    if wrong_way:
        body["placed_at"], body["fulfilled_at"] = body["fulfilled_at"], body["placed_at"]
