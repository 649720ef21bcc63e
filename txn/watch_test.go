package txn

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// changes returns the EvChange events n saw for key, in order.
func (c *cluster) changes(n *tnode, key string) []Event {
	var out []Event
	for _, e := range c.events[n.name] {
		if e.Kind == EvChange && string(e.Key) == key {
			out = append(out, e)
		}
	}
	return out
}

func TestChangeFeedDeliversEveryCommittedVersionOnce(t *testing.T) {
	c, nodes := fourNodes(t, 21)
	a, w := nodes[0], nodes[3]
	require.NoError(t, c.put(a, "k", "v1"))
	g := c.cfg.Placement.GroupOf([]byte("k"))
	w.m.Subscribe(c.now, g)
	c.flush(w)
	c.run(100 * time.Millisecond)
	got := c.changes(w, "k")
	require.Len(t, got, 1, "the current state comes first")
	require.Equal(t, "v1", string(got[0].Value))

	for i := 2; i <= 5; i++ {
		require.NoError(t, c.put(a, "k", fmt.Sprint("v", i)))
	}
	c.run(100 * time.Millisecond)
	got = c.changes(w, "k")
	require.Len(t, got, 5, "one event per committed version, no duplicates from the three replicas")
	for i, e := range got {
		require.Equal(t, uint64(i+1), e.Version)
		require.Equal(t, fmt.Sprint("v", i+1), string(e.Value))
	}
	it, ok := w.m.Latest([]byte("k"))
	require.True(t, ok)
	require.Equal(t, "v5", string(it.Value))
}

// TestChangeFeedCatchesUpAfterACut: pushes lost while the watcher was cut off are resent when
// its subscription is renewed; the watcher ends at the latest version without a duplicate.
func TestChangeFeedCatchesUpAfterACut(t *testing.T) {
	c, nodes := fourNodes(t, 22)
	a := nodes[0]
	// A watcher and a key whose group does not include it, so cutting the watcher off does not
	// stop commits.
	var w *tnode
	key := ""
	for i := 0; i < 200 && key == ""; i++ {
		k := fmt.Sprint("k", i)
		for _, n := range nodes[1:] {
			if !contains(c.groupMembers(a, k), n.name) {
				key, w = k, n
				break
			}
		}
	}
	require.NotEmpty(t, key)
	var rest []string
	for _, n := range nodes {
		if n != w {
			rest = append(rest, n.name)
		}
	}
	g := c.cfg.Placement.GroupOf([]byte(key))
	w.m.Subscribe(c.now, g)
	c.flush(w)
	require.NoError(t, c.put(a, key, "v1"))
	c.run(50 * time.Millisecond)
	c.partition([]string{w.name}, rest)
	for i := 2; i <= 4; i++ {
		require.NoError(t, c.put(a, key, fmt.Sprint("v", i)))
	}
	require.Len(t, c.changes(w, key), 1, "cut off: nothing new arrived")
	c.heal()
	c.run(2 * subRefresh)
	got := c.changes(w, key)
	require.Equal(t, "v4", string(got[len(got)-1].Value))
	seen := map[uint64]bool{}
	for _, e := range got {
		require.False(t, seen[e.Version], "version %d delivered twice", e.Version)
		seen[e.Version] = true
	}
}
