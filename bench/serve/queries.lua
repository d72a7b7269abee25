-- wrk script for bench/serve/run.sh: GET /api/search?q=... with queries drawn as real traffic repeats them.
--   wrk ... -s queries.lua -- QUERIES_FILE [UNIQUE_SHARE=0.1] [ZIPF_S=1.0]
-- QUERIES_FILE holds one query per line; request i picks line r with probability proportional to 1/r^s
-- (a few queries are very common, most are rare), and a share of requests is a query never seen before
-- (a counter appended), which no cache can answer. Each thread seeds its own generator from its id, so a
-- run's query sequence is reproducible. done() prints one JSON line: requests/s, latency percentiles,
-- socket errors, non-2xx and 5xx counts.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  local path = args[1] or error("usage: -- QUERIES_FILE [UNIQUE_SHARE] [ZIPF_S]")
  unique_share = tonumber(args[2] or "0.1")
  local s = tonumber(args[3] or "1.0")
  queries, cdf = {}, {}
  for line in io.lines(path) do
    if #line > 0 then table.insert(queries, urlencode(line)) end
  end
  local total = 0
  for r = 1, #queries do total = total + 1 / r ^ s; cdf[r] = total end
  for r = 1, #queries do cdf[r] = cdf[r] / total end
  math.randomseed(1000 + id)
  status_5xx, status_other, unique_sent = 0, 0, 0
end

local function pick()
  local u, lo, hi = math.random(), 1, #cdf
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo
end

function request()
  local q = queries[pick()]
  if math.random() < unique_share then
    counter = counter + 1
    unique_sent = unique_sent + 1
    q = q .. urlencode(" seen once " .. id .. "-" .. counter)
  end
  return wrk.format("GET", "/api/search?k=24&q=" .. q)
end

function response(status, headers, body)
  if status >= 500 then status_5xx = status_5xx + 1
  elseif status ~= 200 then status_other = status_other + 1 end
end

function done(summary, latency, requests)
  local n5xx, nother, nunique = 0, 0, 0
  for _, t in ipairs(threads) do
    n5xx = n5xx + t:get("status_5xx")
    nother = nother + t:get("status_other")
    nunique = nunique + t:get("unique_sent")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.2f, "rps": %.1f, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, "non2xx": %d, "status_5xx": %d, "status_other": %d, "unique_queries": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.timeout, e.status, n5xx, nother, nunique))
end
