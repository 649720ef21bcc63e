// Command detrans-node is the headless DeTrans peer and its command-line client.
//
//	detrans-node run    [--data DIR] [--listen MULTIADDR]... [--join MULTIADDR]... [--api ADDR]
//	                    [--join-timeout D] [--mdns] [--psk-file FILE] [--log-level LEVEL]
//	                    [--allow-fault-injection] [--pprof]
//	detrans-node status [--api ADDR | --data DIR] [--json] [--timeout D]
//	detrans-node lookup [--api ADDR | --data DIR] [--json] [--timeout D] KEY
//	detrans-node get    [--api ADDR | --data DIR] [--json] [--timeout D] [--base64] KEY
//	detrans-node put    [--api ADDR | --data DIR] [--json] [--timeout D] [--base64] KEY VALUE
//	detrans-node del    [--api ADDR | --data DIR] [--json] [--timeout D] KEY
//	detrans-node fault  block PEER_ID... | heal | list  [--api ADDR | --data DIR] [--json]
//	detrans-node bench  [--nodes N] [--clients C] [--keys K] [--duration D] [--warmup D]
//	                    [--mode rmw|read] [--join MULTIADDR]... [--api ADDR]... [--json]
//	                    [--keep] [--profile DIR] [--log-level LEVEL]
//	detrans-node version
//	detrans-node help [COMMAND]
//
// run starts a peer (node.New) and serves its admin API until SIGINT or SIGTERM, then leaves the
// ring gracefully (node.Close) and exits 0; a second signal kills it at once. Without --join
// (and without --mdns), run founds a new space in an empty data dir; with --join it joins one;
// a data dir that already belongs to a space never founds another (node.Config.Found). When the
// peer is up it writes the bound API address to DATA/api.addr (removed on a clean exit) and
// prints exactly one line to stdout, for scripts and test harnesses:
//
//	detrans-node ready peer_id=ID api=127.0.0.1:PORT addrs=MULTIADDR[,MULTIADDR...]
//
// Logs go to stderr. Exit codes: 0 success, 1 failure, 2 wrong invocation; the store commands
// add 3 no quorum (nothing changed), 4 conflict (nothing changed), 5 unknown outcome (a write
// that may or may not have committed, a write that timed out among them) and 6 (get) not found.
// Errors are one line on stderr, e.g. "no detrans-node is answering at 127.0.0.1:7465: is it
// running?" or "detrans-node put: no quorum: put "k": commit: txn: no quorum reachable".
//
// fault block/heal cut a peer off from other peers and restore it (node.Block/Heal), for tests
// and demos; a peer refuses them unless run got --allow-fault-injection.
//
// bench measures the store: it starts --nodes `run` processes of its own executable on
// 127.0.0.1 (temporary data dirs; the first founds, the others join it; or with --join they all
// join an existing space; or with --api it starts none and uses running peers), writes --keys
// counters, and asks every peer at once to run its share of --clients in a load generator
// inside the peer process (POST /v1/bench/run) for --warmup and then --duration, adding up the
// replies. The load runs in the peers rather than in bench because going through HTTP per
// operation would measure HTTP (and cost as much CPU as the store), and an extra in-process
// client peer would be a fifth ring member with its own groups; in the peer, clients call the
// node's Go API as an app would. Each reply carries a latency histogram and the peer's own CPU
// time over its window (getrusage), so cpu_ms_per_tx is the CPU of all peers per committed
// transaction, load generation included. In rmw mode the counters are read back at the end and
// must add up to the increments that committed.
//
// Client commands find the peer through --api, else DIR/api.addr for --data DIR, else the
// api.addr in the default data dir, else 127.0.0.1:7465.
//
// # Admin API
//
// HTTP+JSON on a loopback address only (it has no authentication), versioned under /v1:
//
//	GET  /v1/status              node.Status (below)
//	GET  /v1/lookup?key=KEY      {"key", "key_ring_id", "owner", "owner_ring_id", "hops"}
//	GET  /v1/get?key=KEY         {"key", "found", "version", "value", "base64"} (&base64=1 forces
//	                             base64; values that are not UTF-8 always come as base64)
//	POST /v1/put                 {"key", "value", "base64"?} → {"key", "ok"}
//	POST /v1/del                 {"key"} → {"key", "ok"}
//	GET  /v1/fault               {"allowed", "blocked"}
//	POST /v1/fault/block         {"peers": [PEER_ID...]} → {"allowed", "blocked"}
//	POST /v1/fault/heal          → {"allowed", "blocked"}
//	POST /v1/bench/run           BenchRequest → BenchReply (see bench_load.go)
//	GET  /debug/pprof/...        Go's profiler, only with run --pprof
//
// Store requests take ?timeout=D (default 5s, at most 2m) and answer within it. Errors are
// {"error": "message", "code": "..."} with 400 (bad request), 403 (fault injection disabled),
// 404 (no such endpoint), 405 (wrong method), 409 (conflict), 503 (no quorum, unknown outcome,
// peer starting or stopping), 504 (timed out) or 500. code is no_quorum, conflict,
// unknown_outcome, timeout or fault_injection_disabled where one applies; error messages of
// store failures start with "no quorum: ", "conflict: ", "unknown outcome" or "timed out: ".
// Requests run concurrently; none waits for another.
//
// # Status JSON (stable contract of `status --json` and GET /v1/status)
//
// Fields are only ever added, never renamed or removed. Lists are [] rather than null.
//
//	peer_id          libp2p peer ID of this peer
//	addrs            dialable multiaddrs, each ending in /p2p/<peer_id>; usable as --join
//	ring_id          position on the ring, 32 lowercase hex digits (so string order = ring order)
//	incarnation      bumped on every start of this data dir
//	joined           true once the peer is part of a ring
//	predecessor      peer ID of the predecessor, "" if none
//	successors       peer IDs of the successor list, nearest first
//	predecessors     peer IDs of the predecessor list, nearest first
//	fingers          number of distinct finger entries
//	passive          size of the passive list (removed peers kept for partition healing)
//	suspected        peer IDs currently suspected to have failed
//	connected_peers  peer IDs with an open libp2p connection, sorted
package main
