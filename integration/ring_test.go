package integration

import (
	"context"
	"fmt"
	"os"
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

// TestFiveProcessRing: five detrans-node processes form one ring; kill -9 of one (the peer the
// others joined through) is repaired among four; SIGTERM of another exits 0 after a graceful
// leave and the ring is repaired among three. Lookups agree with ring order at every stage.
//
// Each peer is given every earlier peer as --join (JoinAll): see TestFiveProcessRingJoinFirst
// for why joining through the first peer alone is not reliable yet.
func TestFiveProcessRing(t *testing.T) {
	testFiveProcessRing(t, harness.JoinAll)
}

// TestFiveProcessRingJoinFirst is TestFiveProcessRing with every peer joining through the first
// one only. In about one run in three a joiner never joins: the JoinAck of the peer that
// accepted it is dropped (that peer has never been connected to the joiner and kad-dht does not
// know its address yet: "find addresses of ...: routing: not found"), and ring/ never recovers
// from a lost JoinAck, because the joiner's predecessor already lists it as successor and routes
// every retried Join back to the joiner, which drops it while not joined.
func TestFiveProcessRingJoinFirst(t *testing.T) {
	knownBug(t, "ring/: a lost JoinAck is never recovered (retried Joins are routed to the joiner itself)")
	testFiveProcessRing(t, harness.JoinFirst)
}

func testFiveProcessRing(t *testing.T, via harness.JoinVia) {
	c := harness.NewCluster(t, bin)
	peers := c.StartRing(5, via)
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

// TestRestartedPeerRejoins: a crashed peer restarted on its data dir and address keeps its
// identity, comes back with the next incarnation, and the ring takes it in again.
func TestRestartedPeerRejoins(t *testing.T) {
	testRestart(t, (*harness.Cluster).Restart, harness.JoinAll)
}

// TestRestartOnNewAddressRejoins is the same with the peer back on another port.
func TestRestartOnNewAddressRejoins(t *testing.T) {
	testRestart(t, (*harness.Cluster).RestartNewAddr, harness.JoinAll)
}

// TestRestartThroughOnePeer restarts the crashed peer with one --join address. Its JoinAck
// is often lost: the accepting peer dials the restarted one at an address in libp2p's dial
// backoff (same port: failed dials during the crash) or at the old address (new port: the
// peerstore still has it, and openStream asks the DHT only when no address is known); then
// the ring bug of TestFiveProcessRingJoinFirst keeps it out for good.
func TestRestartThroughOnePeer(t *testing.T) {
	knownBug(t, "node/: dials to a restarted peer hit dial backoff or its stale address; ring/: lost JoinAck never recovered")
	t.Run("same address", func(t *testing.T) { testRestart(t, (*harness.Cluster).Restart, harness.JoinFirst) })
	t.Run("new address", func(t *testing.T) { testRestart(t, (*harness.Cluster).RestartNewAddr, harness.JoinFirst) })
}

func testRestart(t *testing.T, restart func(c *harness.Cluster, p *harness.Peer, join ...string), via harness.JoinVia) {
	c := harness.NewCluster(t, bin)
	peers := c.StartRing(3, harness.JoinAll)
	c.WaitOneRing(peers, formTimeout)

	p := peers[1]
	id := p.PeerID()
	require.NoError(t, p.Kill())
	others := []*harness.Peer{peers[0], peers[2]}
	c.WaitOneRing(others, repairTimeout)

	// The crash left a stale api.addr behind; it must not block the restart.
	require.FileExists(t, filepath.Join(p.DataDir, "api.addr"))
	join := others[1].Ready().Addrs
	if via == harness.JoinAll {
		join = append(others[0].Ready().Addrs, join...)
	}
	restart(c, p, join...)
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

// knownBugsEnv runs the tests that reproduce known bugs in other packages.
const knownBugsEnv = "DETRANS_KNOWN_BUGS"

// knownBug skips a test that reproduces a known, reported bug outside this package unless
// DETRANS_KNOWN_BUGS=1. Delete the call once the bug is fixed.
func knownBug(t *testing.T, bug string) {
	t.Helper()
	if os.Getenv(knownBugsEnv) != "1" {
		t.Skipf("known bug (%s); run with %s=1 to reproduce", bug, knownBugsEnv)
	}
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
