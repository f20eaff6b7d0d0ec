-- wrk script: plain GET (path from the URL), optional bearer BENCH_TOKEN; only adds the summary line.
local token = os.getenv("BENCH_TOKEN")
function init(args)
  if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
end

-- One machine-readable line for run_bench.sh.
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non_2xx":%d,"socket_errors":%d}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
