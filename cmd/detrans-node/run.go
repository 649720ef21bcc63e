package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/detrans/detrans/node"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

func usageRun(w io.Writer) {
	fmt.Fprintf(w, `Usage: detrans-node run [flags]

Runs a peer until SIGINT or SIGTERM, then leaves the ring gracefully and exits 0.
Without --join, run founds a new space in an empty data dir; with --join it joins one.
A data dir that already belongs to a space never founds another one.
Once the peer is up it prints one line to stdout:

  detrans-node ready peer_id=ID api=127.0.0.1:PORT addrs=MULTIADDR,...

and writes the admin API address to DATA/api.addr (removed again on a clean exit).

Flags:
  --data DIR           identity and data of this peer (default %s)
  --listen MULTIADDR   listen address, repeatable (default /ip4/0.0.0.0/tcp/0 and
                       /ip4/0.0.0.0/udp/0/quic-v1; TCP only with --psk-file)
  --join MULTIADDR     peer to join through, ending in /p2p/PEER_ID; repeatable
                       (without it, and without --mdns, the peer founds a new space)
  --join-timeout D     how long to try the --join peers at start (default 10s)
  --api ADDR           admin API address, loopback only (default %s;
                       127.0.0.1:0 picks a free port)
  --mdns               find peers on the LAN with mDNS (default off); such a peer joins
                       the LAN's space and never founds one (give the first peer no --mdns)
  --allow-fault-injection
                       accept 'detrans-node fault block/heal' (tests and demos; default off)
  --pprof              serve Go's profiler on the admin API under /debug/pprof/
  --psk-file FILE      private network key: 64 hex digits (32 bytes); TCP only
  --log-level LEVEL    debug, info, warn or error (default info); logs go to stderr
`, defaultDataDirHelp(), defaultAPI)
}

type runOptions struct {
	data        string
	listen      stringList
	join        stringList
	joinTimeout time.Duration
	api         string
	mdns        bool
	allowFault  bool
	pprof       bool
	pskFile     string
	logLevel    slog.Level
}

// parseRunFlags checks everything that can be checked without touching the disk or network,
// so a typo fails at once with a message naming the flag.
func parseRunFlags(args []string, stdout io.Writer) (*runOptions, error) {
	o := &runOptions{}
	var level string
	fs := newFlagSet("run")
	fs.StringVar(&o.data, "data", "", "")
	fs.Var(&o.listen, "listen", "")
	fs.Var(&o.join, "join", "")
	fs.DurationVar(&o.joinTimeout, "join-timeout", 10*time.Second, "")
	fs.StringVar(&o.api, "api", defaultAPI, "")
	fs.BoolVar(&o.mdns, "mdns", false, "")
	fs.BoolVar(&o.allowFault, "allow-fault-injection", false, "")
	fs.BoolVar(&o.pprof, "pprof", false, "")
	fs.StringVar(&o.pskFile, "psk-file", "", "")
	fs.StringVar(&level, "log-level", "info", "")
	pos, err := parseArgs(fs, args, usageRun, stdout)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, usagef("unexpected argument %q", pos[0])
	}
	if err := o.logLevel.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", level)
	}
	if o.joinTimeout <= 0 {
		return nil, usagef("--join-timeout must be positive")
	}
	if o.api, err = loopbackAddr(o.api); err != nil {
		return nil, usageError{fmt.Errorf("--api: %w", err)}
	}
	for _, a := range o.listen {
		if _, err := ma.NewMultiaddr(a); err != nil {
			return nil, usagef("--listen %q: not a multiaddr (e.g. /ip4/127.0.0.1/tcp/4001): %v", a, err)
		}
	}
	for _, a := range o.join {
		if err := checkJoinAddr(a); err != nil {
			return nil, usageError{err}
		}
	}
	if o.data == "" {
		if o.data, err = defaultDataDir(); err != nil {
			return nil, usageError{err}
		}
	}
	return o, nil
}

