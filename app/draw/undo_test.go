package draw_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/app/draw"
)

func TestUndoRevertsOnlyMyOwnEditsInInterleavings(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	sa := add(t, a, rect(0, 0, 10, 10)) // alice 1
	n.Sync()
	sb := add(t, b, rect(50, 0, 10, 10)) // bob 1
	n.Sync()
	require.NoError(t, a.d.Move(ctx, []draw.ShapeID{sa}, 1, 0)) // alice 2
	n.Sync()
	require.NoError(t, b.d.Move(ctx, []draw.ShapeID{sb}, 0, 7)) // bob 2
	require.NoError(t, b.d.Restyle(ctx, []draw.ShapeID{sa}, draw.Style{Fill: &blue}))
	n.Sync()

	// Alice's undo takes back her move, not bob's later edits (nor his fill on her shape).
	ns, err := a.d.Undo(ctx)
	require.NoError(t, err)
	require.Empty(t, ns)
	n.Sync()
	for _, u := range us {
		require.Equal(t, 0.0, get(t, u, sa).Points[0].X, u.name)
		require.Equal(t, blue, get(t, u, sa).Fill, u.name)
		require.Equal(t, 7.0, get(t, u, sb).Points[0].Y, u.name)
	}
	// Next undo removes her rect (bob's fill on it is a different property, but undoing an add
	// deletes the whole shape, so it must not be undone over bob's work).
	ns, err = a.d.Undo(ctx)
	require.NoError(t, err)
	require.True(t, containsNotice(ns, "undo did not remove the rect alice/1: someone else changed it since"), "%q", ns)
	get(t, a, sa)
	require.False(t, a.d.CanUndo())
	_, err = a.d.Undo(ctx)
	require.ErrorIs(t, err, draw.ErrNothingToUndo)

	// Bob's history is his own: fill, move, add.
	for range 3 {
		_, err := b.d.Undo(ctx)
		require.NoError(t, err)
	}
	n.Sync()
	sameEverywhere(t, us)
	require.Equal(t, draw.None, get(t, a, sa).Fill)
	gone(t, a, sb)
	require.Equal(t, 0, a.r.Status().Dropped+b.r.Status().Dropped)
}

func TestUndoIsANewCommittedEditOthersSee(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	id := add(t, a, rect(0, 0, 10, 10))
	require.NoError(t, a.d.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Stroke: &red}))
	n.Sync()
	v := get(t, b, id).Version
	_, err := a.d.Undo(ctx)
	require.NoError(t, err)
	n.Sync()
	s := get(t, b, id)
	require.Equal(t, draw.Black, s.Stroke)
	require.Greater(t, s.Version, v, "undo committed a new version, it did not rewrite history")
}

func TestUndoSkipsOnlyPropertiesOthersChangedSince(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	id := add(t, a, rect(0, 0, 10, 10))
	n.Sync()
	// One action of alice's changes two properties; bob then changes one of them.
	require.NoError(t, a.d.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Stroke: &red, Width: ptr(9.0)}))
	n.Sync()
	require.NoError(t, b.d.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Stroke: &blue}))
	n.Sync()

	ns, err := a.d.Undo(ctx)
	require.NoError(t, err)
	require.True(t, containsNotice(ns, "undo left the colour of the rect alice/1 alone: bob changed it since"), "%q", ns)
	n.Sync()
	s := get(t, b, id)
	require.Equal(t, blue, s.Stroke, "bob's later colour stays")
	require.Equal(t, 2.0, s.Width, "alice's width is undone")

	// Redo re-applies what the undo reverted: the width.
	_, err = a.d.Redo(ctx)
	require.NoError(t, err)
	n.Sync()
	s = get(t, b, id)
	require.Equal(t, 9.0, s.Width)
	require.Equal(t, blue, s.Stroke)
}

