package node

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"
)

func TestBadBootstrapMultiaddr(t *testing.T) {
	for _, addr := range []string{
		"not-a-multiaddr",
		"/ip4/127.0.0.1/tcp/4001",         // no /p2p part
		"/ip4/999.0.0.1/tcp/1/p2p/QmNope", // bad IP and peer ID
	} {
		cfg := testConfig(t)
		cfg.Bootstrap = []string{addr}
		_, err := New(context.Background(), cfg)
		require.Error(t, err, addr)
		require.ErrorContains(t, err, "bootstrap address")
		require.ErrorContains(t, err, addr)
	}
}

func TestBadListenAndPSKConfig(t *testing.T) {
	cfg := testConfig(t)
	cfg.ListenAddrs = []string{"/nope"}
	_, err := New(context.Background(), cfg)
	require.ErrorContains(t, err, "listen address")

	cfg = testConfig(t)
	cfg.PSK = []byte("short")
	_, err = New(context.Background(), cfg)
	require.ErrorContains(t, err, "PSK must be 32 bytes")

	cfg = testConfig(t)
	cfg.PSK = make([]byte, 32)
	cfg.ListenAddrs = []string{"/ip4/127.0.0.1/udp/0/quic-v1"}
	_, err = New(context.Background(), cfg)
	require.ErrorContains(t, err, "TCP only")
}

func TestUnreachableBootstrapNamesTheAddress(t *testing.T) {
	// A port that was just free: nothing listens there, so the dial is refused quickly.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	_, pub, err := crypto.GenerateEd25519Key(nil)
	require.NoError(t, err)
	pid, err := peer.IDFromPublicKey(pub)
	require.NoError(t, err)
	addr := fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/%s", port, pid)

	cfg := testConfig(t)
	cfg.Bootstrap = []string{addr}
	cfg.BootstrapTimeout = 2 * time.Second
	_, err = New(context.Background(), cfg)
	require.ErrorContains(t, err, "no bootstrap peer reachable")
	require.ErrorContains(t, err, addr)
}
