-- wrk script: POST a distinct review per request (50 products, a new customer each time).
-- CARELOOP_BENCH_MIX=uniform: ratings 1 to 5 in turn, so the default care triggers open a
-- conversation (and queue its email) for 3 reviews in 5; =happy: 4★ and 5★ with specific text, which
-- no default trigger acts on. Prints one RESULT line for bench/ingest to read.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local mix = os.getenv("CARELOOP_BENCH_MIX") or "uniform"
local happy = mix == "happy"

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("CARELOOP_BENCH_KEY")
end

function request()
  counter = counter + 1
  local p = counter % 50
  local body = string.format(
    '{"product":{"external_id":"p%d","name":"Product %d"},"customer":{"email":"%s-t%d-c%d@example.com","name":"Bench Customer"},"rating":%d,"title":"Bench review","body":"Review %d from thread %d: it does what it says."}',
    p, p, mix, tid, counter, happy and (4 + counter % 2) or ((counter % 5) + 1), counter, tid)
  return wrk.format(nil, nil, nil, body)
end

dofile(os.getenv("CARELOOP_BENCH_DIR") .. "/wrk_result.lua")
