// Command detrans-node is the headless DeTrans peer and its command-line client.
//
//	detrans-node run    [--data DIR] [--listen MULTIADDR]... [--join MULTIADDR]... [--api ADDR]
//	                    [--join-timeout D] [--mdns] [--psk-file FILE] [--log-level LEVEL]
//	detrans-node status [--api ADDR | --data DIR] [--json] [--timeout D]
//	detrans-node lookup [--api ADDR | --data DIR] [--json] [--timeout D] KEY
//	detrans-node version
//	detrans-node help [COMMAND]
//
// run starts a peer (node.New) and serves its admin API until SIGINT or SIGTERM, then leaves the
// ring gracefully (node.Close) and exits 0; a second signal kills it at once. When the peer is
// up it writes the bound API address to DATA/api.addr (removed on a clean exit) and prints
// exactly one line to stdout, for scripts and test harnesses:
//
//	detrans-node ready peer_id=ID api=127.0.0.1:PORT addrs=MULTIADDR[,MULTIADDR...]
//
// Logs go to stderr. Exit codes: 0 success, 1 failure, 2 wrong invocation. Errors are one line
// on stderr, e.g. "no detrans-node is answering at 127.0.0.1:7465: is it running?".
//
// Client commands find the peer through --api, else DIR/api.addr for --data DIR, else the
// api.addr in the default data dir, else 127.0.0.1:7465.
//
// # Admin API
//
// HTTP+JSON on a loopback address only (it has no authentication), versioned under /v1:
//
//	GET /v1/status           node.Status (below)
//	GET /v1/lookup?key=KEY   {"key", "key_ring_id", "owner", "owner_ring_id", "hops"}
//
// Errors are {"error": "message"} with 400 (bad request), 404 (no such endpoint), 405 (wrong
// method), 503 (peer starting or stopping), 504 (timed out) or 500.
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
