-- wrk script for loadtests/bench.py: POST the body in $BODYFILE with $CONTENT_TYPE.
-- Every "@@ID@@" in the body becomes a 36-character id unique to the request ($RUN_ID, then
-- a counter): the SSEK TxId, the SHS tx.id, the WS referens (a question never asked
-- before). $DELAY_MS > 0 makes each connection wait that long before each request, which
-- offers about connections * 1000 / DELAY_MS requests a second while answers are fast.
local f = assert(io.open(os.getenv("BODYFILE"), "rb"))
local template = f:read("*a")
f:close()
local run_id = os.getenv("RUN_ID") or "00000000"
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
local vary = template:find("@@ID@@", 1, true) ~= nil
local counter = 0

wrk.method = "POST"
wrk.body = template
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE")
if os.getenv("SOAPACTION") then wrk.headers["SOAPAction"] = '""' end

if vary then  -- without request(), wrk sends one prepared request over and over
  function request()
    counter = counter + 1
    local id = run_id .. string.format("%028d", counter)
    return wrk.format(nil, nil, nil, (template:gsub("@@ID@@", id)))
  end
end

if delay_ms > 0 then
  function delay() return delay_ms end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
