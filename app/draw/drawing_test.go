package draw_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/app/draw"
)

func TestLocalEditsShowAtOnceAndReachOthersOnSync(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]

	id := add(t, a, rect(0, 0, 10, 10))
	require.Equal(t, draw.ShapeID{Author: "alice", N: 1}, id)
	s := get(t, a, id)
	require.Equal(t, "alice", s.EditedBy)
	require.Equal(t, 1.0, s.Z)
	gone(t, b, id)
	require.Equal(t, 1, a.d.Status().Pending)

	evs := a.takeEvents()
	require.Len(t, evs, 1)
	require.Equal(t, []draw.ShapeID{id}, evs[0].Added)
	require.False(t, evs[0].Remote)
	require.True(t, evs[0].HasDirty)
	require.Equal(t, s.Bounds(), evs[0].Dirty)

	n.Sync()
	got := get(t, b, id)
	require.Equal(t, uint64(1), got.Version)
	evs = b.takeEvents()
	require.Len(t, evs, 1)
	require.True(t, evs[0].Remote)
	require.Equal(t, []draw.ShapeID{id}, evs[0].Added)

	require.NoError(t, a.d.Move(ctx, []draw.ShapeID{id}, 5, 5))
	require.NoError(t, a.d.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Stroke: &red, Fill: &blue, Width: ptr(4.0)}))
	n.Sync()
	got = get(t, b, id)
	require.Equal(t, []draw.Point{{X: 5, Y: 5}, {X: 15, Y: 15}}, got.Points)
	require.Equal(t, red, got.Stroke)
	require.Equal(t, blue, got.Fill)
	require.Equal(t, 4.0, got.Width)
	evs = b.takeEvents()
	require.NotEmpty(t, evs)
	require.Equal(t, []draw.ShapeID{id}, evs[0].Changed)

	require.NoError(t, a.d.Delete(ctx, []draw.ShapeID{id}))
	gone(t, a, id)
	n.Sync()
	gone(t, b, id)
	evs = b.takeEvents()
	require.Equal(t, []draw.ShapeID{id}, evs[len(evs)-1].Removed)
	require.Equal(t, map[string]int{"alice": 1}, b.d.Tombstones())
	require.Zero(t, a.d.Status().Merged+a.d.Status().Dropped)
}

func TestOpenLoadsEverythingInZOrder(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a := us[0]
	r1 := add(t, a, rect(0, 0, 10, 10))
	t1 := add(t, a, text(5, 5, "hello"))
	l1 := add(t, a, line(0, 0, 50, 50))
	require.NoError(t, a.d.Delete(ctx, []draw.ShapeID{t1}))
	require.NoError(t, a.d.SendToBack(ctx, []draw.ShapeID{l1}))
	n.Sync()

	d, err := us[1].lib.Open(ctx, a.d.ID())
	require.NoError(t, err)
	defer d.Close()
	ids := []draw.ShapeID{}
	for _, s := range d.Shapes() {
		ids = append(ids, s.ID)
	}
	require.Equal(t, []draw.ShapeID{l1, r1}, ids)
	require.Equal(t, "test board", d.Name())
	require.Equal(t, map[string]int{"alice": 1}, d.Tombstones())

	_, err = us[1].lib.Open(ctx, "nobody-1")
	require.ErrorIs(t, err, draw.ErrNoDrawing)
	_, err = us[1].lib.Open(ctx, "bad/id")
	require.Error(t, err)
}

