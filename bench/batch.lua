-- wrk script: POST /api/notifications/send-batch with BENCH_BATCH_SIZE send-message bodies per
-- request (queued), every message to a different phone number.
-- Env: BENCH_TOKEN (bearer), BENCH_BATCH_SIZE (default 1000), BENCH_LIMIT (optional: total
-- requests across all threads; each thread stops after its share), BENCH_THREADS (to split it).
local token = os.getenv("BENCH_TOKEN")
local size = tonumber(os.getenv("BENCH_BATCH_SIZE") or "1000")
local limit = tonumber(os.getenv("BENCH_LIMIT") or "0")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  -- Numbers +91 6xxxxxxxxx: valid Indian mobiles, distinct per thread and per message.
  base = 6000000000 + tid * 300000000
  counter = 0
  share = 0
  if limit > 0 then share = math.ceil(limit / nthreads) end
  done = 0
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  local items = {}
  for i = 1, size do
    counter = counter + 1
    items[i] = string.format(
      '{"phone":"+91%d","message_type":"delivery_reminder","context":{"customer_name":"Bench","delivery_date":"Jan 28","area":"Area %d"}}',
      base + counter, counter % 97)
  end
  return wrk.format("POST", "/api/notifications/send-batch", nil, '{"messages":[' .. table.concat(items, ",") .. ']}')
end

if limit > 0 then
  function response(status, headers, body)
    done = done + 1
    if done >= share then wrk.thread:stop() end
  end
end

-- One machine-readable line for run_bench.sh; messages_per_s counts acknowledged messages.
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"batch_size":%d,"seconds":%.3f,"rps":%.1f,"messages_per_s":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non_2xx":%d,"socket_errors":%d}\n',
    summary.requests, size, secs, summary.requests / secs, summary.requests * size / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
