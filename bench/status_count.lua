-- wrk script: like wrk_result.lua, and also counts 304 answers across threads (bench/widget).
-- CARELOOP_BENCH_ETAG, when set, is sent as If-None-Match.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  n304 = 0
  local tag = os.getenv("CARELOOP_BENCH_ETAG")
  if tag and tag ~= "" then wrk.headers["If-None-Match"] = tag end
end
function response(status, headers, body) if status == 304 then n304 = n304 + 1 end end
function done(summary, latency, requests)
  local total304 = 0
  for _, t in ipairs(threads) do total304 = total304 + t:get("n304") end
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p99_us=%d n304=%d\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), total304))
end
