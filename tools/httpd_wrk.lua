-- httpd_wrk.lua - wrk script of the httpd case (tools/httpd_client.py):
-- every response is checked, not only counted.  GET / must answer 200 with
-- the page (it starts "<!doctype html>"); anything else is counted as bad.
-- wrk runs one Lua state per thread: setup() keeps each thread so done()
-- can add up their counts, printed as one line the client parses:
--   wrk-check: requests N ok N bad N errors connect N read N write N status N timeout N
-- then the latency lines: the first for the httpd case, the second (the
-- run's duration, mean and percentiles in microseconds) for
-- tools/netbench.py (tools/bench/netfmt.py parses it).
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	ok, bad = 0, 0
end

function response(status, headers, body)
	if status == 200 and body ~= nil and string.sub(body, 1, 15) == "<!doctype html>" then
		ok = ok + 1
	else
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local tok, tbad = 0, 0
	for _, t in ipairs(threads) do
		tok = tok + t:get("ok")
		tbad = tbad + t:get("bad")
	end
	local e = summary.errors
	io.write(string.format(
		"wrk-check: requests %d ok %d bad %d errors connect %d read %d write %d status %d timeout %d\n",
		summary.requests, tok, tbad, e.connect, e.read, e.write, e.status, e.timeout))
	io.write(string.format("wrk-check: latency p50 %d us p99 %d us\n",
		latency:percentile(50), latency:percentile(99)))
	io.write(string.format(
		"wrk-check: dist duration_us %d mean_us %.1f p50_us %d p90_us %d p99_us %d p999_us %d max_us %d\n",
		summary.duration, latency.mean, latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency:percentile(99.9), latency.max))
end
