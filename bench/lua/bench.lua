-- One wrk script for every endpoint, configured by environment variables (set by bench/run):
--   BENCH_METHOD      GET (default) or POST
--   BENCH_BODY        request body (JSON) for POST
--   BENCH_AUTH        value of the Authorization header (e.g. "Bearer eyJ...")
--   BENCH_COOKIE      value of the Cookie header (admin session)
--   BENCH_EXPECT      the intended status code (default 200); any other status counts as an error
--   BENCH_IDEMPOTENT  when set, every request gets a unique Idempotency-Key starting with this prefix
--   BENCH_SLOTS       comma-separated slot ids; "__SLOT__" in the body is replaced by each in turn
--   BENCH_BOOKERS     a file of lines "<Authorization>\t<pet id>\t<address id>": each request is sent as the next
--                     line's customer ("__PET__" and "__ADDRESS__" in the body replaced by theirs)
-- At the end one line "BENCH_RESULT {json}" carries requests, duration, errors and latency percentiles (µs).

-- Globals (not locals): setup() and done() reach them through thread:set / thread:get.
counter = 0
bad = 0
thread_id = 0
local threads = {}
local slots = {}
local bookers = {}

local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
local idempotent = os.getenv("BENCH_IDEMPOTENT")

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = method
  wrk.headers["Accept"] = "application/json"
  local auth = os.getenv("BENCH_AUTH")
  if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
  local cookie = os.getenv("BENCH_COOKIE")
  if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
  if body and body ~= "" then
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
  end
  for id in string.gmatch(os.getenv("BENCH_SLOTS") or "", "[^,]+") do table.insert(slots, id) end
  local path = os.getenv("BENCH_BOOKERS")
  if path and path ~= "" then
    -- A random start: each run (and round) pairs the customers with other slots, so that repeated runs spread
    -- each customer's bookings over many days.
    math.randomseed(os.time() * 100 + thread_id)
    counter = math.random(0, 1000000)
    for line in io.lines(path) do
      local auth, pet, address = string.match(line, "^([^\t]+)\t(%d+)\t(%d+)$")
      if auth then table.insert(bookers, {auth = auth, pet = pet, address = address}) end
    end
  end
end

function request()
  if not idempotent and #slots == 0 and #bookers == 0 then
    return wrk.format()
  end
  counter = counter + 1
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  if idempotent then
    headers["Idempotency-Key"] = idempotent .. "-" .. thread_id .. "-" .. counter
  end
  local b = wrk.body
  if b and #slots > 0 then
    b = string.gsub(b, "__SLOT__", slots[(counter % #slots) + 1])
  end
  if #bookers > 0 then
    -- Threads start at different customers, so that two requests at once are rarely from the same one.
    local booker = bookers[((counter + thread_id * 7919) % #bookers) + 1]
    headers["Authorization"] = booker.auth
    b = string.gsub(b, "__PET__", booker.pet)
    b = string.gsub(b, "__ADDRESS__", booker.address)
  end
  return wrk.format(nil, nil, headers, b)
end

function response(status, headers, body)
  if status ~= expect then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("unexpected status " .. status .. ": " .. string.sub(body or "", 1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local unexpected = 0
  for _, thread in ipairs(threads) do unexpected = unexpected + (thread:get("bad") or 0) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "unexpected": %d, "socket_errors": %d, '
      .. '"p50": %d, "p95": %d, "p99": %d, "max": %d}\n',
    summary.requests, summary.duration, unexpected, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
