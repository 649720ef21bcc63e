package simtest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	onlySeed    int64
	onlySeedSet bool
	seedCount   = flag.Int("seeds", 0, "run scenario tests with this many seeds instead of their default count")
)

func init() {
	flag.Func("seed", "run scenario tests with only this seed (replay a failure)", func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("seed %q: %w", s, err)
		}
		onlySeed, onlySeedSet = v, true
		return nil
	})
}

// shortSeeds is how many seeds a scenario runs under -short (the suite's race pass; the
// simulator is single-threaded, so the race detector adds cost, not coverage, per extra seed).
const shortSeeds = 5

// Seeds runs fn as subtests named "seed=<n>" for seeds 1..n. With -seeds=N it runs seeds 1..N
// instead (for soaks of thousands); with -seed=S only seed S; with -short at most shortSeeds. A failing subtest logs the
// command that replays it alone.
func Seeds(t *testing.T, n int, fn func(t *testing.T, seed int64)) {
	t.Helper()
	for _, seed := range seedList(n) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("replay: %s", replayCommand(packageDir(), t.Name(), seed))
				}
			})
			fn(t, seed)
		})
	}
}

// seedList is the seeds to run given the default count n and the flags.
func seedList(n int) []int64 {
	if onlySeedSet {
		return []int64{onlySeed}
	}
	if *seedCount > 0 {
		n = *seedCount
	} else if testing.Short() {
		n = min(n, shortSeeds) // the race-detector pass: the plain pass runs them all
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

// replayCommand builds the go test invocation that runs exactly the named (sub)test with seed.
func replayCommand(pkg, testName string, seed int64) string {
	parts := strings.Split(testName, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return fmt.Sprintf("go test %s -run '%s' -seed=%d", pkg, strings.Join(parts, "/"), seed)
}

// packageDir is the test's package directory relative to the module root ("./sim"); go test
// runs a test binary in its package directory.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return "./" + filepath.ToSlash(rel)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}
