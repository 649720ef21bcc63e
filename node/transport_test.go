package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/stretchr/testify/require"
)

func TestPingOverOurProtocol(t *testing.T) {
	a := startNode(t, testConfig(t))
	cfg := testConfig(t)
	cfg.Bootstrap = a.Addrs()
	b := startNode(t, cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 5 {
		rtt, err := b.Ping(ctx, a.PeerID())
		require.NoError(t, err)
		require.Positive(t, rtt)
	}
	_, err := a.Ping(ctx, b.PeerID())
	require.NoError(t, err)

	_, err = a.Ping(ctx, "not-a-peer-id")
	require.ErrorContains(t, err, "bad peer ID")

	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, err = a.Ping(canceled, b.PeerID())
	require.ErrorIs(t, err, context.Canceled)
	// The stream reset by the cancellation is replaced by the next ping.
	_, err = a.Ping(ctx, b.PeerID())
	require.NoError(t, err)
}

func TestAddrsAndStatusContract(t *testing.T) {
	a := startNode(t, testConfig(t))
	require.NoError(t, a.WaitJoined(context.Background()))
	st := a.Status()
	require.Equal(t, a.PeerID(), st.PeerID)
	require.NotEmpty(t, st.Addrs)
	for _, s := range st.Addrs {
		m, err := ma.NewMultiaddr(s)
		require.NoError(t, err)
		ai, err := peer.AddrInfoFromP2pAddr(m)
		require.NoError(t, err, "status addrs must end in /p2p/ID")
		require.Equal(t, a.PeerID(), ai.ID.String())
	}
	require.True(t, st.Joined)
	require.NotNil(t, st.ConnectedPeers)

	res, err := a.Lookup(context.Background(), []byte("k"))
	require.NoError(t, err)
	require.Equal(t, a.PeerID(), res.Owner)
	require.Equal(t, ring.HashKey([]byte("k")), res.Key)

	require.NoError(t, a.Close())
	require.NoError(t, a.Close(), "Close is idempotent")
	require.Equal(t, a.PeerID(), a.Status().PeerID, "Status works after Close")
	_, err = a.Lookup(context.Background(), []byte("k"))
	require.ErrorIs(t, err, errClosed)
	require.ErrorIs(t, a.WaitJoined(context.Background()), errClosed)
}

func TestPrivateNetwork(t *testing.T) {
	psk := bytes.Repeat([]byte{7}, 32)
	cfg := testConfig(t)
	cfg.PSK = psk
	a := startNode(t, cfg)

	cfg = testConfig(t)
	cfg.PSK = psk
	cfg.Bootstrap = a.Addrs()
	b := startNode(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := b.Ping(ctx, a.PeerID())
	require.NoError(t, err, "same key: connected")

	cfg = testConfig(t)
	cfg.PSK = bytes.Repeat([]byte{8}, 32)
	cfg.Bootstrap = a.Addrs()
	cfg.BootstrapTimeout = 2 * time.Second
	_, err = New(ctx, cfg)
	require.ErrorContains(t, err, "no bootstrap peer reachable", "other key: cannot connect")

	cfg = testConfig(t)
	cfg.Bootstrap = a.Addrs()
	cfg.BootstrapTimeout = 2 * time.Second
	_, err = New(ctx, cfg)
	require.ErrorContains(t, err, "no bootstrap peer reachable", "no key: cannot connect")
}

func TestMalformedFramesDoNotCrashTheNode(t *testing.T) {
	a := startNode(t, testConfig(t))
	cfg := testConfig(t)
	cfg.Bootstrap = a.Addrs()
	b := startNode(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pa, err := peer.Decode(a.PeerID())
	require.NoError(t, err)

	huge := binary.AppendUvarint(nil, uint64(ring.MaxMessageSize)+1)
	overflow := bytes.Repeat([]byte{0xff}, 11) // varint longer than 64 bits
	junk := appendFrame(nil, []byte{0xde, 0xad, 0xbe, 0xef})
	truncated := append(binary.AppendUvarint(nil, 100), 1, 2, 3)
	for _, payload := range [][]byte{huge, overflow, junk, truncated, {}} {
		s, err := b.host.NewStream(ctx, pa, peerProto)
		require.NoError(t, err)
		_, _ = s.Write(payload)
		_ = s.CloseWrite()
		// The node answers a bad frame by resetting the stream; reading sees the end either way.
		buf := make([]byte, 1)
		_, _ = s.Read(buf)
		_ = s.Close()
	}
	// Still alive and serving.
	_, err = b.Ping(ctx, a.PeerID())
	require.NoError(t, err)
	require.Equal(t, a.PeerID(), a.Status().PeerID)
}