func TestConcurrentEditsOfDifferentShapesNeverConflict(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	s1 := add(t, a, rect(0, 0, 10, 10))
	s2 := add(t, a, rect(20, 0, 10, 10))
	n.Sync()

	// Both offline, both busy on different shapes (and adding new ones).
	a.r.SetOnline(false)
	b.r.SetOnline(false)
	require.NoError(t, a.d.Move(ctx, []draw.ShapeID{s1}, 1, 0))
	require.NoError(t, b.d.Restyle(ctx, []draw.ShapeID{s2}, draw.Style{Stroke: &red}))
	add(t, a, line(0, 0, 5, 5))
	add(t, b, line(0, 0, 6, 6))
	require.NoError(t, b.d.Delete(ctx, []draw.ShapeID{s2}))
	a.r.SetOnline(true)
	b.r.SetOnline(true)
	n.Sync()
	n.Sync()

	for _, u := range us {
		st := u.r.Status()
		require.Zero(t, st.Merged, u.name)
		require.Zero(t, st.Dropped, u.name)
		require.Zero(t, st.Pending, u.name)
	}
	sameEverywhere(t, us)
	require.Equal(t, 3, a.d.Len())
	require.Equal(t, 1.0, get(t, b, s1).Points[0].X)
}

func TestSameShapeDifferentPropertiesBothSurvive(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	id := add(t, a, rect(0, 0, 10, 10))
	n.Sync()
	a.takeEvents()
	b.takeEvents()

	require.NoError(t, a.d.Move(ctx, []draw.ShapeID{id}, 100, 0))
	require.NoError(t, b.d.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Stroke: &red}))
	a.r.Flush()
	b.r.Flush() // conflicts on the shape's key, rebases on alice's move
	n.Sync()

	sameEverywhere(t, us)
	s := get(t, a, id)
	require.Equal(t, 100.0, s.Points[0].X, "alice's move survives")
	require.Equal(t, red, s.Stroke, "bob's recolour survives")
	require.Empty(t, b.notices(), "a field-wise merge is not news")
	require.Zero(t, b.r.Status().Merged)
}

func TestSameShapeSamePropertyLastCommitterWinsWithNotice(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	id := add(t, a, rect(0, 0, 10, 10))
	n.Sync()
	b.takeEvents()

	require.NoError(t, a.d.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Stroke: &blue}))
	require.NoError(t, b.d.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Stroke: &red}))
	a.r.Flush()
	b.r.Flush()
	n.Sync()

	sameEverywhere(t, us)
	require.Equal(t, red, get(t, a, id).Stroke, "bob committed last")
	ns := b.notices()
	require.True(t, containsNotice(ns, "your colour of the rect alice/1 replaced a concurrent change by alice"), "%q", ns)
	require.Equal(t, 1, b.r.Status().Merged)
	require.Empty(t, a.notices(), "alice's edit committed as she made it")
}

func TestDeleteWinsOverEditThatCommitsLater(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	id := add(t, a, rect(0, 0, 10, 10))
	n.Sync()
	b.takeEvents()

	require.NoError(t, a.d.Delete(ctx, []draw.ShapeID{id}))
	require.NoError(t, b.d.Move(ctx, []draw.ShapeID{id}, 5, 5))
	get(t, b, id) // bob sees his move until the merge
	a.r.Flush()
	b.r.Flush()
	n.Sync()

	gone(t, a, id)
	gone(t, b, id)
	ns := b.notices()
	require.True(t, containsNotice(ns, "your change to the rect alice/1 was dropped: alice deleted it"), "%q", ns)
	require.Equal(t, 1, b.r.Status().Dropped)
}

func TestDeleteWinsOverEditThatCommittedFirst(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	id := add(t, a, rect(0, 0, 10, 10))
	n.Sync()
	a.takeEvents()

	require.NoError(t, b.d.Move(ctx, []draw.ShapeID{id}, 5, 5))
	require.NoError(t, a.d.Delete(ctx, []draw.ShapeID{id}))
	b.r.Flush()
	a.r.Flush() // alice's delete rebases on bob's move, and still deletes
	n.Sync()

	gone(t, a, id)
	gone(t, b, id)
	ns := a.notices()
	require.True(t, containsNotice(ns, "you deleted the rect alice/1, which bob had just changed"), "%q", ns)

	// The deleter's undo brings the shape back as she last saw it.
	_, err := a.d.Undo(ctx)
	require.NoError(t, err)
	n.Sync()
	require.Equal(t, 0.0, get(t, b, id).Points[0].X)
}

