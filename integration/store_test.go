package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/detrans/detrans/integration/harness"
	"github.com/stretchr/testify/require"
)

const (
	// writableTimeout bounds how long a fresh or repaired cluster may take to commit.
	writableTimeout = 60 * time.Second
	// progressTimeout bounds waits for the write load to make progress.
	progressTimeout = 60 * time.Second
	checkTimeout    = 120 * time.Second
)

// TestStoreKillNine: four detrans-node processes under a write load through their admin APIs
// (two writers per peer). kill -9 of one peer: the writers on the other three go on committing
// (the time until they all did is logged: the target is 3 s; the test only requires
// progress). The peer restarts on its data dir, rejoins, and its writers commit again. Then every
// acknowledged write is read back through every peer, the restarted one included.
func TestStoreKillNine(t *testing.T) {
	c := harness.NewCluster(t, bin)
	c.LogLevel = "info" // debug logs under load cost CPU the peers need
	peers := c.StartRing(4, harness.JoinFirst)
	c.WaitOneRing(peers, formTimeout)
	harness.WaitWritable(t, peers, writableTimeout)
	// Until views follow the ring a group may still have the victim in two of its slots (views
	// from when the ring was smaller): killing it then rightly stops that group.
	c.WaitGroupsFollowRing(peers, formTimeout)

	// The CLI against the live cluster: a write through one peer is read through another.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, o, err := peers[0].StoreCLI(ctx, "put", "cli/key", "from the CLI")
	require.Equal(t, harness.OK, o, "%v", err)
	out, o, err := peers[2].StoreCLI(ctx, "get", "cli/key")
	require.Equal(t, harness.OK, o, "%v", err)
	require.Equal(t, "from the CLI\n", out)

	via := []*harness.Peer{peers[0], peers[1], peers[2], peers[3], peers[0], peers[1], peers[2], peers[3]}
	log := newWriteLog()
	stop := startWriters(via, "kill9", log)
	defer stop()
	log.waitFor(t, progressTimeout, "every writer commits before the crash", func() bool {
		for i := range via {
			if len(log.acks[i]) < 5 {
				return false
			}
		}
		return true
	})

	victim := peers[3]
	require.NoError(t, victim.Kill())
	killedAt := time.Now()
	live := []int{0, 1, 2, 4, 5, 6} // writers whose peer is alive
	firstAfter := func(i int) (ack, bool) {
		for _, a := range log.acks[i] {
			if a.start.After(killedAt) {
				return a, true
			}
		}
		return ack{}, false
	}
	log.waitFor(t, progressTimeout, "every writer on a live peer commits after the kill", func() bool {
		for _, i := range live {
			if _, ok := firstAfter(i); !ok {
				return false
			}
		}
		return true
	})
	log.mu.Lock()
	var first, all time.Duration = time.Hour, 0
	for _, i := range live {
		a, _ := firstAfter(i)
		first, all = min(first, a.end.Sub(killedAt)), max(all, a.end.Sub(killedAt))
	}
	log.mu.Unlock()

	// Keep the load on while the ring repairs around the dead peer and the replica groups that
	// had it change their views: that is where a stall would hide.
	survivors := peers[:3]
	c.WaitOneRing(survivors, repairTimeout)
	repairedAt := time.Now()
	log.waitFor(t, progressTimeout, "writers on live peers keep committing after the repair", func() bool {
		for _, i := range live {
			n := 0
			for _, a := range log.acks[i] {
				if a.start.After(repairedAt) {
					n++
				}
			}
			if n < 20 {
				return false
			}
		}
		return true
	})
	log.mu.Lock()
	stall := longestStall(log.acks, live, killedAt)
	log.mu.Unlock()
	t.Logf("after kill -9 of %s: first commit %v later, all %d live writers committed within %v; ring repaired after %v; longest stall of a live writer since the kill %v (target: commits resume within 3s)",
		victim.Name, first.Round(time.Millisecond), len(live), all.Round(time.Millisecond),
		repairedAt.Sub(killedAt).Round(time.Millisecond), stall.Round(time.Millisecond))

	// Restart on the same data dir: it rejoins and its writers (3 and 7) commit through it again.
	c.Restart(victim, peers[0].Ready().Addrs...)
	restartedAt := time.Now()
	c.WaitOneRing(peers, repairTimeout)
	rejoinedAt := time.Now()
	log.waitFor(t, progressTimeout, "every writer commits after the rejoin, those of the restarted peer too", func() bool {
		for i := range via {
			n := 0
			for _, a := range log.acks[i] {
				if a.start.After(rejoinedAt) {
					n++
				}
			}
			if n < 20 {
				return false
			}
		}
		return true
	})
	log.mu.Lock()
	stall = longestStall(log.acks, live, restartedAt)
	log.mu.Unlock()
	t.Logf("restarted %s: one ring again %v after the restart; longest stall of a writer on the other peers since the restart %v",
		victim.Name, rejoinedAt.Sub(restartedAt).Round(time.Millisecond), stall.Round(time.Millisecond))
	stop()

	acked, unknown := log.snapshot()
	log.mu.Lock()
	t.Logf("load: %d acknowledged, %d unknown outcome, failures %v", len(acked), len(unknown), log.fails)
	log.mu.Unlock()
	checkWrites(t, peers, acked, unknown, checkTimeout)

	// And through the CLI on the restarted peer.
	out, o, err = victim.StoreCLI(ctx, "get", "cli/key")
	require.Equal(t, harness.OK, o, "%v", err)
	require.Equal(t, "from the CLI\n", out)
	_, o, err = victim.StoreCLI(ctx, "get", "never/written")
	require.Equal(t, harness.Failed, o)
	require.True(t, strings.Contains(err.Error(), "not found"), "%v", err)
}

// longestStall is the longest time any of the writers went without an acknowledged write
// finishing, from since until its last one.
func longestStall(acks map[int][]ack, writers []int, since time.Time) time.Duration {
	var worst time.Duration
	for _, i := range writers {
		prev := since
		for _, a := range acks[i] {
			if a.end.Before(since) {
				continue
			}
			worst = max(worst, a.end.Sub(prev))
			prev = a.end
		}
	}
	return worst
}
