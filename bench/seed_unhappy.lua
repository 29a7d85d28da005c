-- wrk script: POSTs 1★ reviews from new customers for bench/lists, so each opens a conversation
-- (the default care trigger); 200 products.
local counter = 0
local tid = 0
local threads = {}

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
  local n = counter * 16 + tid .. "-" .. os.time()
  local p = counter % 200
  local body = string.format(
    '{"product":{"external_id":"p%d","name":"Product %d"},"customer":{"email":"u%s@example.com","name":"Unhappy %s"},"rating":1,"title":"Broke","body":"It broke after a week of use, %s."}',
    p, p, n, n, n)
  return wrk.format(nil, nil, nil, body)
end

dofile(os.getenv("CARELOOP_BENCH_DIR") .. "/wrk_result.lua")
