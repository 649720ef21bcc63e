package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/detrans/detrans/local"
	"github.com/detrans/detrans/node"
	"github.com/detrans/detrans/ring"
)

// The admin API: HTTP+JSON on loopback, versioned under /v1. Every reply is JSON; errors are
// {"error": "..."} with a status code that says whose fault it was (4xx caller, 5xx peer).
// New endpoints are one route() line plus a handler. Handlers run concurrently (net/http gives
// each request its own goroutine and nothing here serializes them): a slow quorum read must not
// hold up a status call, and bench runs many clients at once.

// peerAPI is what the admin API needs from a running peer; nodePeer (a *node.Node) implements
// it, tests use a fake.
type peerAPI interface {
	Status() node.Status
	Lookup(ctx context.Context, key []byte) (node.LookupResult, error)
	Get(ctx context.Context, key []byte) (node.Item, error)
	Put(ctx context.Context, key, value []byte) error
	Delete(ctx context.Context, key []byte) error
	// Increment adds 1 to the decimal counter at key in one read-modify-write transaction and
	// says how many attempts it took (attempts-1 conflicts were retried).
	Increment(ctx context.Context, key []byte) (attempts int, err error)
	Block(peerIDs ...string) error
	Heal() error
	Blocked() []string
	FaultInjectionAllowed() bool
	// Counters are the peer's message and fsync totals (benchmarks report them per operation).
	Counters() node.Counters
	// Local and Watch serve bench's local mode (optimistic edits and their arrival elsewhere).
	Local(ctx context.Context, in local.Intent) error
	Watch(ctx context.Context, keys ...[]byte) (<-chan node.Change, error)
}

const (
	maxKeyLen = 4096
	// maxLookupWait bounds one lookup request; the ring gives up earlier on its own timeout.
	maxLookupWait = 30 * time.Second
)

// LookupReply is the JSON of GET /v1/lookup and `lookup --json`.
type LookupReply struct {
	Key         string `json:"key"`
	KeyRingID   string `json:"key_ring_id"` // ring position of the key, 32 hex digits
	Owner       string `json:"owner"`       // peer ID of the owner
	OwnerRingID string `json:"owner_ring_id"`
	Hops        int    `json:"hops"`
}

// errorReply is the body of every non-2xx reply. Code classifies store and fault errors for
// scripts (see errorCode*); it is empty for the rest.
type errorReply struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

// httpError is an error with the status code to answer it with, and optionally a machine-readable
// error code.
type httpError struct {
	code int
	kind string // errorReply.Code
	err  error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

func errorf(code int, format string, args ...any) error {
	return &httpError{code: code, err: fmt.Errorf(format, args...)}
}

// handlerFunc returns the value to send as JSON with 200, or an error.
type handlerFunc func(r *http.Request, p peerAPI) (any, error)

type apiServer struct {
	log    *slog.Logger
	peer   atomic.Pointer[peerAPI]           // nil while the peer is starting
	mu     sync.RWMutex                      // routes are added at construction; requests only read them
	routes map[string]map[string]handlerFunc // path → method → handler
	srv    *http.Server
	done   chan struct{}

	stopOnce sync.Once
	stopErr  error

	pprof http.Handler // Go's profiler endpoints under /debug/pprof/, nil unless enabled
}

func newAPIServer(log *slog.Logger) *apiServer {
	s := &apiServer{log: log, routes: map[string]map[string]handlerFunc{}, done: make(chan struct{})}
	s.route(http.MethodGet, "/v1/status", handleStatus)
	s.route(http.MethodGet, "/v1/lookup", handleLookup)
	s.route(http.MethodGet, "/v1/get", handleGet)
	s.route(http.MethodPost, "/v1/put", handlePut)
	s.route(http.MethodPost, "/v1/del", handleDel)
	s.route(http.MethodGet, "/v1/fault", handleFaultList)
	s.route(http.MethodPost, "/v1/fault/block", handleFaultBlock)
	s.route(http.MethodPost, "/v1/fault/heal", handleFaultHeal)
	s.route(http.MethodPost, "/v1/bench/run", handleBenchRun)
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s
}

func (s *apiServer) route(method, path string, h handlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.routes[path] == nil {
		s.routes[path] = map[string]handlerFunc{}
	}
	s.routes[path][method] = h
}

// setPeer makes the API answer for p; until then every endpoint answers 503.
func (s *apiServer) setPeer(p peerAPI) { s.peer.Store(&p) }

// serve answers on ln until shutdown; it returns at once.
func (s *apiServer) serve(ln net.Listener) {
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("admin API stopped", "err", err)
		}
	}()
}

// shutdown stops accepting requests and waits (bounded by ctx) for running ones. Only the
// first call does anything.
func (s *apiServer) shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		err := s.srv.Shutdown(ctx)
		if err != nil {
			_ = s.srv.Close()
			s.stopErr = fmt.Errorf("admin API shutdown: %w", err)
		}
		<-s.done
	})
	return s.stopErr
}

func (s *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.pprof != nil && strings.HasPrefix(r.URL.Path, pprofPrefix) {
		s.pprof.ServeHTTP(w, r)
		return
	}
	s.mu.RLock()
	methods := s.routes[r.URL.Path]
	h := methods[r.Method]
	s.mu.RUnlock()
	switch {
	case methods == nil:
		writeError(w, errorf(http.StatusNotFound, "no such endpoint: %s", r.URL.Path))
		return
	case h == nil:
		allow := make([]string, 0, len(methods))
		for m := range methods {
			allow = append(allow, m)
		}
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, errorf(http.StatusMethodNotAllowed, "%s %s: method not allowed (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", ")))
		return
	}
	p := s.peer.Load()
	if p == nil {
		writeError(w, errorf(http.StatusServiceUnavailable, "the peer is still starting"))
		return
	}
	v, err := h(r, *p)
	if err != nil {
		s.log.Debug("admin API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}

func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	kind := ""
	var he *httpError
	switch {
	case errors.As(err, &he):
		code, kind = he.code, he.kind
	case errors.Is(err, context.DeadlineExceeded):
		code = http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, errorReply{Error: err.Error(), Code: kind})
}

func handleStatus(_ *http.Request, p peerAPI) (any, error) {
	return p.Status(), nil
}

func handleLookup(r *http.Request, p peerAPI) (any, error) {
	q := r.URL.Query()
	if !q.Has("key") {
		return nil, errorf(http.StatusBadRequest, "missing query parameter key")
	}
	key := q.Get("key")
	if len(key) > maxKeyLen {
		return nil, errorf(http.StatusBadRequest, "key is %d bytes, at most %d allowed", len(key), maxKeyLen)
	}
	ctx, cancel := context.WithTimeout(r.Context(), maxLookupWait)
	defer cancel()
	res, err := p.Lookup(ctx, []byte(key))
	if err != nil {
		return nil, err
	}
	return LookupReply{
		Key:         key,
		KeyRingID:   ring.HashKey([]byte(key)).String(),
		Owner:       res.Owner,
		OwnerRingID: res.OwnerRingID.String(),
		Hops:        res.Hops,
	}, nil
}
