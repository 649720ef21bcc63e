package node

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/detrans/detrans/local"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Config configures one peer. Only DataDir is required.
type Config struct {
	DataDir     string   // required: identity.key, incarnation, later the store
	ListenAddrs []string // multiaddrs; default /ip4/0.0.0.0/tcp/0 and /ip4/0.0.0.0/udp/0/quic-v1 (TCP only with PSK)
	Bootstrap   []string // multiaddrs ending in /p2p/<peer ID>
	PSK         []byte   // optional 32-byte private-network key (forces TCP only)
	MDNS        bool     // LAN discovery; default off
	MDNSService string   // service tag, e.g. "detrans"
	Ring        ring.Config
	Txn         txn.Config
	Logger      *slog.Logger // nil = discard

	// Found makes this peer the founder of a new space when its data dir holds none yet: every
	// replica group starts with this peer alone. A peer that joins an existing space leaves it
	// false; a data dir that already belongs to a space never founds another.
	Found bool

	// Mirror keeps a full, persisted copy of the space here, so the local view (Local, View,
	// Scan, WatchLocal) is complete and works offline. Apps set it; headless peers need not.
	Mirror bool
	// Rebasers are the merge rules of the app's intent kinds, installed before the outbox
	// starts draining (intents queued by an earlier run may conflict at once).
	Rebasers map[string]local.Rebaser
	// BootstrapBestEffort starts the peer even when no bootstrap peer answers (an app opened
	// offline): the ring join keeps retrying them in the background.
	BootstrapBestEffort bool
	// AllowFaultInjection enables Block and Heal (tests and demos); off by default.
	AllowFaultInjection bool

	// BootstrapTimeout bounds how long New waits to connect to at least one bootstrap peer
	// (also bounded by New's ctx). Zero means 10 s.
	BootstrapTimeout time.Duration
	// LeaveTimeout bounds how long Close waits for a graceful ring leave. Zero means 3 s.
	LeaveTimeout time.Duration
	// MDNSGrace is how long a node with mDNS on and no bootstrap address waits for a peer with
	// a lower peer ID before it starts a ring of its own. Zero means 2 s.
	MDNSGrace time.Duration
}

const (
	defaultBootstrapTimeout = 10 * time.Second
	defaultLeaveTimeout     = 3 * time.Second
	defaultMDNSGrace        = 2 * time.Second
	defaultMDNSService      = "detrans"
	// fallbackTick is used when the ring config leaves TickInterval zero.
	fallbackTick = 100 * time.Millisecond
)

var defaultListen = []string{"/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1"}
var defaultListenPSK = []string{"/ip4/0.0.0.0/tcp/0"}

// settings is a validated Config with defaults applied and addresses parsed.
type settings struct {
	Config
	listen    []ma.Multiaddr
	bootstrap []peer.AddrInfo
	tick      time.Duration
}

func (c Config) validate() (*settings, error) {
	if c.DataDir == "" {
		return nil, errors.New("node config: DataDir is required")
	}
	if c.PSK != nil && len(c.PSK) != 32 {
		return nil, fmt.Errorf("node config: PSK must be 32 bytes, got %d", len(c.PSK))
	}
	s := &settings{Config: c}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.BootstrapTimeout <= 0 {
		s.BootstrapTimeout = defaultBootstrapTimeout
	}
	if s.LeaveTimeout <= 0 {
		s.LeaveTimeout = defaultLeaveTimeout
	}
	if s.MDNSGrace <= 0 {
		s.MDNSGrace = defaultMDNSGrace
	}
	if s.MDNSService == "" {
		s.MDNSService = defaultMDNSService
	}
	s.tick = ringTick(c.Ring)

	listen := c.ListenAddrs
	if len(listen) == 0 {
		listen = defaultListen
		if c.PSK != nil {
			listen = defaultListenPSK
		}
	}
	for _, a := range listen {
		m, err := ma.NewMultiaddr(a)
		if err != nil {
			return nil, fmt.Errorf("listen address %q: %w", a, err)
		}
		if c.PSK != nil && isQUIC(m) {
			return nil, fmt.Errorf("listen address %q: a private network (PSK) works over TCP only", a)
		}
		s.listen = append(s.listen, m)
	}

	seen := map[peer.ID]int{}
	for _, a := range c.Bootstrap {
		ai, err := parseBootstrap(a)
		if err != nil {
			return nil, err
		}
		if i, ok := seen[ai.ID]; ok {
			s.bootstrap[i].Addrs = append(s.bootstrap[i].Addrs, ai.Addrs...)
			continue
		}
		seen[ai.ID] = len(s.bootstrap)
		s.bootstrap = append(s.bootstrap, *ai)
	}
	return s, nil
}

func parseBootstrap(a string) (*peer.AddrInfo, error) {
	m, err := ma.NewMultiaddr(strings.TrimSpace(a))
	if err != nil {
		return nil, fmt.Errorf("bootstrap address %q: not a multiaddr: %w", a, err)
	}
	ai, err := peer.AddrInfoFromP2pAddr(m)
	if err != nil {
		return nil, fmt.Errorf("bootstrap address %q: must end in /p2p/<peer ID>: %w", a, err)
	}
	if len(ai.Addrs) == 0 {
		return nil, fmt.Errorf("bootstrap address %q: has a peer ID but no transport address", a)
	}
	return ai, nil
}

func isQUIC(m ma.Multiaddr) bool {
	for _, c := range m {
		switch c.Protocol().Code {
		case ma.P_QUIC, ma.P_QUIC_V1, ma.P_WEBTRANSPORT:
			return true
		}
	}
	return false
}
