package node

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/stretchr/testify/require"
)

const loopback = "/ip4/127.0.0.1/tcp/0"

// testConfig is a loopback-only, TCP-only config with fast ring timers.
func testConfig(t testing.TB) Config {
	t.Helper()
	return Config{
		DataDir:          t.TempDir(),
		ListenAddrs:      []string{loopback},
		BootstrapTimeout: 5 * time.Second,
		LeaveTimeout:     2 * time.Second,
		Ring:             testRingConfig(),
		Logger:           testLogger(),
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("DETRANS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

func testRingConfig() ring.Config {
	return ring.Config{TickInterval: 50 * time.Millisecond}
}

func startNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	n, err := New(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// eventually polls cond with a ticker until it holds or the deadline passes; for conditions
// that have no event to wait on (ring convergence seen through Status).
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		ok, why := cond()
		if ok {
			return
		}
		last = why
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%s: not reached within %s: %s", what, timeout, last)
		}
	}
}

// checkOneRing waits until following successors from any node visits every node exactly once,
// in ring-id order, and every node's predecessor is the node before it.
func checkOneRing(t testing.TB, nodes []*Node) {
	t.Helper()
	eventually(t, 60*time.Second, "one ring", func() (bool, string) { return oneRing(nodes) })
}

func oneRing(nodes []*Node) (bool, string) {
	sorted := slices.Clone(nodes)
	slices.SortFunc(sorted, func(a, b *Node) int { return a.RingID().Cmp(b.RingID()) })
	st := map[string]Status{}
	for _, n := range sorted {
		st[n.PeerID()] = n.Status()
	}
	for i, n := range sorted {
		s := st[n.PeerID()]
		next := sorted[(i+1)%len(sorted)].PeerID()
		prev := sorted[(i+len(sorted)-1)%len(sorted)].PeerID()
		if !s.Joined {
			return false, fmt.Sprintf("%s not joined", n.PeerID())
		}
		if len(s.Successors) == 0 || s.Successors[0] != next {
			return false, fmt.Sprintf("%s: successor %v, want %s", n.PeerID(), s.Successors, next)
		}
		if s.Predecessor != prev {
			return false, fmt.Sprintf("%s: predecessor %s, want %s", n.PeerID(), s.Predecessor, prev)
		}
	}
	return true, ""
}
