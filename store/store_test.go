package store

import (
	"context"
	"errors"
	"testing"

	ds "github.com/ipfs/go-datastore"
	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/ring"
)

func pos(n uint64) ring.ID { return ring.ID{Lo: n} }

func TestPersistsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	var b Batch
	b.Put(pos(10), []byte("k1"), Item{Value: []byte("v1"), Version: 1})
	b.Put(pos(20), []byte("k2"), Item{Version: 4, Deleted: true})
	b.PutMeta("view", []byte("epoch-3"))
	require.NoError(t, s.Apply(ctx, &b))
	require.NoError(t, s.Close())

	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	it, found, err := s.Get(ctx, pos(10), []byte("k1"))
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, Item{Value: []byte("v1"), Version: 1}, it)
	it, found, err = s.Get(ctx, pos(20), []byte("k2"))
	require.NoError(t, err)
	require.True(t, found)
	require.True(t, it.Deleted)
	v, found, err := s.Meta(ctx, "view")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, []byte("epoch-3"), v)
}

func TestGetMissing(t *testing.T) {
	s := NewMemory()
	it, found, err := s.Get(context.Background(), pos(1), []byte("nope"))
	require.NoError(t, err)
	require.False(t, found)
	require.Equal(t, Item{}, it)
	_, found, err = s.Meta(context.Background(), "nothing")
	require.NoError(t, err)
	require.False(t, found)
}

func TestSameKeyAtDifferentPositionsIsSeparate(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	var b Batch
	b.Put(pos(1), []byte("k"), Item{Value: []byte("a"), Version: 1})
	b.Put(pos(2), []byte("k"), Item{Value: []byte("b"), Version: 2})
	require.NoError(t, s.Apply(ctx, &b))
	it, _, err := s.Get(ctx, pos(1), []byte("k"))
	require.NoError(t, err)
	require.Equal(t, []byte("a"), it.Value)
	it, _, err = s.Get(ctx, pos(2), []byte("k"))
	require.NoError(t, err)
	require.Equal(t, []byte("b"), it.Value)
}

func TestRangeSelectsRingInterval(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	var b Batch
	for _, p := range []uint64{5, 10, 15, 20, 25} {
		b.Put(pos(p), []byte{byte(p)}, Item{Version: p})
	}
	b.PutMeta("not-a-replica", []byte("x"))
	require.NoError(t, s.Apply(ctx, &b))

	collect := func(from, to ring.ID) map[uint64]uint64 {
		got := map[uint64]uint64{}
		require.NoError(t, s.Range(ctx, from, to, func(p ring.ID, key []byte, it Item) error {
			got[p.Lo] = it.Version
			return nil
		}))
		return got
	}
	require.Equal(t, map[uint64]uint64{15: 15, 20: 20}, collect(pos(10), pos(20)))
	require.Equal(t, map[uint64]uint64{25: 25, 5: 5}, collect(pos(20), pos(5)), "interval wraps past zero")
	require.Len(t, collect(pos(7), pos(7)), 5, "from == to is the whole ring")

	stop := errors.New("stop")
	require.ErrorIs(t, s.Range(ctx, pos(0), pos(0), func(ring.ID, []byte, Item) error { return stop }), stop)
}

func TestDeleteRemovesReplica(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	var b Batch
	b.Put(pos(1), []byte("k"), Item{Version: 1})
	require.NoError(t, s.Apply(ctx, &b))
	b = Batch{}
	b.Delete(pos(1), []byte("k"))
	require.NoError(t, s.Apply(ctx, &b))
	_, found, err := s.Get(ctx, pos(1), []byte("k"))
	require.NoError(t, err)
	require.False(t, found)
}

func TestInvalidMetaNameRejectsWholeBatch(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	var b Batch
	b.Put(pos(1), []byte("k"), Item{Version: 1})
	b.PutMeta("a/b", []byte("x"))
	require.Error(t, s.Apply(ctx, &b))
	_, found, err := s.Get(ctx, pos(1), []byte("k"))
	require.NoError(t, err)
	require.False(t, found, "a rejected batch writes nothing")
	_, _, err = s.Meta(ctx, "")
	require.Error(t, err)
}

func TestCorruptRecordIsAnErrorAndLeftIntact(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	raw := []byte{42, 42, 42}
	require.NoError(t, s.ds.Put(ctx, replicaKey(pos(3), []byte("k")), raw))
	_, _, err := s.Get(ctx, pos(3), []byte("k"))
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "6b@") // names the key
	err = s.Range(ctx, pos(0), pos(0), func(ring.ID, []byte, Item) error { return nil })
	require.ErrorIs(t, err, ErrCorrupt)
	still, err := s.ds.Get(ctx, replicaKey(pos(3), []byte("k")))
	require.NoError(t, err)
	require.Equal(t, raw, still)
}

func TestRangeReportsMalformedKey(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	require.NoError(t, s.ds.Put(ctx, ds.RawKey("/r/garbage"), encodeItem(Item{})))
	err := s.Range(ctx, pos(0), pos(0), func(ring.ID, []byte, Item) error { return nil })
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "/r/garbage")
}

func TestOpenFailsClearlyOnUnusableDir(t *testing.T) {
	dir := t.TempDir() + "/file"
	require.NoError(t, writeFile(dir))
	_, err := Open(dir)
	require.Error(t, err)
	require.ErrorContains(t, err, dir)
}

func TestLockWithTargetAndMetaRoundTrips(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	it := Item{Value: []byte("v"), Version: 3, Seq: 17, Lock: Lock{Tx: TxID{1}, Write: true, NewValue: []byte("w"), Target: 4, Meta: []byte{9, 8}}}
	var b Batch
	b.Put(pos(1), []byte("k"), it)
	require.NoError(t, s.Apply(ctx, &b))
	got, found, err := s.Get(ctx, pos(1), []byte("k"))
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, it, got)
}

func TestMetaRangeAndDeleteMeta(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	var b Batch
	b.PutMeta("acc-2", []byte("b"))
	b.PutMeta("acc-1", []byte("a"))
	b.PutMeta("view-1", []byte("v"))
	require.NoError(t, s.Apply(ctx, &b))
	var names []string
	require.NoError(t, s.MetaRange(ctx, "acc-", func(name string, _ []byte) error {
		names = append(names, name)
		return nil
	}))
	require.Equal(t, []string{"acc-1", "acc-2"}, names)
	var d Batch
	d.DeleteMeta("acc-1")
	require.NoError(t, s.Apply(ctx, &d))
	_, found, err := s.Meta(ctx, "acc-1")
	require.NoError(t, err)
	require.False(t, found)
	require.Error(t, s.MetaRange(ctx, "a/b", func(string, []byte) error { return nil }))
}

func TestFailedBatchWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	var b Batch
	b.PutMeta("kept-out", []byte("x"))
	b.Fail(errors.New("cannot encode"))
	b.Fail(errors.New("second"))
	require.ErrorContains(t, s.Apply(ctx, &b), "cannot encode")
	_, found, err := s.Meta(ctx, "kept-out")
	require.NoError(t, err)
	require.False(t, found)
}
