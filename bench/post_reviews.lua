-- wrk script: POST a distinct review per request (50 products, a new customer each time,
-- ratings 1 to 5 in turn). Prints one RESULT line for bench/ingest to read.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("CARELOOP_BENCH_KEY")
end

function request()
  counter = counter + 1
  local p = counter % 50
  local body = string.format(
    '{"product":{"external_id":"p%d","name":"Product %d"},"customer":{"email":"t%d-c%d@example.com","name":"Bench Customer"},"rating":%d,"title":"Bench review","body":"Review %d from thread %d: it does what it says."}',
    p, p, tid, counter, (counter % 5) + 1, counter, tid)
  return wrk.format(nil, nil, nil, body)
end

dofile(os.getenv("CARELOOP_BENCH_DIR") .. "/wrk_result.lua")
