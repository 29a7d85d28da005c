-- wrk script: POSTs reviews shaped like a real shop's for bench/dashboard: 1 in 10 is 1★ or 2★ (the
-- default care trigger opens a conversation for each), the rest 4★ or 5★ with specific text; 50
-- products; customers come back (20 000 of them), so profiles have history.
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
  math.randomseed(tid * 7919 + os.time())
end

function request()
  counter = counter + 1
  local n = counter * 16 + tid
  local p = n % 50
  local c = math.random(1, 20000)
  -- Per thread: 1 in 10 is 1★ or 2★ (alternating), the others 4★ or 5★.
  local k = counter % 10
  local rating = (k == 0) and (1 + (counter / 10) % 2) or (4 + counter % 2)
  local body = string.format(
    '{"product":{"external_id":"p%d","name":"Product %d"},"customer":{"email":"c%d@example.com","name":"Customer %d"},"rating":%d,"title":"Review %d","body":"Review %d of product %d by customer %d: specific words about the thing."}',
    p, p, c, c, rating, n, n, p, c)
  return wrk.format(nil, nil, nil, body)
end

dofile(os.getenv("CARELOOP_BENCH_DIR") .. "/wrk_result.lua")