func TestDeleteVsDeleteFirstWinsSecondIsSilent(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	id := add(t, a, rect(0, 0, 10, 10))
	n.Sync()
	b.takeEvents()

	require.NoError(t, a.d.Delete(ctx, []draw.ShapeID{id}))
	require.NoError(t, b.d.Delete(ctx, []draw.ShapeID{id}))
	a.r.Flush()
	b.r.Flush()
	n.Sync()
	gone(t, b, id)
	require.Empty(t, b.notices())
	require.Equal(t, map[string]int{"alice": 1}, b.d.Tombstones())

	// Bob's undo does not bring back what alice deleted.
	ns, err := b.d.Undo(ctx)
	require.NoError(t, err)
	require.True(t, containsNotice(ns, "was not brought back: alice deleted it"), "%q", ns)
	gone(t, b, id)
}

func TestStaleOfflineEditCannotResurrectAPurgedShape(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	victim := add(t, a, rect(0, 0, 10, 10))
	n.Sync()

	b.r.SetOnline(false)
	require.NoError(t, b.d.Restyle(ctx, []draw.ShapeID{victim}, draw.Style{Stroke: &red}))

	// Alice deletes the shape, then so many others that its tombstone is purged.
	require.NoError(t, a.d.Delete(ctx, []draw.ShapeID{victim}))
	for i := 0; i < draw.MaxTombstones; i++ {
		id := add(t, a, line(0, 0, 1, float64(i)))
		require.NoError(t, a.d.Delete(ctx, []draw.ShapeID{id}))
	}
	n.Sync()
	v := n.Committed("draw/doc/" + a.d.ID() + "/shape/alice/1")
	require.False(t, v.Exists(), "the tombstone was purged")

	b.r.SetOnline(true)
	n.Sync()
	gone(t, a, victim)
	gone(t, b, victim)
	require.True(t, containsNotice(b.notices(), "was dropped: it was deleted"))
}

func TestTombstonesAreBoundedPerDeleter(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	var ids []draw.ShapeID
	for i := 0; i < 700; i++ {
		ids = append(ids, add(t, a, line(0, 0, 1, float64(i))))
	}
	n.Sync()
	// Alice deletes one at a time, bob in one big batch, both past the cap.
	for _, id := range ids[:400] {
		require.NoError(t, a.d.Delete(ctx, []draw.ShapeID{id}))
		require.LessOrEqual(t, a.d.Tombstones()["alice"], draw.MaxTombstones)
	}
	require.NoError(t, b.d.Delete(ctx, ids[400:]))
	n.Sync()

	obs := n.Replica("observer")
	kvs, err := obs.Scan(ctx, "draw/doc/"+a.d.ID()+"/shape/")
	require.NoError(t, err)
	require.LessOrEqual(t, len(kvs), 2*draw.MaxTombstones, "committed tombstones of two deleters")
	for _, u := range us {
		require.Equal(t, map[string]int{"alice": draw.MaxTombstones, "bob": draw.MaxTombstones}, u.d.Tombstones(), u.name)
		require.Zero(t, u.d.Len())
	}
}

func TestConcurrentAddsGetDistinctIDsAndOneOrder(t *testing.T) {
	n, us := setup(t, "alice", "bob", "carol")
	var ids []draw.ShapeID
	for _, u := range us {
		ids = append(ids, add(t, u, rect(0, 0, 10, 10)))
	}
	require.Equal(t, 1.0, get(t, us[2], ids[2]).Z, "each added on top of what it saw")
	n.Sync()
	sameEverywhere(t, us)
	order := us[0].d.Shapes()
	require.Len(t, order, 3)
	require.Equal(t, ids, []draw.ShapeID{order[0].ID, order[1].ID, order[2].ID}, "equal z breaks ties by id")
	// The one on top is what a click hits, on every peer.
	for _, u := range us {
		top, ok := u.d.At(draw.Point{X: 10, Y: 5}, 1)
		require.True(t, ok)
		require.Equal(t, ids[2], top)
	}
}

