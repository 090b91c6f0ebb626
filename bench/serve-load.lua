-- Bounded load on nst serve with wrk: each connection POSTs one image, waits for the reply, repeats.
--   IMAGE=photo-512.jpg wrk -t1 -c2 -d60s --latency -s bench/serve-load.lua 'http://127.0.0.1:8080/v1/stylize?model=udnie'
-- (-c is the fixed concurrency; docs/serve.md has the numbers.)
local f = assert(io.open(os.getenv("IMAGE") or "photo-512.jpg", "rb"))
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"

-- Status counts: read nst_http_requests_total from GET /metrics afterwards (wrk's done() cannot see per-thread state).
