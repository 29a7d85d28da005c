-- wrk script: prints one RESULT line (throughput, errors, latency percentiles) for the bench scripts.
-- Used alone for GET runs, and loaded by post_reviews.lua.
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
