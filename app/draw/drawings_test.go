package draw_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/app/draw"
	"github.com/detrans/detrans/app/draw/memstore"
)

func library(t *testing.T, n *memstore.Network, name string) (*draw.Library, *memstore.Replica) {
	t.Helper()
	r := n.Replica(name)
	l, err := draw.NewLibrary(r, name)
	require.NoError(t, err)
	return l, r
}

func TestDrawingsCreateListRenameOpen(t *testing.T) {
	n := memstore.New()
	a, _ := library(t, n, "alice")
	b, _ := library(t, n, "bob")

	x, err := a.Create(ctx, "  Zebra plans ")
	require.NoError(t, err)
	require.Equal(t, draw.Info{ID: "alice-1", Name: "Zebra plans", Creator: "alice"}, x)
	y, err := a.Create(ctx, "apple")
	require.NoError(t, err)
	require.Equal(t, "alice-2", y.ID)
	// Bob creates concurrently: ids never collide, no conflict.
	z, err := b.Create(ctx, "Mango")
	require.NoError(t, err)
	require.Equal(t, "bob-1", z.ID)

	list, err := a.List(ctx)
	require.NoError(t, err)
	require.Equal(t, []draw.Info{y, x}, list, "usable at once, before any commit")
	n.Sync()
	for _, l := range []*draw.Library{a, b} {
		list, err := l.List(ctx)
		require.NoError(t, err)
		require.Equal(t, []draw.Info{y, z, x}, list, "sorted by name, case-insensitively")
	}

	var seen []string
	cancel := a.Watch(func(notice string) { seen = append(seen, "changed") })
	defer cancel()
	require.NoError(t, b.Rename(ctx, x.ID, "Zebra plans v2"))
	n.Sync()
	require.NotEmpty(t, seen)
	d, err := a.Open(ctx, x.ID)
	require.NoError(t, err)
	defer d.Close()
	require.Equal(t, "Zebra plans v2", d.Name())

	// An open drawing follows renames.
	var renamed bool
	d.Subscribe(func(ev draw.Event) { renamed = renamed || ev.Renamed })
	require.NoError(t, b.Rename(ctx, x.ID, "Zebra final"))
	n.Sync()
	require.True(t, renamed)
	require.Equal(t, "Zebra final", d.Name())
	require.NoError(t, b.Rename(ctx, x.ID, "Zebra final"), "renaming to the same name is a no-op")
}

func TestConcurrentRenamesLastWinsWithNotice(t *testing.T) {
	n := memstore.New()
	a, ra := library(t, n, "alice")
	b, rb := library(t, n, "bob")
	x, err := a.Create(ctx, "Draft")
	require.NoError(t, err)
	n.Sync()
	var notices []string
	b.Watch(func(notice string) {
		if notice != "" {
			notices = append(notices, notice)
		}
	})
	require.NoError(t, a.Rename(ctx, x.ID, "Alice's name"))
	require.NoError(t, b.Rename(ctx, x.ID, "Bob's name"))
	ra.Flush()
	rb.Flush()
	n.Sync()
	for _, l := range []*draw.Library{a, b} {
		list, err := l.List(ctx)
		require.NoError(t, err)
		require.Equal(t, "Bob's name", list[0].Name)
	}
	require.Equal(t, []string{`your rename to "Bob's name" replaced alice's concurrent rename to "Alice's name"`}, notices)
}

func TestDrawingsRejectBadInput(t *testing.T) {
	n := memstore.New()
	a, _ := library(t, n, "alice")
	for _, bad := range []string{"", "   ", "tab\there", strings.Repeat("x", draw.MaxTitle+1), "bad\xffutf8"} {
		_, err := a.Create(ctx, bad)
		require.Error(t, err, "%q", bad)
	}
	require.ErrorIs(t, a.Rename(ctx, "alice-9", "x"), draw.ErrNoDrawing)
	x, err := a.Create(ctx, "ok")
	require.NoError(t, err)
	require.Error(t, a.Rename(ctx, x.ID, ""))
	_, err = draw.NewLibrary(n.Replica("x"), "has space")
	require.Error(t, err)
	_, err = draw.NewLibrary(n.Replica("y"), strings.Repeat("a", 101))
	require.Error(t, err)

	// A garbage list entry from a buggy peer is skipped, not fatal.
	r := n.Replica("buggy")
	require.NoError(t, r.Local(ctx, draw.Intent{Kind: "junk", Writes: []draw.Write{{Key: "draw/list/zz-1", Value: []byte("{")}}}))
	n.Sync()
	list, err := a.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func TestRenameFromTheListShowsInTheOpenDrawing(t *testing.T) {
	_, us := setup(t, "alice")
	a := us[0]
	require.NoError(t, a.lib.Rename(ctx, a.d.ID(), "renamed here"))
	require.Equal(t, "renamed here", a.d.Name())
	a.takeEvents()
	require.NoError(t, a.d.Rename(ctx, "again"))
	require.Equal(t, "again", a.d.Name())
	evs := a.takeEvents()
	require.Len(t, evs, 1)
	require.True(t, evs[0].Renamed)
	require.Error(t, a.d.Rename(ctx, " "))
}