func TestRestackResizeSetText(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	r1 := add(t, a, rect(0, 0, 10, 10))
	r2 := add(t, a, rect(0, 0, 10, 10))
	tx := add(t, a, text(0, 0, "hi"))
	require.NoError(t, a.d.BringToFront(ctx, []draw.ShapeID{r1}))
	require.NoError(t, a.d.SendToBack(ctx, []draw.ShapeID{tx}))
	require.NoError(t, a.d.Resize(ctx, r2, draw.Rect{Min: draw.Point{X: 30, Y: 30}, Max: draw.Point{X: 10, Y: 10}}))
	require.NoError(t, a.d.Resize(ctx, tx, draw.Rect{Min: draw.Point{X: 1, Y: 2}, Max: draw.Point{X: 100, Y: 2 + 2*14.4}}))
	require.NoError(t, a.d.SetText(ctx, tx, "hello"))
	n.Sync()
	sameEverywhere(t, us)
	var order []draw.ShapeID
	for _, s := range b.d.Shapes() {
		order = append(order, s.ID)
	}
	require.Equal(t, []draw.ShapeID{tx, r2, r1}, order)
	require.Equal(t, []draw.Point{{X: 10, Y: 10}, {X: 30, Y: 30}}, get(t, b, r2).Points)
	got := get(t, b, tx)
	require.Equal(t, "hello", got.Text)
	require.InDelta(t, 24, got.FontSize, 1e-9)
	require.Equal(t, []draw.Point{{X: 1, Y: 2}}, got.Points)
}

func TestBadEditsAreRefusedAndChangeNothing(t *testing.T) {
	_, us := setup(t, "alice")
	a := us[0]
	id := add(t, a, rect(0, 0, 10, 10))
	tx := add(t, a, text(0, 0, "hi"))
	a.takeEvents()
	before := a.d.Shapes()

	require.ErrorIs(t, a.d.Move(ctx, []draw.ShapeID{id, {Author: "x", N: 1}}, 1, 1), draw.ErrNoShape)
	require.ErrorContains(t, a.d.Move(ctx, []draw.ShapeID{id}, 2e6, 0), "points[0].x")
	require.ErrorContains(t, a.d.Update(ctx, map[draw.ShapeID]draw.Patch{id: {Text: ptr("x")}}), "only a text shape")
	require.ErrorContains(t, a.d.SetText(ctx, tx, ""), "needs some text")
	require.ErrorContains(t, a.d.Update(ctx, map[draw.ShapeID]draw.Patch{id: {Width: ptr(-1.0)}}), "width")
	_, err := a.d.Add(ctx, draw.Shape{Kind: "blob"})
	require.ErrorContains(t, err, "kind")
	_, err = a.d.AddAll(ctx, []draw.Shape{rect(0, 0, 1, 1), {Kind: draw.KindLine}})
	require.ErrorContains(t, err, "add shape 1: points")

	require.Equal(t, before, a.d.Shapes())
	require.Empty(t, a.takeEvents())
	require.Equal(t, 2, a.r.Status().Pending, "only the two adds were queued")
	require.NoError(t, a.d.Delete(ctx, []draw.ShapeID{{Author: "x", N: 1}}), "deleting what is gone is not an error")
	require.NoError(t, a.d.Move(ctx, nil, 0, 0))
}

