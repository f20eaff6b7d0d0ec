-- wrk script: POST /api/notifications/send-message (queued), varying the phone number.
-- Env: BENCH_TOKEN (bearer), BENCH_LIMIT (optional: total requests across all threads; each
-- thread stops after its share), BENCH_THREADS (threads, to split BENCH_LIMIT).
local token = os.getenv("BENCH_TOKEN")
local limit = tonumber(os.getenv("BENCH_LIMIT") or "0")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  base = 9000000000 + tid * 100000000
  share = 0
  if limit > 0 then share = math.ceil(limit / nthreads) end
  done = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"phone":"+91%d","message_type":"delivery_reminder","context":{"customer_name":"Bench","delivery_date":"Jan 28","area":"Area %d"}}',
    base + counter, counter % 97)
  return wrk.format("POST", "/api/notifications/send-message", nil, body)
end

if limit > 0 then
  function response(status, headers, body)
    done = done + 1
    if done >= share then wrk.thread:stop() end
  end
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
