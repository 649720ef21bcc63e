package storetest

import (
	"bufio"
	"flag"
	"os"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/sim/simtest"
)

var traceFile = flag.String("storetest.trace", "", "write the text trace of each run to this file (use with -seed)")

// ciSeeds is the number of seeds per fault family in a plain `go test`; -seeds=N overrides it.
const ciSeeds = 200

// TestMain makes the collector run less often: these tests allocate a lot of short-lived
// messages and spend a quarter of their time in GC at the default setting (GOGC wins if set).
func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(m.Run())
}

// runFamily runs the scenario of every seed (in parallel: each run is its own single-threaded
// simulation) and fails a seed on any safety violation, and on a liveness failure unless the
// family is safety-only.
func runFamily(t *testing.T, n int, f Faults) {
	simtest.Seeds(t, n, func(t *testing.T, seed int64) {
		if *traceFile == "" {
			t.Parallel()
		}
		sc := DefaultScenario(f)
		if *traceFile != "" {
			fh, err := os.Create(*traceFile)
			require.NoError(t, err)
			bw := bufio.NewWriterSize(fh, 1<<20)
			defer func() { require.NoError(t, bw.Flush()); require.NoError(t, fh.Close()) }()
			sc.Trace = bw
		}
		res, err := sc.Run(seed)
		require.NoError(t, err)
		if testing.Verbose() {
			t.Log(res.Summary())
			if f.SafetyOnly && res.Liveness != nil {
				t.Logf("no recovery (not asserted): %v", res.Liveness)
			}
		}
		require.NoError(t, res.Safety, "safety violated (%s)", res.Summary())
		if !f.SafetyOnly {
			require.NoError(t, res.Liveness, "no recovery after the heal (%s)", res.Summary())
		}
	})
}

func TestCrashes(t *testing.T) { runFamily(t, ciSeeds, Crashes()) }

func TestPartitions(t *testing.T) { runFamily(t, ciSeeds, Partitions()) }

func TestNetwork(t *testing.T) {
	runFamily(t, ciSeeds, Network(DefaultScenario(Faults{}).Base))
}

func TestSplitBrain(t *testing.T) {
	runFamily(t, ciSeeds, SplitBrain(DefaultScenario(Faults{}).Base))
}

// machineSeeds is TestMachineCrashes' seed count in a plain `go test` (-seeds=N overrides it).
const machineSeeds = 60

// TestMachineCrashes: power losses on lazily synced disks (node/'s group commit).
//
// Seeds 1796 and 5099 (of 1..8000) found a txn state-transfer bug, fixed in 5e156e6 and pinned
// by TestMachineCrashesFoundSeeds: a new view member's pull kept one of two competing locks for a
// version, and the dropped one could commit through recovery without values.
func TestMachineCrashes(t *testing.T) { runFamily(t, machineSeeds, MachineCrashes()) }

// TestScenarioReplays: a seed is a trace; the same seed gives the same run.
func TestScenarioReplays(t *testing.T) {
	run := func(seed int64) ([32]byte, string) {
		res, err := DefaultScenario(Crashes()).Run(seed)
		require.NoError(t, err)
		return res.World.S.TraceHash(), res.Summary()
	}
	h1, s1 := run(3)
	h2, s2 := run(3)
	require.Equal(t, h1, h2)
	require.Equal(t, s1, s2)
	h3, _ := run(4)
	require.NotEqual(t, h1, h3)
}
