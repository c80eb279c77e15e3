-- wrk script for `refrain-bench serve`: POSTs real query files to /api/query, each connection taking the
-- files in turn (from a different start per thread), and counts the answers by status.
-- Usage: wrk ... -s scripts/bench/serve_load.lua -- PATH_AND_QUERY FILE [FILE ...]

local threads = {}
local thread_number = 0

function setup(thread)
  thread:set("id", thread_number)
  thread_number = thread_number + 1
  table.insert(threads, thread)
end

function init(args)
  target = args[1]
  bodies = {}
  for i = 2, #args do
    local file = assert(io.open(args[i], "rb"))
    bodies[#bodies + 1] = file:read("*a")
    file:close()
  end
  assert(#bodies > 0, "no query files given")
  next_body = (id * 7) % #bodies
  statuses = {}
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", target, { ["Content-Type"] = "audio/wav" }, bodies[next_body])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(totals) do
    parts[#parts + 1] = string.format("%d=%d", status, count)
  end
  table.sort(parts)
  io.write(string.format("STATUSES %s\n", table.concat(parts, " ")))
  io.write(string.format("LATENCY_US p50=%d p90=%d p99=%d max=%d\n", latency:percentile(50), latency:percentile(90),
                         latency:percentile(99), latency.max))
  io.write(string.format("TOTAL requests=%d seconds=%.3f errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
                         summary.requests, summary.duration / 1e6, summary.errors.connect, summary.errors.read,
                         summary.errors.write, summary.errors.status, summary.errors.timeout))
end
