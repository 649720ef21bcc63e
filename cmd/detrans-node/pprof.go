package main

import (
	"net/http"
	"net/http/pprof"
)

// `run --pprof` serves Go's profiler on the admin API under /debug/pprof/ (loopback only, like
// the rest of it): `go tool pprof http://API/debug/pprof/profile?seconds=10`. bench --profile
// uses it to say where a peer's CPU time goes. Off by default: a profile costs the peer CPU.

const pprofPrefix = "/debug/pprof/"

// enablePprof makes s serve the profiler.
func (s *apiServer) enablePprof() {
	mux := http.NewServeMux()
	mux.HandleFunc(pprofPrefix, pprof.Index)
	mux.HandleFunc(pprofPrefix+"cmdline", pprof.Cmdline)
	mux.HandleFunc(pprofPrefix+"profile", pprof.Profile)
	mux.HandleFunc(pprofPrefix+"symbol", pprof.Symbol)
	mux.HandleFunc(pprofPrefix+"trace", pprof.Trace)
	s.pprof = mux
}
