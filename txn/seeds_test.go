package txn

import (
	"flag"
	"fmt"
	"testing"
)

var seedCount = flag.Int("txn.seeds", 3, "seeds for the seeded failure tests")

// forSeeds runs fn for seeds 1..-txn.seeds as subtests named seed=N.
func forSeeds(t *testing.T, fn func(t *testing.T, seed uint64)) {
	for s := uint64(1); s <= uint64(*seedCount); s++ {
		t.Run(fmt.Sprint("seed=", s), func(t *testing.T) { fn(t, s*1000003) })
	}
}
