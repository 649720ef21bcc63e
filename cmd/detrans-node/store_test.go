package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/detrans/detrans/node"
	"github.com/detrans/detrans/txn"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"
)

func TestStoreCommandsRoundTrip(t *testing.T) {
	fp := &fakePeer{}
	_, addr := startAPI(t, fp)

	code, out, errOut := cli(t, "put", "--api", addr, "greeting", "hello world")
	require.Equal(t, exitOK, code, errOut)
	require.Empty(t, out, "a successful put is silent")

	code, out, errOut = cli(t, "get", "greeting", "--api", addr)
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "hello world\n", out)

	code, out, _ = cli(t, "get", "--api", addr, "--json", "greeting")
	require.Equal(t, exitOK, code)
	var kv KVReply
	require.NoError(t, json.Unmarshal([]byte(out), &kv))
	require.Equal(t, KVReply{Key: "greeting", Found: true, Version: 1, Value: "hello world"}, kv)

	// Binary values: in with --base64, out raw, or as base64 when asked or not UTF-8.
	code, _, errOut = cli(t, "put", "--api", addr, "--base64", "bin", "/wAB")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, []byte{0xff, 0, 1}, fp.kv["bin"].Value)
	code, out, _ = cli(t, "get", "--api", addr, "bin")
	require.Equal(t, exitOK, code)
	require.Equal(t, "\xff\x00\x01\n", out)
	code, out, _ = cli(t, "get", "--api", addr, "--base64", "greeting")
	require.Equal(t, exitOK, code)
	require.Equal(t, "aGVsbG8gd29ybGQ=\n", out)
	code, out, _ = cli(t, "get", "--api", addr, "--json", "bin")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, `"value": "/wAB"`)
	require.Contains(t, out, `"base64": true`)

	code, out, errOut = cli(t, "del", "--api", addr, "greeting", "--json")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, `"ok": true`)
	code, out, errOut = cli(t, "get", "--api", addr, "greeting")
	require.Equal(t, exitNotFound, code)
	require.Empty(t, out)
	require.Equal(t, "detrans-node get: not found: \"greeting\" has no value\n", errOut)
	code, out, _ = cli(t, "get", "--api", addr, "--json", "greeting")
	require.Equal(t, exitOK, code, "--json reports found=false instead")
	require.Contains(t, out, `"found": false`)
	require.Contains(t, out, `"version": 2`)
}

// TestStoreErrorsHaveTheirOwnExitCodes: what the peer's failure means decides the exit code and
// the start of the message, so scripts and tests can tell them apart.
func TestStoreErrorsHaveTheirOwnExitCodes(t *testing.T) {
	fp := &fakePeer{}
	_, addr := startAPI(t, fp)
	for _, tc := range []struct {
		err    error
		cmd    []string
		code   int
		prefix string
	}{
		{fmt.Errorf("commit: %w", txn.ErrNoQuorum), []string{"put", "k", "v"}, exitNoQuorum, `no quorum: put "k": commit: txn: no quorum`},
		{fmt.Errorf("get %q: %w", "k", txn.ErrNoQuorum), []string{"get", "k"}, exitNoQuorum, `no quorum: get "k"`},
		{fmt.Errorf("transaction: gave up after 64 attempts: %w", txn.ErrConflict), []string{"del", "k"}, exitConflict, "conflict: "},
		{fmt.Errorf("commit: %w", txn.ErrUnknownOutcome), []string{"put", "k", "v"}, exitUnknown, "unknown outcome (the write may or may not have committed): "},
		{node.ErrUnknownOutcome, []string{"put", "k", "v"}, exitUnknown, "unknown outcome"},
		{context.DeadlineExceeded, []string{"put", "k", "v"}, exitUnknown, "unknown outcome: no answer within 5s"},
		{context.DeadlineExceeded, []string{"get", "k"}, exitFail, "timed out: no answer within 5s"},
	} {
		fp.mu.Lock()
		fp.storeErr = tc.err
		fp.mu.Unlock()
		code, out, errOut := cli(t, append(tc.cmd, "--api", addr)...)
		require.Equal(t, tc.code, code, "%v: %s", tc.cmd, errOut)
		require.Empty(t, out)
		require.True(t, strings.HasPrefix(errOut, "detrans-node "+tc.cmd[0]+": "+tc.prefix), "%q", errOut)
		require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
	}

	// The same codes reach a plain HTTP caller.
	fp.mu.Lock()
	fp.storeErr = txn.ErrNoQuorum
	fp.mu.Unlock()
	code, body := getJSON(t, "http://"+addr+"/v1/get?key=k", http.MethodGet)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, codeNoQuorum, body["code"])
}

