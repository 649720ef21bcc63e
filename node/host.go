package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/core/pnet"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	libp2pquic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// dhtPrefix keeps our DHT apart from the public IPFS DHT: peers only route among DeTrans nodes.
const dhtPrefix = "/detrans"

func ringTick(c ring.Config) time.Duration {
	if c.TickInterval > 0 {
		return c.TickInterval
	}
	return fallbackTick
}

// newHost builds a host with exactly the transports we support: TCP always, QUIC unless a PSK
// is set (libp2p's private networks are TCP only). Relay, NAT port mapping and the browser
// transports are left out: peers reach each other directly or not at all.
func newHost(s *settings, key crypto.PrivKey, g *gater) (host.Host, error) {
	opts := []libp2p.Option{
		libp2p.Identity(key),
		libp2p.ListenAddrs(s.listen...),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Security(libp2ptls.ID, libp2ptls.New),
		libp2p.DefaultMuxers,
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
	}
	if g != nil {
		opts = append(opts, libp2p.ConnectionGater(g))
	}
	if s.PSK != nil {
		opts = append(opts, libp2p.PrivateNetwork(pnet.PSK(s.PSK)))
	} else {
		opts = append(opts, libp2p.Transport(libp2pquic.NewTransport))
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("libp2p host: %w", err)
	}
	return h, nil
}

// newDHT starts kad-dht in server mode under our private prefix. We use it only for peer
// routing (FindPeer): values and provider records are off.
func newDHT(h host.Host, boot []peer.AddrInfo) (*dht.IpfsDHT, error) {
	d, err := dht.New(h,
		dht.Mode(dht.ModeServer),
		dht.ProtocolPrefix(dhtPrefix),
		dht.BootstrapPeers(boot...),
		dht.DisableValues(),
		dht.DisableProviders(),
	)
	if err != nil {
		return nil, fmt.Errorf("kad-dht: %w", err)
	}
	return d, nil
}

// connectBootstrap dials every bootstrap peer in parallel and succeeds if at least one answers
// within the timeout. With none reachable the error names every address and why it failed.
func connectBootstrap(ctx context.Context, h host.Host, boot []peer.AddrInfo, timeout time.Duration) error {
	if len(boot) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	errs := make([]error, len(boot))
	var wg sync.WaitGroup
	for i, ai := range boot {
		h.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.PermanentAddrTTL)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = h.Connect(ctx, ai)
		}()
	}
	wg.Wait()
	var failed []string
	for i, err := range errs {
		if err == nil {
			return nil
		}
		failed = append(failed, fmt.Sprintf("%s: %v", addrString(boot[i]), err))
	}
	return fmt.Errorf("no bootstrap peer reachable within %s: %s", timeout, strings.Join(failed, "; "))
}

func addrString(ai peer.AddrInfo) string {
	addrs, err := peer.AddrInfoToP2pAddrs(&ai)
	if err != nil || len(addrs) == 0 {
		return ai.ID.String()
	}
	parts := make([]string, len(addrs))
	for i, a := range addrs {
		parts[i] = a.String()
	}
	return strings.Join(parts, ",")
}

// p2pAddrs returns h's addresses as dialable multiaddrs ending in /p2p/ID.
func p2pAddrs(h host.Host) []string {
	ai := peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}
	addrs, err := peer.AddrInfoToP2pAddrs(&ai)
	if err != nil {
		return nil
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}

var errClosed = errors.New("node: closed")
