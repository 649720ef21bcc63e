package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/detrans/detrans/local"
	"github.com/detrans/detrans/node"
	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

// fakePeer answers like a peer in a ring of two, with an in-memory store.
type fakePeer struct {
	lookupErr error
	lastKey   []byte

	mu          sync.Mutex
	kv          map[string]node.Item
	storeErr    error // returned by every store call while set
	allowFault  bool
	blocked     []string
	sent        uint64 // Counters().MsgsSent; grows by sentPerRead on every call
	sentPerRead uint64
}

func (f *fakePeer) Get(ctx context.Context, key []byte) (node.Item, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.storeErr != nil {
		return node.Item{}, f.storeErr
	}
	return f.kv[string(key)], nil
}

func (f *fakePeer) Put(ctx context.Context, key, value []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.storeErr != nil {
		return f.storeErr
	}
	if f.kv == nil {
		f.kv = map[string]node.Item{}
	}
	it := f.kv[string(key)]
	f.kv[string(key)] = node.Item{Value: value, Version: it.Version + 1, Found: true}
	return nil
}

func (f *fakePeer) Delete(ctx context.Context, key []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.storeErr != nil {
		return f.storeErr
	}
	it := f.kv[string(key)]
	if it.Found {
		f.kv[string(key)] = node.Item{Version: it.Version + 1}
	}
	return nil
}

func (f *fakePeer) Increment(ctx context.Context, key []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.storeErr != nil {
		return 1, f.storeErr
	}
	it := f.kv[string(key)]
	v, err := parseCounter(it.Value, it.Found)
	if err != nil {
		return 1, err
	}
	if f.kv == nil {
		f.kv = map[string]node.Item{}
	}
	f.kv[string(key)] = node.Item{Value: []byte(strconv.FormatUint(v+1, 10)), Version: it.Version + 1, Found: true}
	return 1, nil
}

func (f *fakePeer) Block(ids ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked = append(f.blocked, ids...)
	slices.Sort(f.blocked)
	f.blocked = slices.Compact(f.blocked)
	return nil
}

func (f *fakePeer) Heal() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked = nil
	return nil
}

func (f *fakePeer) Blocked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.blocked)
}

func (f *fakePeer) FaultInjectionAllowed() bool { return f.allowFault }

func (f *fakePeer) Counters() node.Counters {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent += f.sentPerRead
	return node.Counters{MsgsSent: f.sent}
}

func (f *fakePeer) Local(context.Context, local.Intent) error {
	return errors.New("fake: no local edits")
}

func (f *fakePeer) Watch(context.Context, ...[]byte) (<-chan node.Change, error) {
	return nil, errors.New("fake: no watch")
}

func (f *fakePeer) Status() node.Status {
	return node.Status{
		PeerID: "12D3KooWSelf", Addrs: []string{"/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWSelf"},
		RingID: strings.Repeat("ab", 16), Incarnation: 3, Joined: true,
		Predecessor: "12D3KooWOther", Successors: []string{"12D3KooWOther", "12D3KooWSelf"},
		Predecessors: []string{"12D3KooWOther"}, Fingers: 1, Passive: 2,
		Suspected: []string{}, ConnectedPeers: []string{"12D3KooWOther"},
	}
}

func (f *fakePeer) Lookup(ctx context.Context, key []byte) (node.LookupResult, error) {
	f.lastKey = key
	if f.lookupErr != nil {
		return node.LookupResult{}, f.lookupErr
	}
	return node.LookupResult{Key: ring.HashKey(key), Owner: "12D3KooWOther", OwnerRingID: ring.ID{Hi: 1}, Hops: 2}, nil
}

func testLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startAPI serves an admin API for p on a free loopback port.
func startAPI(t *testing.T, p peerAPI) (*apiServer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := newAPIServer(testLog())
	if p != nil {
		s.setPeer(p)
	}
	s.serve(ln)
	t.Cleanup(func() { require.NoError(t, s.shutdown(context.Background())) })
	return s, ln.Addr().String()
}