func TestStoreBadRequests(t *testing.T) {
	_, addr := startAPI(t, &fakePeer{})
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"get"}, "missing KEY"},
		{[]string{"put", "k"}, "missing KEY VALUE"},
		{[]string{"put", "k", "v", "w"}, "want KEY VALUE, got 3 arguments"},
		{[]string{"del", "a", "b"}, "want KEY, got 2"},
		{[]string{"get", ""}, "empty KEY"},
		{[]string{"get", strings.Repeat("k", maxKeyLen+1)}, "at most 4096"},
		{[]string{"put", "--base64", "k", "not base64!"}, "VALUE is not standard base64"},
		{[]string{"get", "k", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"get", "k", "--timeout", "1h"}, "--timeout must be at most 2m0s"},
		{[]string{"del", "--base64", "k"}, "flag provided but not defined: -base64"},
	} {
		code, _, errOut := cli(t, append(tc.args, "--api", addr)...)
		require.Equal(t, exitUsage, code, tc.args)
		require.Contains(t, errOut, tc.msg, tc.args)
	}

	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
		return resp.StatusCode, m
	}
	code, body := post("/v1/put", `{"key":"k","valeu":"typo"}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body["error"], `unknown field "valeu"`)
	code, body = post("/v1/put", ``)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body["error"], "missing JSON body")
	code, body = post("/v1/put", `{"key":"k","value":"`+strings.Repeat("v", maxValueLen+1)+`"}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body["error"], "at most 1048576")
	code, body = post("/v1/put?timeout=forever", `{"key":"k","value":"v"}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body["error"], "timeout")
	code, body = post("/v1/del", `{"key":""}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body["error"], "empty key")
	code, _ = getJSON(t, "http://"+addr+"/v1/put", http.MethodGet)
	require.Equal(t, http.StatusMethodNotAllowed, code)
}

func newPeerID(t *testing.T) string {
	t.Helper()
	_, pub, err := crypto.GenerateEd25519Key(nil)
	require.NoError(t, err)
	id, err := peer.IDFromPublicKey(pub)
	require.NoError(t, err)
	return id.String()
}

func TestFaultCommands(t *testing.T) {
	fp := &fakePeer{}
	_, addr := startAPI(t, fp)
	a, b := newPeerID(t), newPeerID(t)

	// Refused unless the peer allows it.
	code, _, errOut := cli(t, "fault", "block", a, "--api", addr)
	require.Equal(t, exitFail, code)
	require.Equal(t, "detrans-node fault: fault injection is disabled on this peer: start it with --allow-fault-injection\n", errOut)
	code, _, errOut = cli(t, "fault", "heal", "--api", addr)
	require.Equal(t, exitFail, code)
	require.Contains(t, errOut, "disabled")
	code, out, _ := cli(t, "fault", "list", "--api", addr, "--json")
	require.Equal(t, exitOK, code)
	require.JSONEq(t, `{"allowed": false, "blocked": []}`, out)

	fp.allowFault = true
	code, out, errOut = cli(t, "fault", "block", b, a, "--api", addr)
	require.Equal(t, exitOK, code, errOut)
	want := []string{a, b}
	if b < a {
		want = []string{b, a}
	}
	require.Equal(t, want[0]+"\n"+want[1]+"\n", out)
	code, out, _ = cli(t, "fault", "list", "--api", addr, "--json")
	require.Equal(t, exitOK, code)
	var rep FaultReply
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, FaultReply{Allowed: true, Blocked: want}, rep)
	code, out, _ = cli(t, "fault", "heal", "--api", addr)
	require.Equal(t, exitOK, code)
	require.Empty(t, out)
	require.Empty(t, fp.Blocked())

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"fault"}, exitUsage, "missing block, heal or list"},
		{[]string{"fault", "block"}, exitUsage, "block: missing PEER_ID"},
		{[]string{"fault", "heal", a}, exitUsage, "heal takes no arguments"},
		{[]string{"fault", "cut"}, exitUsage, `unknown fault command "cut"`},
		{[]string{"fault", "block", "not-a-peer"}, exitFail, `"not-a-peer" is not a peer ID`},
		{[]string{"fault", "block", "12D3KooWSelf"}, exitFail, "is not a peer ID"},
	} {
		code, _, errOut := cli(t, append(tc.args, "--api", addr)...)
		require.Equal(t, tc.code, code, tc.args)
		require.Contains(t, errOut, tc.msg, tc.args)
	}
}

