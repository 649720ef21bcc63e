package memstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/app/draw"
	"github.com/detrans/detrans/app/draw/memstore"
)

var ctx = context.Background()

func put(kind, key, val string) draw.Intent {
	return draw.Intent{Kind: kind, Op: []byte(val), Writes: []draw.Write{{Key: key, Value: []byte(val)}}}
}

func get(t *testing.T, r *memstore.Replica, key string) string {
	t.Helper()
	v, err := r.Get(ctx, key)
	require.NoError(t, err)
	return string(v.Data)
}

// appendRebase re-applies the op on top of the fresh value, so both writers' work survives.
func appendRebase(in draw.Intent, fresh map[string]draw.Value) draw.Rebased {
	k := in.Writes[0].Key
	v := string(fresh[k].Data) + "+" + string(in.Op)
	return draw.Rebased{Intent: &draw.Intent{Kind: in.Kind, Op: in.Op, Writes: []draw.Write{{Key: k, Value: []byte(v)}}}, Notice: "merged " + v}
}

func TestLocalIsVisibleAtOnceAndCommitsOnFlush(t *testing.T) {
	n := memstore.New()
	a, b := n.Replica("a"), n.Replica("b")
	require.NoError(t, a.Local(ctx, put("k", "x", "1")))
	require.Equal(t, "1", get(t, a, "x"))
	require.Equal(t, "", get(t, b, "x"))
	require.Equal(t, 1, a.Status().Pending)

	n.Sync()
	require.Equal(t, "1", get(t, b, "x"))
	require.Equal(t, 0, a.Status().Pending)
	require.Equal(t, uint64(1), n.Committed("x").Version)
}

func TestOfflineQueuesAndDrainsInOrder(t *testing.T) {
	n := memstore.New()
	a, b := n.Replica("a"), n.Replica("b")
	a.SetOnline(false)
	for _, v := range []string{"1", "2", "3"} {
		require.NoError(t, a.Local(ctx, put("k", "x", v)))
	}
	n.Sync()
	require.Equal(t, 3, a.Status().Pending)
	require.False(t, a.Status().Online)
	require.Equal(t, "", get(t, b, "x"))

	a.SetOnline(true)
	n.Sync()
	require.Equal(t, 0, a.Status().Pending)
	require.Equal(t, "3", get(t, b, "x"))
	require.Equal(t, uint64(3), n.Committed("x").Version, "one commit per intent, chained without conflicts")
	require.Zero(t, a.Status().Merged)
}

func TestConflictCallsRebaserWithFreshValuesAndNotifies(t *testing.T) {
	n := memstore.New()
	a, b := n.Replica("a"), n.Replica("b")
	a.Register("k", appendRebase)
	var changes []draw.Change
	a.Watch("x", func(c draw.Change) { changes = append(changes, c) })

	require.NoError(t, b.Local(ctx, put("k", "x", "B")))
	require.NoError(t, a.Local(ctx, put("k", "x", "A")))
	b.Flush()
	a.Flush()
	require.Equal(t, "B+A", get(t, a, "x"))
	require.Equal(t, []draw.Change{{Key: "x", Notice: "merged B+A"}}, changes)
	require.Equal(t, 1, a.Status().Merged)
	b.Pull()
	require.Equal(t, "B+A", get(t, b, "x"))
}

func TestDropRemovesOptimisticWriteAndForcesDependentsToRebase(t *testing.T) {
	n := memstore.New()
	a, b := n.Replica("a"), n.Replica("b")
	calls := 0
	a.Register("k", func(in draw.Intent, fresh map[string]draw.Value) draw.Rebased {
		calls++
		return draw.Rebased{Notice: "dropped " + string(in.Op)}
	})
	require.NoError(t, b.Local(ctx, put("k", "x", "B")))
	require.NoError(t, a.Local(ctx, put("k", "x", "A1")))
	require.NoError(t, a.Local(ctx, put("k", "x", "A2")))
	b.Flush()
	a.Flush()
	require.Equal(t, 2, calls, "A2 was based on A1's write, so it must rebase too")
	require.Equal(t, "B", get(t, a, "x"))
	require.Equal(t, 2, a.Status().Dropped)
}

func TestDeleteKeepsVersionsGrowing(t *testing.T) {
	n := memstore.New()
	a := n.Replica("a")
	require.NoError(t, a.Local(ctx, put("k", "x", "1")))
	require.NoError(t, a.Local(ctx, draw.Intent{Kind: "k", Writes: []draw.Write{{Key: "x"}}}))
	n.Sync()
	v, err := a.Get(ctx, "x")
	require.NoError(t, err)
	require.False(t, v.Exists())
	require.Equal(t, uint64(2), v.Version)
	kvs, err := a.Scan(ctx, "")
	require.NoError(t, err)
	require.Empty(t, kvs)
}

func TestScanMergesPendingOverCommitted(t *testing.T) {
	n := memstore.New()
	a := n.Replica("a")
	require.NoError(t, a.Local(ctx, put("k", "p/1", "1")))
	n.Sync()
	require.NoError(t, a.Local(ctx, put("k", "p/2", "2")))
	require.NoError(t, a.Local(ctx, put("k", "q/1", "3")))
	kvs, err := a.Scan(ctx, "p/")
	require.NoError(t, err)
	require.Len(t, kvs, 2)
	require.Equal(t, "p/1", kvs[0].Key)
	require.Equal(t, uint64(1), kvs[0].Version)
	require.Equal(t, "p/2", kvs[1].Key)
	require.Equal(t, uint64(0), kvs[1].Version)
}

func TestWatchSeesOthersCommitsNotOwnLocal(t *testing.T) {
	n := memstore.New()
	a, b := n.Replica("a"), n.Replica("b")
	var got []string
	cancel := a.Watch("", func(c draw.Change) { got = append(got, c.Key) })
	require.NoError(t, a.Local(ctx, put("k", "mine", "1")))
	require.NoError(t, b.Local(ctx, put("k", "theirs", "1")))
	n.Sync()
	require.Equal(t, []string{"theirs"}, got)
	cancel()
	require.NoError(t, b.Local(ctx, put("k", "later", "1")))
	n.Sync()
	require.Equal(t, []string{"theirs"}, got)
}

func TestUnregisteredKindIsDroppedNotWedged(t *testing.T) {
	n := memstore.New()
	a, b := n.Replica("a"), n.Replica("b")
	require.NoError(t, b.Local(ctx, put("k", "x", "B")))
	require.NoError(t, a.Local(ctx, put("k", "x", "A")))
	require.NoError(t, a.Local(ctx, put("k", "y", "A")))
	n.Sync()
	require.Equal(t, 0, a.Status().Pending)
	require.Equal(t, "A", get(t, b, "y"))
}