func TestUndoGuardIsRecheckedWhenTheUndoCommits(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	id := add(t, a, rect(0, 0, 10, 10))
	require.NoError(t, a.d.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Stroke: &red}))
	n.Sync()

	// Bob recolours while alice, not yet aware, undoes her recolour; bob commits first.
	require.NoError(t, b.d.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Stroke: &blue}))
	_, err := a.d.Undo(ctx)
	require.NoError(t, err)
	require.Equal(t, draw.Black, get(t, a, id).Stroke, "locally the undo applies at once")
	b.r.Flush()
	a.r.Flush()
	n.Sync()
	sameEverywhere(t, us)
	require.Equal(t, blue, get(t, a, id).Stroke, "the undo does not overwrite bob's newer colour")
	require.True(t, containsNotice(a.notices(), "undo left the colour"))
}

func TestUndoDeleteRestoresEvenAfterPurgeAndRedoDeletesAgain(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	id := add(t, a, text(3, 4, "keep me"))
	n.Sync()
	require.NoError(t, b.d.Delete(ctx, []draw.ShapeID{id}))
	n.Sync()
	gone(t, a, id)

	_, err := b.d.Undo(ctx)
	require.NoError(t, err)
	n.Sync()
	s := get(t, a, id)
	require.Equal(t, "keep me", s.Text)
	require.Equal(t, "bob", s.EditedBy)
	require.Equal(t, map[string]int{}, a.d.Tombstones())

	_, err = b.d.Redo(ctx)
	require.NoError(t, err)
	n.Sync()
	gone(t, a, id)

	// Bob's tombstone is purged by a later bulk delete, yet his undo still restores the shape.
	lines := make([]draw.Shape, draw.MaxTombstones)
	for i := range lines {
		lines[i] = line(0, 0, 1, float64(i))
	}
	xs, err := b.d.AddAll(ctx, lines)
	require.NoError(t, err)
	require.NoError(t, b.d.Delete(ctx, xs))
	n.Sync()
	require.False(t, n.Committed("draw/doc/"+a.d.ID()+"/shape/alice/1").Exists(), "purged")
	for range 3 {
		_, err := b.d.Undo(ctx)
		require.NoError(t, err)
	}
	n.Sync()
	require.Equal(t, "keep me", get(t, a, id).Text)
	require.Equal(t, 1, a.d.Len())
}

func TestNewEditClearsRedo(t *testing.T) {
	_, us := setup(t, "alice")
	a := us[0]
	id := add(t, a, rect(0, 0, 10, 10))
	require.NoError(t, a.d.Move(ctx, []draw.ShapeID{id}, 1, 1))
	_, err := a.d.Undo(ctx)
	require.NoError(t, err)
	require.True(t, a.d.CanRedo())
	require.NoError(t, a.d.Move(ctx, []draw.ShapeID{id}, 0, 5))
	require.False(t, a.d.CanRedo())
	_, err = a.d.Redo(ctx)
	require.ErrorIs(t, err, draw.ErrNothingToRedo)
	require.Equal(t, []draw.Point{{X: 0, Y: 5}, {X: 10, Y: 15}}, get(t, a, id).Points)

	// Undo all the way and redo all the way.
	_, err = a.d.Undo(ctx)
	require.NoError(t, err)
	_, err = a.d.Undo(ctx)
	require.NoError(t, err)
	gone(t, a, id)
	_, err = a.d.Redo(ctx)
	require.NoError(t, err)
	_, err = a.d.Redo(ctx)
	require.NoError(t, err)
	require.Equal(t, []draw.Point{{X: 0, Y: 5}, {X: 10, Y: 15}}, get(t, a, id).Points)
}

func TestUndoWhileOfflineThenMerge(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	id := add(t, a, rect(0, 0, 10, 10))
	n.Sync()
	a.r.SetOnline(false)
	require.NoError(t, a.d.Move(ctx, []draw.ShapeID{id}, 10, 0))
	require.NoError(t, a.d.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Stroke: &red}))
	_, err := a.d.Undo(ctx) // undo the colour, still offline
	require.NoError(t, err)
	require.NoError(t, b.d.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Fill: &blue}))
	n.Sync()
	a.r.SetOnline(true)
	n.Sync()
	sameEverywhere(t, us)
	s := get(t, b, id)
	require.Equal(t, 10.0, s.Points[0].X)
	require.Equal(t, draw.Black, s.Stroke)
	require.Equal(t, blue, s.Fill)
}
