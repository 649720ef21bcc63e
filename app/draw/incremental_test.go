package draw_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/app/draw"
	"github.com/detrans/detrans/app/draw/memstore"
)

// counting wraps a Store and counts reads, to prove the model never rescans after Open.
type counting struct {
	draw.Store
	scans, gets, locals atomic.Int64
	failLocal           atomic.Bool
}

func (c *counting) Scan(ctx context.Context, p string) ([]draw.KV, error) {
	c.scans.Add(1)
	return c.Store.Scan(ctx, p)
}

func (c *counting) Get(ctx context.Context, k string) (draw.Value, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, k)
}

func (c *counting) Local(ctx context.Context, in draw.Intent) error {
	if c.failLocal.Load() {
		return errors.New("disk full")
	}
	c.locals.Add(1)
	return c.Store.Local(ctx, in)
}

func TestEditsAndRemoteChangesDoNotRescan(t *testing.T) {
	n := memstore.New()
	ra, rb := n.Replica("alice"), n.Replica("bob")
	lib, err := draw.NewLibrary(ra, "alice")
	require.NoError(t, err)
	info, err := lib.Create(ctx, "big")
	require.NoError(t, err)
	seed, err := lib.Open(ctx, info.ID)
	require.NoError(t, err)
	shapes := make([]draw.Shape, 2000)
	for i := range shapes {
		shapes[i] = rect(float64(i), 0, 5, 5)
	}
	ids, err := seed.AddAll(ctx, shapes)
	require.NoError(t, err)
	seed.Close()
	n.Sync()

	cb := &counting{Store: rb}
	d, err := draw.Open(ctx, cb, info.ID, "bob")
	require.NoError(t, err)
	defer d.Close()
	require.Equal(t, int64(1), cb.scans.Load(), "open reads the shapes with one scan")
	cb.gets.Store(0)

	// Local edits: one Local each, no reads at all.
	require.NoError(t, d.Move(ctx, ids[:1], 1, 1))
	require.NoError(t, d.Restyle(ctx, ids[5:6], draw.Style{Stroke: &red}))
	_, err = d.Add(ctx, rect(0, 0, 1, 1))
	require.NoError(t, err)
	require.NoError(t, d.Delete(ctx, ids[7:8]))
	_, err = d.Undo(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(5), cb.locals.Load())
	require.Zero(t, cb.gets.Load()+cb.scans.Load()-1)

	// A remote edit of one shape: one Get of that key.
	a, err := lib.Open(ctx, info.ID)
	require.NoError(t, err)
	defer a.Close()
	require.NoError(t, a.Move(ctx, ids[100:101], 0, 3))
	ra.Flush()
	rb.Pull()
	require.Equal(t, int64(1), cb.gets.Load())
	require.Equal(t, int64(1), cb.scans.Load())
	s, ok := d.Shape(ids[100])
	require.True(t, ok)
	require.Equal(t, 3.0, s.Points[0].Y)
}

func TestStoreRefusalLeavesModelUnchanged(t *testing.T) {
	n := memstore.New()
	r := n.Replica("alice")
	lib, err := draw.NewLibrary(r, "alice")
	require.NoError(t, err)
	info, err := lib.Create(ctx, "x")
	require.NoError(t, err)
	c := &counting{Store: r}
	d, err := draw.Open(ctx, c, info.ID, "alice")
	require.NoError(t, err)
	defer d.Close()
	id, err := d.Add(ctx, rect(0, 0, 5, 5))
	require.NoError(t, err)
	before := d.Shapes()
	rev := d.Rev()

	c.failLocal.Store(true)
	require.ErrorContains(t, d.Move(ctx, []draw.ShapeID{id}, 3, 3), "disk full")
	require.ErrorContains(t, d.Delete(ctx, []draw.ShapeID{id}), "disk full")
	_, err = d.Undo(ctx)
	require.ErrorContains(t, err, "disk full")
	require.Equal(t, before, d.Shapes())
	require.Equal(t, rev, d.Rev())
	require.True(t, d.CanUndo(), "a refused undo keeps its step")

	c.failLocal.Store(false)
	_, err = d.Undo(ctx)
	require.NoError(t, err)
	require.Zero(t, d.Len())
}
