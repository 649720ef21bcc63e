package main

import (
	"context"
	"testing"
	"time"

	"github.com/detrans/detrans/app/space"
	"github.com/stretchr/testify/require"
)

func TestEnvOptions(t *testing.T) {
	t.Setenv("DETRANS_DATA", "")
	t.Setenv("DETRANS_NAME", "")
	t.Setenv("DETRANS_LISTEN", "")
	t.Setenv("DETRANS_MDNS", "")
	o, err := envOptions("/store/root")
	require.NoError(t, err)
	require.Equal(t, "/store/root", o.Root)
	require.True(t, o.MDNS, "the app finds peers on the LAN unless told not to")
	require.Empty(t, o.Listen)

	t.Setenv("DETRANS_DATA", "/tmp/x/../data")
	t.Setenv("DETRANS_NAME", "  Ana  ")
	t.Setenv("DETRANS_LISTEN", "/ip4/127.0.0.1/tcp/0, /ip4/127.0.0.1/tcp/4001")
	t.Setenv("DETRANS_MDNS", "0")
	o, err = envOptions("/store/root")
	require.NoError(t, err)
	require.Equal(t, "/tmp/data", o.Root)
	require.Equal(t, "Ana", o.Name)
	require.Equal(t, []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/tcp/4001"}, o.Listen)
	require.False(t, o.MDNS)

	t.Setenv("DETRANS_DATA", "")
	_, err = envOptions("")
	require.ErrorContains(t, err, "DETRANS_DATA")
}

// TestSpaceBackend: the app's backend starts a peer of its own space on loopback, offline,
// names this device, lists nobody else, gives a ticket that parses, and keeps the author
// across a restart.
func TestSpaceBackend(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o := backendOptions{Root: t.TempDir(), Name: "Ana", Listen: []string{"/ip4/127.0.0.1/tcp/0"}}
	be, err := startSpaceBackend(ctx, o)
	require.NoError(t, err)
	me := be.Me()
	require.NotEmpty(t, me.ID)
	require.Equal(t, "Ana", me.Name)
	require.Empty(t, be.Peers())
	ticket, err := be.Ticket()
	require.NoError(t, err)
	_, err = space.ParseTicket(ticket)
	require.NoError(t, err)
	require.NotNil(t, be.Store())
	require.NoError(t, be.Close())

	be, err = startSpaceBackend(ctx, o)
	require.NoError(t, err)
	defer be.Close()
	require.Equal(t, me.ID, be.Me().ID, "the author stays across restarts")
}
