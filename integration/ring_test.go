package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/detrans/detrans/integration/harness"
	"github.com/detrans/detrans/node"
	"github.com/stretchr/testify/require"
)

// Generous bounds for convergence on a loaded 2-core machine: they are failure deadlines, not
// speed claims.
const (
	formTimeout   = 60 * time.Second
	repairTimeout = 90 * time.Second
	stopTimeout   = 20 * time.Second
	lookupTimeout = 60 * time.Second
)

// TestFiveProcessRing: five detrans-node processes, four of them joining through the first,
// form one ring; kill -9 of the first is repaired among four; SIGTERM of another exits 0 after
// a graceful leave and the ring is repaired among three. Lookups agree with ring order at every
// stage.
func TestFiveProcessRing(t *testing.T) {
	c := harness.NewCluster(t, bin)
	peers := c.StartRing(5, harness.JoinFirst)
	sts := c.WaitOneRing(peers, formTimeout)
	checkStatusContract(t, sts)
	checkLookups(t, peers, sts)

	victim := peers[0]
	require.NoError(t, victim.Kill())
	survivors := peers[1:]
	sts = c.WaitOneRing(survivors, repairTimeout)
	checkLookups(t, survivors, sts)

	leaver := survivors[2]
	code, err := leaver.Stop(stopTimeout)
	require.NoError(t, err)
	require.Equal(t, 0, code, "SIGTERM is a clean shutdown")
	require.NoFileExists(t, filepath.Join(leaver.DataDir, "api.addr"), "a clean exit removes api.addr")
	rest := []*harness.Peer{survivors[0], survivors[1], survivors[3]}
	sts = c.WaitOneRing(rest, repairTimeout)
	checkLookups(t, rest, sts)
}

// TestRestartedPeerRejoins: a crashed peer restarted on its data dir keeps its identity, comes
// back with the next incarnation, and the ring takes it in again, whether it comes back on its
// old address (the others' dials to it are in libp2p's backoff after the crash) or on a new one
// (the others' peerstores hold the old one).
func TestRestartedPeerRejoins(t *testing.T) {
	t.Run("same address", func(t *testing.T) { testRestart(t, (*harness.Cluster).Restart) })
	t.Run("new address", func(t *testing.T) { testRestart(t, (*harness.Cluster).RestartNewAddr) })
}

func testRestart(t *testing.T, restart func(c *harness.Cluster, p *harness.Peer, join ...string)) {
	c := harness.NewCluster(t, bin)
	peers := c.StartRing(3, harness.JoinFirst)
	c.WaitOneRing(peers, formTimeout)

	p := peers[1]
	id := p.PeerID()
	require.NoError(t, p.Kill())
	c.WaitOneRing([]*harness.Peer{peers[0], peers[2]}, repairTimeout)

	// The crash left a stale api.addr behind; it must not block the restart.
	require.FileExists(t, filepath.Join(p.DataDir, "api.addr"))
	restart(c, p, peers[2].Ready().Addrs...)
	require.Equal(t, id, p.PeerID(), "same data dir, same identity")
	sts := c.WaitOneRing(peers, formTimeout)
	for _, st := range sts {
		if st.PeerID == id {
			require.Equal(t, uint64(2), st.Incarnation)
		}
	}

	code, err := p.Interrupt(stopTimeout)
	require.NoError(t, err)
	require.Equal(t, 0, code, "SIGINT is a clean shutdown")
}

// checkStatusContract checks the documented shape of status --json on live peers.
func checkStatusContract(t *testing.T, sts []node.Status) {
	t.Helper()
	ringIDs := map[string]bool{}
	for _, st := range sts {
		require.Len(t, st.RingID, 32, "ring_id is 32 hex digits")
		require.False(t, ringIDs[st.RingID], "ring ids are distinct")
		ringIDs[st.RingID] = true
		require.NotEmpty(t, st.Addrs)
		for _, a := range st.Addrs {
			require.True(t, strings.HasSuffix(a, "/p2p/"+st.PeerID), "addr %s ends in /p2p/ID", a)
			require.True(t, strings.HasPrefix(a, "/ip4/127.0.0.1/"), "loopback only: %s", a)
		}
		require.GreaterOrEqual(t, st.Incarnation, uint64(1))
		require.NotEmpty(t, st.ConnectedPeers)
	}
}

// checkLookups asks every peer for the owner of a few keys through `lookup --json` until they
// all name the owner that ring order says. Eventually, because right after a repair a lookup
// may still be routed through a finger to the dead peer and time out.
func checkLookups(t *testing.T, peers []*harness.Peer, sts []node.Status) {
	t.Helper()
	want := map[string]string{}
	for i := range 4 {
		key := fmt.Sprintf("key-%d", i)
		owner, err := harness.OwnerOf(sts, key)
		require.NoError(t, err)
		want[key] = owner
	}
	harness.Eventually(t, lookupTimeout, "lookups agree with ring order", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for key, owner := range want {
			for _, p := range peers {
				got, hops, err := p.Lookup(ctx, key)
				if err != nil {
					return false, err.Error()
				}
				if got != owner || hops < 0 {
					return false, fmt.Sprintf("lookup %q at %s: owner %s hops %d, want owner %s", key, p.Name, got, hops, owner)
				}
			}
		}
		return true, ""
	})
}