func TestSelectionFollowsRemoteDeletes(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	s1 := add(t, a, rect(0, 0, 10, 10))
	s2 := add(t, a, rect(50, 50, 10, 10))
	s3 := add(t, a, rect(200, 200, 10, 10))
	n.Sync()
	b.d.Select(s2, s1, draw.ShapeID{Author: "nobody", N: 1})
	require.Equal(t, []draw.ShapeID{s1, s2}, b.d.Selected())
	b.d.Toggle(s3)
	b.d.Toggle(s1)
	require.Equal(t, []draw.ShapeID{s2, s3}, b.d.Selected())
	box, ok := b.d.SelectionBox()
	require.True(t, ok)
	require.Equal(t, draw.Rect{Min: draw.Point{X: 50, Y: 50}, Max: draw.Point{X: 210, Y: 210}}, box)
	b.takeEvents()

	require.NoError(t, a.d.Delete(ctx, []draw.ShapeID{s2}))
	n.Sync()
	require.Equal(t, []draw.ShapeID{s3}, b.d.Selected())
	evs := b.takeEvents()
	require.True(t, evs[len(evs)-1].Selection)

	require.Equal(t, []draw.ShapeID{s1, s3}, b.d.Within(draw.Rect{Min: draw.Point{X: -5, Y: -5}, Max: draw.Point{X: 300, Y: 300}}))
	require.Len(t, b.d.Visible(draw.Rect{Min: draw.Point{X: 0, Y: 0}, Max: draw.Point{X: 20, Y: 20}}), 1)
	ext, ok := b.d.Extent()
	require.True(t, ok)
	require.Equal(t, draw.Rect{Min: draw.Point{X: -1, Y: -1}, Max: draw.Point{X: 211, Y: 211}}, ext)
	b.d.SelectAll()
	require.Len(t, b.d.Selected(), 2)
	b.d.Select()
	require.Empty(t, b.d.Selected())
}

func TestClosedDrawingRefusesEditsAndStopsFollowing(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	b.d.Close()
	_, err := b.d.Add(ctx, rect(0, 0, 1, 1))
	require.ErrorIs(t, err, draw.ErrClosed)
	add(t, a, rect(0, 0, 1, 1))
	n.Sync()
	require.Zero(t, b.d.Len())
}

func TestQueuedEditsRebaseAfterTheModelIsGone(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	id := add(t, a, rect(0, 0, 10, 10))
	n.Sync()
	b.r.SetOnline(false)
	require.NoError(t, b.d.Move(ctx, []draw.ShapeID{id}, 50, 0))
	b.d.Close() // bob quits the app; his edit waits in the outbox

	require.NoError(t, a.d.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Fill: &blue}))
	n.Sync()
	b.r.SetOnline(true)
	n.Sync() // the conflict is merged by the registered rule, no model involved
	s := get(t, a, id)
	require.Equal(t, 50.0, s.Points[0].X)
	require.Equal(t, blue, s.Fill)
	require.Zero(t, b.r.Status().Pending)
}

func TestGarbageFromABuggyPeerIsHiddenNotFatal(t *testing.T) {
	n, us := setup(t, "alice")
	a := us[0]
	ok := add(t, a, rect(0, 0, 5, 5))
	n.Sync()
	a.takeEvents()
	bad := n.Replica("buggy")
	key := "draw/doc/" + a.d.ID() + "/shape/buggy/1"
	require.NoError(t, bad.Local(ctx, draw.Intent{Kind: "junk", Writes: []draw.Write{
		{Key: key, Value: []byte(`{"kind":"rect","points":[[0,0]],"stroke":"#000000"}`)},
		{Key: "draw/doc/" + a.d.ID() + "/shape/not-an-id", Value: []byte(`{}`)},
	}}))
	n.Sync()
	require.Equal(t, 1, a.d.Len())
	require.True(t, containsNotice(a.notices(), "hiding an unreadable shape: shape buggy/1: points"))

	d, err := a.lib.Open(ctx, a.d.ID())
	require.NoError(t, err)
	defer d.Close()
	require.Equal(t, 1, d.Len())
	get(t, a, ok)

	// Unsubscribed observers hear nothing more.
	var calls int
	cancel := d.Subscribe(func(draw.Event) { calls++ })
	d.Select(ok)
	cancel()
	d.Select()
	require.Equal(t, 1, calls)
	require.False(t, d.IsSelected(ok))
}
