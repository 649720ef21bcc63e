package integration

import (
	"fmt"
	"os"
	"testing"

	"github.com/detrans/detrans/integration/harness"
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