func getJSON(t *testing.T, url string, method string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func TestAPIStatusAndLookup(t *testing.T) {
	fp := &fakePeer{}
	_, addr := startAPI(t, fp)
	c := newClient(addr, 5*time.Second)
	ctx := context.Background()

	st, err := c.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, fp.Status(), st)

	rep, err := c.Lookup(ctx, "a key/with?odd&chars")
	require.NoError(t, err)
	require.Equal(t, "a key/with?odd&chars", string(fp.lastKey), "the key reaches the peer unchanged")
	require.Equal(t, LookupReply{
		Key: "a key/with?odd&chars", KeyRingID: ring.HashKey([]byte("a key/with?odd&chars")).String(),
		Owner: "12D3KooWOther", OwnerRingID: ring.ID{Hi: 1}.String(), Hops: 2,
	}, rep)
}

func TestAPIStatusJSONFieldNames(t *testing.T) {
	_, addr := startAPI(t, &fakePeer{})
	code, body := getJSON(t, "http://"+addr+"/v1/status", http.MethodGet)
	require.Equal(t, http.StatusOK, code)
	for _, k := range []string{"peer_id", "addrs", "ring_id", "incarnation", "joined", "predecessor",
		"successors", "predecessors", "fingers", "passive", "suspected", "connected_peers"} {
		require.Contains(t, body, k, "documented status field")
	}
}

func TestAPIErrors(t *testing.T) {
	fp := &fakePeer{}
	_, addr := startAPI(t, fp)
	base := "http://" + addr

	code, body := getJSON(t, base+"/v1/nope", http.MethodGet)
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, body["error"], "no such endpoint: /v1/nope")

	code, body = getJSON(t, base+"/v1/status", http.MethodPost)
	require.Equal(t, http.StatusMethodNotAllowed, code)
	require.Contains(t, body["error"], "allowed: GET")

	code, body = getJSON(t, base+"/v1/lookup", http.MethodGet)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body["error"], "missing query parameter key")

	code, body = getJSON(t, base+"/v1/lookup?key="+strings.Repeat("k", maxKeyLen+1), http.MethodGet)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body["error"], "at most 4096")

	fp.lookupErr = errors.New("lookup 1234abcd: lookup timed out in the ring")
	code, body = getJSON(t, base+"/v1/lookup?key=k", http.MethodGet)
	require.Equal(t, http.StatusInternalServerError, code)
	require.Equal(t, fp.lookupErr.Error(), body["error"])

	fp.lookupErr = context.DeadlineExceeded
	code, _ = getJSON(t, base+"/v1/lookup?key=k", http.MethodGet)
	require.Equal(t, http.StatusGatewayTimeout, code)

	// The client passes the peer's own message through.
	fp.lookupErr = errors.New("ring is on fire")
	_, err := newClient(addr, 5*time.Second).Lookup(context.Background(), "k")
	require.EqualError(t, err, "ring is on fire")
}

func TestAPIAnswers503WhileStarting(t *testing.T) {
	s, addr := startAPI(t, nil)
	code, body := getJSON(t, "http://"+addr+"/v1/status", http.MethodGet)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body["error"], "still starting")

	s.setPeer(&fakePeer{})
	code, _ = getJSON(t, "http://"+addr+"/v1/status", http.MethodGet)
	require.Equal(t, http.StatusOK, code)
}

func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	// Nobody listening: a port that was just free.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = newClient(addr, 5*time.Second).Status(ctx)
	require.EqualError(t, err, "no detrans-node is answering at "+addr+": is it running?")

	// Something else answers on the port.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "<html>hello</html>")
	}))
	defer other.Close()
	addr = strings.TrimPrefix(other.URL, "http://")
	_, err = newClient(addr, 5*time.Second).Status(ctx)
	require.ErrorContains(t, err, "is not a detrans-node admin API")

	// A peer that hangs.
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hung.Close()
	defer close(release)
	addr = strings.TrimPrefix(hung.URL, "http://")
	_, err = newClient(addr, 100*time.Millisecond).Status(ctx)
	require.EqualError(t, err, "the detrans-node at "+addr+" did not answer in time")
}
