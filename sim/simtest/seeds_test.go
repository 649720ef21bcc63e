package simtest

import (
	"flag"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSeedsRunsOneSubtestPerSeed(t *testing.T) {
	if onlySeedSet || *seedCount > 0 {
		t.Skip("seed flags given")
	}
	var got []int64
	var names []string
	Seeds(t, 4, func(t *testing.T, seed int64) {
		got = append(got, seed)
		names = append(names, t.Name())
	})
	require.Equal(t, []int64{1, 2, 3, 4}, got)
	require.Equal(t, "TestSeedsRunsOneSubtestPerSeed/seed=3", names[2])
}

func TestSeedFlags(t *testing.T) {
	defer func(v int64, set bool, n int) { onlySeed, onlySeedSet, *seedCount = v, set, n }(onlySeed, onlySeedSet, *seedCount)
	onlySeedSet = false
	*seedCount = 0
	require.Equal(t, []int64{1, 2}, seedList(2))
	*seedCount = 5
	require.Equal(t, []int64{1, 2, 3, 4, 5}, seedList(2))
	require.NoError(t, flag.Set("seed", "77"))
	require.Equal(t, []int64{77}, seedList(2))
	require.Error(t, flag.Set("seed", "x"))
}

func TestReplayCommand(t *testing.T) {
	require.Equal(t, "go test ./sim -run '^TestRing$/^seed=12$' -seed=12", replayCommand("./sim", "TestRing/seed=12", 12))
	require.Equal(t, `go test ./x/y -run '^TestA$/^n=3\.5$/^seed=1$' -seed=1`, replayCommand("./x/y", "TestA/n=3.5/seed=1", 1))
	require.Equal(t, "./sim/simtest", packageDir())
}