func checkJoinAddr(a string) error {
	m, err := ma.NewMultiaddr(a)
	if err != nil {
		return fmt.Errorf("--join %q: not a multiaddr: %v", a, err)
	}
	ai, err := peer.AddrInfoFromP2pAddr(m)
	if err != nil || len(ai.Addrs) == 0 {
		return fmt.Errorf("--join %q: want a transport address ending in /p2p/PEER_ID, as printed by the other peer's 'run' or 'status'", a)
	}
	return nil
}

func readPSK(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--psk-file: %w", err)
	}
	psk, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(psk) != 32 {
		return nil, fmt.Errorf("--psk-file %s: want 64 hex digits (a 32-byte key)", path)
	}
	return psk, nil
}

// peerGCPercent is the GC target of a peer process unless GOGC says otherwise. A peer's live
// heap is small (tens of MB) while every message it handles allocates, so with Go's default of
// 100 the collector took about a quarter of the CPU under bench load; 400 trades a few times
// that small heap for roughly a fifth less CPU per transaction.
const peerGCPercent = 400

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseRunFlags(args, stdout)
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		// Process-wide: restored when run returns (tests run cmdRun inside the test binary).
		defer debug.SetGCPercent(debug.SetGCPercent(peerGCPercent))
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.logLevel}))
	cfg := node.Config{
		DataDir:          o.data,
		ListenAddrs:      o.listen,
		Bootstrap:        o.join,
		MDNS:             o.mdns,
		Logger:           log,
		BootstrapTimeout: o.joinTimeout,
		// A peer with an address to join belongs to that space. With mDNS, node.Config.Found
		// would found a space even when a LAN peer turns up, so only an explicit loner founds.
		Found:               len(o.join) == 0 && !o.mdns,
		AllowFaultInjection: o.allowFault,
	}
	if o.pskFile != "" {
		if cfg.PSK, err = readPSK(o.pskFile); err != nil {
			return err
		}
	}
	if err := checkDataDirFree(ctx, o.data); err != nil {
		return err
	}

	// Bind the API before starting the peer: a busy port then fails in a millisecond instead
	// of after a ring join that would have to be undone.
	ln, err := net.Listen("tcp", o.api)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("admin API address %s is already in use (another detrans-node running?); pick another with --api, or --api 127.0.0.1:0 for any free port", o.api)
		}
		return fmt.Errorf("admin API: %w", err)
	}
	api := newAPIServer(log)
	if o.pprof {
		api.enablePprof()
	}
	api.serve(ln)
	apiAddr := ln.Addr().String()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = api.shutdown(sctx) // already stopped on the normal path
	}()

	sigCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := node.New(sigCtx, cfg)
	if err != nil {
		if sigCtx.Err() != nil && ctx.Err() == nil {
			return errors.New("interrupted while starting")
		}
		return fmt.Errorf("start peer: %w", err)
	}
	api.setPeer(nodePeer{Node: n, allowFault: o.allowFault})
	if err := writeAPIAddr(o.data, apiAddr); err != nil {
		_ = n.Close()
		return err
	}
	fmt.Fprintf(stdout, "detrans-node ready peer_id=%s api=%s addrs=%s\n", n.PeerID(), apiAddr, strings.Join(n.Addrs(), ","))
	log.Info("admin API listening", "addr", apiAddr, "data", o.data)

	<-sigCtx.Done()
	// From here a second SIGINT/SIGTERM kills the process the default way, for a leave that hangs.
	stop()
	log.Info("shutting down: leaving the ring")
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	apiErr := api.shutdown(sctx)
	cancel()
	rmErr := removeAPIAddr(o.data, apiAddr)
	closeErr := n.Close()
	if err := errors.Join(closeErr, apiErr, rmErr); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped cleanly")
	return nil
}

// checkDataDirFree refuses a data dir whose api.addr names a peer that still answers: two
// processes with one identity would confuse the whole ring. A stale file (after a crash) is fine.
func checkDataDirFree(ctx context.Context, dir string) error {
	addr, err := readAPIAddr(dir)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = newClient(addr, 2*time.Second).Status(ctx)
	var remote *remoteError
	if err == nil || errors.As(err, &remote) {
		return fmt.Errorf("data dir %s is in use by the detrans-node answering at %s", dir, addr)
	}
	return nil
}
