package integration

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/detrans/detrans/integration/harness"
	"github.com/detrans/detrans/ring"
)

// bin is the detrans-node binary every test in this package runs.
var bin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "detrans-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin, err = harness.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: build detrans-node:", err)
		return 1
	}
	return m.Run()
}

// requireRing skips a test while ring/ is still the placeholder that panics in ring.New: every
// peer process would die at start. Remove once ring/ has landed.
func requireRing(t *testing.T) {
	t.Helper()
	if msg := ringPlaceholder(); msg != "" {
		t.Skipf("ring state machine not implemented yet (%s)", msg)
	}
}

func ringPlaceholder() (msg string) {
	defer func() {
		if p := recover(); p != nil && strings.Contains(fmt.Sprint(p), "not implemented") {
			msg = fmt.Sprint(p)
		} else if p != nil {
			panic(p)
		}
	}()
	ring.New(ring.Config{}, ring.NodeRef{ID: ring.HashKey([]byte("probe")), Addr: "probe", Inc: 1}, 1)
	return ""
}
