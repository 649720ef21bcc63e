package storetest

import (
	"flag"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	tally          = flag.Int("storetest.tally", 0, "TestMachineCrashesTally: run this many seeds and count the failures by kind instead of failing")
	tallyFrom      = flag.Int64("storetest.tallyfrom", 1, "TestMachineCrashesTally: the first seed")
	tallyUnordered = flag.Bool("storetest.unordered", false, "TestMachineCrashesTally: plant the unordered-disk bug (sim.LazyDiskConfig.Unordered)")
)

// TestMachineCrashesTally is the soak of the machine-crash family: it runs N seeds (on every
// core) and reports how many failed and which, by kind of violation, without failing on the
// first. Off unless -storetest.tally=N; -storetest.tallyfrom=S starts at seed S instead of 1.
//
//	go test ./sim/storetest -run TestMachineCrashesTally -storetest.tally=2000 -timeout 2h -v
func TestMachineCrashesTally(t *testing.T) {
	if *tally <= 0 {
		t.Skip("a soak: run with -storetest.tally=N")
	}
	kinds := []string{"timer spin", "not linearizable", "bank:", "counter:", "harness:", "persist", "restore"}
	var mu sync.Mutex
	bySafety := map[string][]int64{}
	var liveness, setup []int64
	var other []string
	seeds := make(chan int64)
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := MachineCrashes()
			f.LazyDisk.Unordered = *tallyUnordered
			for seed := range seeds {
				res, err := DefaultScenario(f).Run(seed)
				mu.Lock()
				if err != nil {
					setup = append(setup, seed)
					mu.Unlock()
					continue
				}
				if res.Safety != nil {
					msg := res.Safety.Error()
					found := false
					for _, k := range kinds {
						if strings.Contains(msg, k) {
							bySafety[k] = append(bySafety[k], seed)
							found = true
						}
					}
					if !found {
						other = append(other, fmt.Sprintf("seed %d: %v", seed, res.Safety))
					}
					if !strings.HasPrefix(msg, "timer spin") || strings.Contains(msg, "\n") {
						t.Logf("seed %d: safety: %v (%s)", seed, res.Safety, res.Summary())
					}
				}
				if res.Liveness != nil {
					liveness = append(liveness, seed)
					t.Logf("seed %d: liveness: %v", seed, res.Liveness)
				}
				mu.Unlock()
				cleanVisualization(t, res.Safety)
			}
		}()
	}
	for s := *tallyFrom; s < *tallyFrom+int64(*tally); s++ {
		seeds <- s
	}
	close(seeds)
	wg.Wait()
	t.Logf("%d seeds in %v wall", *tally, time.Since(start).Round(time.Second))
	for _, k := range kinds {
		s := bySafety[k]
		slices.Sort(s)
		t.Logf("safety %-18q %4d seeds %v", k, len(s), s)
	}
	slices.Sort(liveness)
	slices.Sort(setup)
	t.Logf("liveness: %d seeds %v; setup failures: %d %v; unclassified: %v", len(liveness), liveness, len(setup), setup, other)
}

// TestMachineCrashesCatchUnorderedDisk: the family must catch the bug the driver's ordering
// prevents. With every message and event let out before the writes it depends on are synced,
// a power loss takes back promises (votes, acceptances, installed views) that others acted on.
func TestMachineCrashesCatchUnorderedDisk(t *testing.T) {
	f := MachineCrashes()
	f.LazyDisk.Unordered = true
	caught := 0
	for seed := int64(1); seed <= 10 && caught == 0; seed++ {
		res, err := DefaultScenario(f).Run(seed)
		require.NoError(t, err)
		if inconsistent(res) {
			caught++
			t.Logf("seed %d: %v", seed, res.Safety)
		}
		cleanVisualization(t, res.Safety)
	}
	require.Positive(t, caught)
}

// inconsistent reports whether a workload's checker found a violation (not a harness or timer
// failure).
func inconsistent(res *Result) bool {
	if res.Safety == nil {
		return false
	}
	msg := res.Safety.Error()
	return strings.Contains(msg, "not linearizable") || strings.Contains(msg, "bank:") || strings.Contains(msg, "counter:")
}

// TestMachineCrashesFoundSeeds pins the seeds of TestMachineCrashesTally that found the pull
// bug: a new view member kept one of two transactions' locks for the same version, the other
// transaction committed through recovery (a decision without values), and the member never
// installed it — so the new view's majority committed another write at that version (1796:
// two values at one register version; 5099: half a transfer lost).
//
// Seed 2289 found a second hole at a view change: a member that had only adopted a lock through
// the new view's state transfer answered a resent prepare of the old epoch by "repeating" a
// prepared vote it had never given. The old epoch's transaction then committed with that vote
// and one real one, while the new view (where only that member held the lock) committed another
// write at the same version: money appeared in the bank (total 403 of 400). Seed 677 found the
// same hole once prepares went to a quorum of replicas first (late prepares reach it easily):
// a lost counter update.
//
// Seed 3067 found a third: a member outside the view change's majority handed its state to the
// new member and went on voting in the old epoch. A transaction prepared before the change at
// one member of that majority got its second vote there afterwards and committed, beside a
// new-view commit of the same version whose majority had not seen the first vote's lock.
func TestMachineCrashesFoundSeeds(t *testing.T) {
	for _, seed := range []int64{1796, 5099, 2289, 677, 3067} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			res, err := DefaultScenario(MachineCrashes()).Run(seed)
			require.NoError(t, err)
			require.NoError(t, res.Safety, "safety violated (%s)", res.Summary())
			require.NoError(t, res.Liveness, "no recovery after the heal (%s)", res.Summary())
		})
	}
}