func TestBenchRunInsideThePeer(t *testing.T) {
	fp := &fakePeer{}
	_, addr := startAPI(t, fp)
	c := newClient(addr, 30*time.Second)
	ctx := context.Background()
	base := BenchRequest{Keys: 10, KeyPrefix: "bench/x/", Clients: 3}

	fill := base
	fill.Mode, fill.Offset, fill.Stride = benchFill, 1, 2
	var rep BenchReply
	require.NoError(t, c.do(ctx, http.MethodPost, "/v1/bench/run", nil, fill, &rep))
	require.Equal(t, int64(5), rep.Ops, "keys 1, 3, 5, 7, 9")
	require.Equal(t, "0", string(fp.kv["bench/x/9"].Value))
	require.NotContains(t, fp.kv, "bench/x/0")

	rmw := base
	rmw.Mode, rmw.DurationMS = benchRMW, 100
	require.NoError(t, c.do(ctx, http.MethodPost, "/v1/bench/run", nil, rmw, &rep))
	require.Positive(t, rep.Ops)
	require.Zero(t, rep.Errors)
	h, err := histFromPairs(rep.Hist)
	require.NoError(t, err)
	require.Equal(t, rep.Ops, h.n, "one latency sample per committed transaction")
	committed := rep.Ops

	sum := base
	sum.Mode = benchSum
	require.NoError(t, c.do(ctx, http.MethodPost, "/v1/bench/run", nil, sum, &rep))
	require.Equal(t, int64(10), rep.Ops)
	require.Equal(t, uint64(committed), rep.Sum, "every increment is counted once")

	fp.mu.Lock()
	fp.storeErr = fmt.Errorf("get: %w", txn.ErrNoQuorum)
	fp.mu.Unlock()
	read := base
	read.Mode, read.DurationMS = benchRead, 50
	require.NoError(t, c.do(ctx, http.MethodPost, "/v1/bench/run", nil, read, &rep))
	require.Zero(t, rep.Ops)
	require.Positive(t, rep.NoQuorum)
	require.Contains(t, rep.FirstError, "no quorum")

	// A peer without clients of its own measures its counters over the whole run, so a bench
	// with fewer clients than peers still counts the work every peer does.
	measure := base
	measure.Mode, measure.DurationMS, measure.Clients = benchRMW, 60, 0
	fp.mu.Lock()
	fp.sentPerRead = 7
	fp.mu.Unlock()
	require.NoError(t, c.do(ctx, http.MethodPost, "/v1/bench/run", nil, measure, &rep))
	require.Zero(t, rep.Ops)
	require.Equal(t, uint64(7), rep.MsgsSent, "counters read at the start and the end")
	require.GreaterOrEqual(t, rep.ElapsedMS, 60.0, "the window is the run's duration")

	for _, bad := range []BenchRequest{
		{Mode: "write", Clients: 1, Keys: 1, KeyPrefix: "p"},
		{Mode: benchRead, Clients: -1, Keys: 1, KeyPrefix: "p", DurationMS: 10},
		{Mode: benchRMW, Clients: 1, Keys: 1, KeyPrefix: "p"},
		{Mode: benchFill, Clients: 0, Keys: 1, KeyPrefix: "p"},
		{Mode: benchFill, Clients: 1, Keys: 1},
		{Mode: benchFill, Clients: 1, Keys: 1, KeyPrefix: "p", Offset: 2, Stride: 2},
	} {
		err := c.do(ctx, http.MethodPost, "/v1/bench/run", nil, bad, &rep)
		var re *remoteError
		require.ErrorAs(t, err, &re, "%+v", bad)
		require.Equal(t, http.StatusBadRequest, re.code, "%+v", bad)
	}
}

