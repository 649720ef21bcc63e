package integration

import (
	"context"
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/detrans/detrans/integration/harness"
	"github.com/detrans/detrans/node"
	"github.com/stretchr/testify/require"
)

const (
	// viewTimeout bounds the wait for replica views to follow the ring (status "groups").
	viewTimeout  = 90 * time.Second
	splitTimeout = 90 * time.Second
	// mergeTimeout is a failure deadline for the heal; the target (5 s) is logged.
	mergeTimeout = 120 * time.Second
	perSide      = 12 // keys chosen per side whose group majority is on that side
)

// TestPartitionThreePlusThree: six detrans-node processes started with --allow-fault-injection
// are cut into 3|3 with `fault block` on all six, and status shows two rings. With R = 3 every
// key's group has its majority on exactly one side. The test waits until the replica views
// follow the ring (status "groups"), picks keys whose group majority is on side A and keys
// whose majority is on side B, and writes every key through both sides at once: a key commits
// at most on its majority side, never on the other, which answers "no quorum" (exit code 3 from
// the CLI). Reads of earlier writes return the acknowledged value or no quorum, never a stale
// one, and never succeed on a key's minority side. `fault heal` on all six makes one ring
// again, and every acknowledged write, from before and during the partition, is read back
// through every peer.
func TestPartitionThreePlusThree(t *testing.T) {
	c := harness.NewCluster(t, bin)
	c.LogLevel = "info"
	c.ExtraArgs = []string{"--allow-fault-injection"}
	peers := c.StartRing(6, harness.JoinFirst)
	c.WaitOneRing(peers, formTimeout)
	harness.WaitWritable(t, peers, writableTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	acked := map[string]string{}
	var before []string
	for i := range 24 {
		k, v := fmt.Sprintf("before/%d", i), fmt.Sprintf("b%d", i)
		o, err := peers[i%6].Put(ctx, k, v, opTimeout)
		require.Equal(t, harness.OK, o, "%v", err)
		acked[k] = v
		before = append(before, k)
	}

	settled := time.Now()
	sts := c.WaitGroupsFollowRing(peers, viewTimeout)
	t.Logf("replica views follow the ring after %v", time.Since(settled).Round(time.Millisecond))
	sides := balancedSides(t, peers, sts)
	majority := func(key string) int { // side holding key's group majority
		slots, err := harness.GroupSlots(sts, key)
		require.NoError(t, err)
		onA := 0
		for _, s := range slots {
			for _, p := range sides[0] {
				if p.PeerID() == s {
					onA++
				}
			}
		}
		if 2*onA > len(slots) {
			return 0
		}
		return 1
	}
	var keys []string
	var count [2]int
	for i := 0; count[0]+count[1] < 2*perSide && i < 10000; i++ {
		k := fmt.Sprintf("during/%d", i)
		if s := majority(k); count[s] < perSide {
			count[s]++
			keys = append(keys, k)
		}
	}
	t.Logf("keys with their group majority on side A: %d, on side B: %d", count[0], count[1])
	require.NotZero(t, count[0]*count[1], "the ring layout gives one side no group majority at all")

	partitionRound(t, ctx, c, sides, keys, majority, before, acked)

	healed := time.Now()
	for _, p := range peers {
		out, err := p.CLI(ctx, "fault", "heal")
		require.NoError(t, err)
		require.Empty(t, nonEmptyLines(out))
	}
	require.True(t, mergesWithin(c, peers, mergeTimeout), "the two rings merge into one within %v of the heal", mergeTimeout)
	t.Logf("heal: one ring of six %v after the heal (target: 5s)", time.Since(healed).Round(time.Millisecond))
	harness.WaitWritable(t, peers, writableTimeout)
	t.Logf("heal: every peer commits writes %v after the heal", time.Since(healed).Round(time.Millisecond))
	checkWrites(t, peers, acked, nil, checkTimeout)
}

// balancedSides splits the six peers 3|3 so that both sides hold the majority of as many groups
// as possible: which side holds a group's majority depends on the random ring ids.
func balancedSides(t *testing.T, peers []*harness.Peer, sts []node.Status) [2][]*harness.Peer {
	t.Helper()
	groups := harness.NewestViews(sts)
	var best [2][]*harness.Peer
	bestScore := -1
	for mask := 0; mask < 1<<len(peers); mask++ {
		if bits.OnesCount(uint(mask)) != len(peers)/2 || mask&1 == 0 {
			continue
		}
		var sides [2][]*harness.Peer
		onA := map[string]bool{}
		for i, p := range peers {
			if mask&(1<<i) != 0 {
				sides[0] = append(sides[0], p)
				onA[p.PeerID()] = true
			} else {
				sides[1] = append(sides[1], p)
			}
		}
		var held [2]int
		for _, slots := range groups {
			n := 0
			for _, s := range slots {
				if onA[s] {
					n++
				}
			}
			if 2*n > len(slots) {
				held[0]++
			} else {
				held[1]++
			}
		}
		if score := min(held[0], held[1]); score > bestScore {
			best, bestScore = sides, score
		}
	}
	t.Logf("cut: %d of %d groups have their majority on the smaller-holding side", bestScore, len(groups))
	return best
}

// partitionRound cuts the cluster into sides, writes every key through both sides and reads the
// earlier writes through both, checking each outcome against the side holding the key's group
// majority, and records acknowledged writes in acked. It leaves the cut in place.
func partitionRound(t *testing.T, ctx context.Context, c *harness.Cluster, sides [2][]*harness.Peer, keys []string, majority func(string) int, before []string, acked map[string]string) {
	t.Helper()
	cut := time.Now()
	for s, side := range sides {
		var others []string
		for _, p := range sides[1-s] {
			others = append(others, p.PeerID())
		}
		for _, p := range side {
			out, err := p.CLI(ctx, "fault", append([]string{"block"}, others...)...)
			require.NoError(t, err)
			require.Len(t, nonEmptyLines(out), 3, "the peer lists the three peers it blocks")
		}
	}
	c.WaitOneRing(sides[0], splitTimeout)
	c.WaitOneRing(sides[1], splitTimeout)
	t.Logf("cut 3|3: two rings of three after %v", time.Since(cut).Round(time.Millisecond))

	// Writes through both sides and reads of the earlier writes, all at once (a refused one
	// takes the store's request timeout).
	type result struct {
		side       int
		read       bool
		key, value string
		found      bool
		outcome    harness.Outcome
		err        error
	}
	results := make(chan result, 2*(len(keys)+len(before)))
	var wg sync.WaitGroup
	for s, side := range sides {
		for i, k := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v := fmt.Sprintf("d%d.%d", s, i)
				var o harness.Outcome
				var err error
				if i%8 == 0 { // some through the CLI, which must say "no quorum" with exit code 3
					_, o, err = side[i%3].StoreCLI(ctx, "put", "--timeout", opTimeout.String(), k, v)
					if o == harness.NoQuorum && !strings.Contains(err.Error(), "detrans-node put: no quorum: ") {
						o, err = harness.Failed, fmt.Errorf("exit code 3 without the no-quorum message: %w", err)
					}
				} else {
					o, err = side[i%3].Put(ctx, k, v, opTimeout)
				}
				results <- result{side: s, key: k, value: v, outcome: o, err: err}
			}()
		}
		for i, k := range before {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, found, o, err := side[i%3].Get(ctx, k, opTimeout)
				results <- result{side: s, read: true, key: k, value: v, found: found, outcome: o, err: err}
			}()
		}
	}
	wg.Wait()
	close(results)
	var committed, refused, refusedOnMajority [2]int
	readable := map[string]bool{}
	committedOn := map[string]int{}
	for r := range results {
		what := map[bool]string{true: "read", false: "write"}[r.read]
		onMajority := majority(r.key) == r.side
		switch {
		case r.outcome == harness.OK && !onMajority:
			t.Errorf("%s of %s succeeded on side %d, which holds a minority of its group", what, r.key, r.side)
		case r.outcome == harness.OK && r.read:
			require.True(t, r.found && r.value == acked[r.key], "side %d reads %s as %q (found %v), want %q", r.side, r.key, r.value, r.found, acked[r.key])
			readable[r.key] = true
		case r.outcome == harness.OK:
			acked[r.key] = r.value
			committed[r.side]++
			committedOn[r.key]++
		case r.outcome == harness.NoQuorum && r.read:
		case r.outcome == harness.NoQuorum:
			refused[r.side]++
			if onMajority {
				refusedOnMajority[r.side]++
			}
		default:
			t.Errorf("%s of %s on side %d: %v (%v); want ok or no quorum", what, r.key, r.side, r.outcome, r.err)
		}
	}
	t.Logf("during the partition: side A committed %d, no quorum %d (%d of them on its majority keys); side B committed %d, no quorum %d (%d); %d of %d earlier writes readable on some side",
		committed[0], refused[0], refusedOnMajority[0], committed[1], refused[1], refusedOnMajority[1], len(readable), len(before))
	for k, n := range committedOn {
		require.Equal(t, 1, n, "%s committed on both sides", k)
	}
	require.Equal(t, 2*len(keys), committed[0]+committed[1]+refused[0]+refused[1])
	for s := range sides {
		require.NotZero(t, committed[s], "side %d commits the keys whose group majority it holds", s)
		require.NotZero(t, refused[s], "side %d: keys whose group majority is on the other side get no quorum", s)
	}
}

// mergesWithin polls status until peers form one ring, without failing the test.
func mergesWithin(c *harness.Cluster, peers []*harness.Peer, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(harness.PollInterval)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		sts, err := c.Statuses(ctx, peers)
		cancel()
		if err == nil {
			if ok, _ := harness.OneRing(sts); ok {
				return true
			}
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return false
		}
	}
}

func nonEmptyLines(s string) []string {
	return strings.Fields(s)
}