func TestLatencyHist(t *testing.T) {
	// Buckets are contiguous, cover every value, and are at most 1/64 wide relative to their
	// start past the exact range.
	prev := -1
	for us := uint64(0); us < 1<<20; us += 1 + us/1000 {
		i := histBucket(us)
		require.GreaterOrEqual(t, i, prev)
		require.LessOrEqual(t, histLow(i), us)
		require.Less(t, us, histHigh(i))
		if i >= 128 {
			require.LessOrEqual(t, float64(histHigh(i)-histLow(i))/float64(histLow(i)), 1.0/64)
		}
		prev = i
	}
	h := newLatencyHist()
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond / 100) // 10 µs .. 10 ms
	}
	require.InDelta(t, 5000, h.quantile(0.5).Microseconds(), 5000/64+1)
	require.InDelta(t, 9900, h.quantile(0.99).Microseconds(), 9900/64+1)
	require.InDelta(t, 10000, h.quantile(1).Microseconds(), 10000/64+1)
	h2, err := histFromPairs(h.pairs())
	require.NoError(t, err)
	require.Equal(t, h, h2)
	_, err = histFromPairs([][2]int64{{-1, 3}})
	require.Error(t, err)
	require.Zero(t, newLatencyHist().quantile(0.5))
}

func TestSplitClientsAndOneRing(t *testing.T) {
	require.Equal(t, []int{3, 3, 2, 2}, splitClients(10, 4))
	require.Equal(t, []int{1, 1, 0, 0}, splitClients(2, 4))
	sts := []node.Status{
		{PeerID: "b", RingID: "02", Joined: true, Successors: []string{"a"}, Predecessor: "a"},
		{PeerID: "a", RingID: "01", Joined: true, Successors: []string{"b"}, Predecessor: "b"},
	}
	ok, why := oneRing(sts)
	require.True(t, ok, why)
	sts[0].Predecessor = "c"
	ok, _ = oneRing(sts)
	require.False(t, ok)
	ok, _ = allJoined(sts)
	require.True(t, ok, "joined, if not in one ring among themselves")
	sts[1].Joined = false
	ok, why = allJoined(sts)
	require.False(t, ok)
	require.Contains(t, why, "a has not joined")
}

func TestBenchFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"bench", "--mode", "write"}, `--mode "write": want rmw, read or local`},
		{[]string{"bench", "--nodes", "0"}, "--nodes must be in [1, 64]"},
		{[]string{"bench", "--clients", "0"}, "--clients must be in"},
		{[]string{"bench", "--duration", "0s"}, "--duration must be in"},
		{[]string{"bench", "--api", "127.0.0.1:1", "--join", "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWPdrKzD5emrLjM476NucpEWLECTGUggbjwgvS47yUZRhx"}, "not both"},
		{[]string{"bench", "--api", "10.1.1.1:80"}, "loopback only"},
		{[]string{"bench", "--log-level", "loud"}, "--log-level"},
		{[]string{"bench", "extra"}, `unexpected argument "extra"`},
	} {
		code, _, errOut := cli(t, tc.args...)
		require.Equal(t, exitUsage, code, tc.args)
		require.Contains(t, errOut, tc.msg, tc.args)
	}
}

func TestPprofOnlyWhenEnabled(t *testing.T) {
	_, addr := startAPI(t, &fakePeer{})
	code, body := getJSON(t, "http://"+addr+"/debug/pprof/cmdline", http.MethodGet)
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, body["error"], "no such endpoint")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := newAPIServer(testLog())
	s.setPeer(&fakePeer{})
	s.enablePprof()
	s.serve(ln)
	t.Cleanup(func() { require.NoError(t, s.shutdown(context.Background())) })
	resp, err := http.Get("http://" + ln.Addr().String() + "/debug/pprof/cmdline")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
