package draw

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const dID = "alice-1"

func shapeVal(s Shape, ver uint64) Value { return Value{Data: encodeShape(&s), Version: ver} }

func TestRebaserDropsUnreadableOps(t *testing.T) {
	for _, bad := range []string{`{`, `{"v":99,"d":"alice-1","by":"bob"}`, `{"v":1,"d":"no/slash","by":"bob"}`, `{"v":1,"d":"alice-1","by":""}`} {
		res := rebaseShapes(Intent{Kind: IntentShapes, Op: []byte(bad)}, nil)
		require.Nil(t, res.Intent, bad)
		require.Contains(t, res.Notice, "a queued drawing edit was dropped", bad)
	}
	res := rebaseList(Intent{Kind: IntentList, Op: []byte(`{"v":1}`)}, nil)
	require.Nil(t, res.Intent)
	require.NotEmpty(t, res.Notice)
}

func TestRebaserSkipsKeysItWasNotGiven(t *testing.T) {
	id := ShapeID{"alice", 1}
	w := 9.0
	p := Patch{Width: &w}
	o := op{V: opVersion, Drawing: dID, By: "bob", Items: []item{{T: itemSet, ID: id, Kind: KindRect, Set: toPatchRec(&p)}}}
	res := rebaseShapes(Intent{Kind: IntentShapes, Op: encodeOp(&o)}, map[string]Value{})
	require.Nil(t, res.Intent)
	require.Contains(t, res.Notice, "could not be read")
}

func TestRebasedAddNeverOverwrites(t *testing.T) {
	id := ShapeID{"bob", 3}
	s := Shape{Kind: KindLine, Points: []Point{{0, 0}, {1, 1}}, Stroke: Black, Width: 1}
	rec := toRecord(&s)
	o := op{V: opVersion, Drawing: dID, By: "bob", Seq: 3, Items: []item{{T: itemAdd, ID: id, Kind: KindLine, Shape: &rec}}}
	fresh := map[string]Value{
		shapeKey(dID, id):  shapeVal(Shape{Kind: KindRect, Points: []Point{{0, 0}, {5, 5}}, Stroke: Black}, 4),
		seqKey(dID, "bob"): {Data: encodeSeq(7), Version: 2},
	}
	res := rebaseShapes(Intent{Kind: IntentShapes, Op: encodeOp(&o)}, fresh)
	require.Nil(t, res.Intent, "the key is taken and the counter is already past ours: nothing to write")
	require.Contains(t, res.Notice, "id bob/3 is already taken")

	// With a lagging counter, the counter still moves up even though the add is dropped.
	fresh[seqKey(dID, "bob")] = Value{Data: encodeSeq(1), Version: 1}
	res = rebaseShapes(Intent{Kind: IntentShapes, Op: encodeOp(&o)}, fresh)
	require.NotNil(t, res.Intent)
	require.Equal(t, []Write{{Key: seqKey(dID, "bob"), Value: encodeSeq(3)}}, res.Intent.Writes)
}

func TestPurgeOnlyForgetsTheDeletersOwnTombstones(t *testing.T) {
	mine, theirs, live := ShapeID{"alice", 1}, ShapeID{"alice", 2}, ShapeID{"alice", 3}
	o := op{V: opVersion, Drawing: dID, By: "bob", Purge: []ShapeID{mine, theirs, live}}
	fresh := map[string]Value{
		shapeKey(dID, mine):   {Data: encodeTomb(tombstone{By: "bob", Seq: 1}), Version: 2},
		shapeKey(dID, theirs): {Data: encodeTomb(tombstone{By: "carol", Seq: 5}), Version: 2},
		shapeKey(dID, live):   shapeVal(Shape{Kind: KindRect, Points: []Point{{0, 0}, {5, 5}}, Stroke: Black}, 3),
	}
	res := rebaseShapes(Intent{Kind: IntentShapes, Op: encodeOp(&o)}, fresh)
	require.NotNil(t, res.Intent)
	require.Equal(t, []Write{{Key: shapeKey(dID, mine)}}, res.Intent.Writes)
	got, err := decodeOp(res.Intent.Op)
	require.NoError(t, err)
	require.Equal(t, []ShapeID{mine}, got.Purge, "the rebased op keeps only what took effect")
}

func TestGuardedRestoreRespectsOthersDeletes(t *testing.T) {
	id := ShapeID{"alice", 1}
	s := Shape{Kind: KindRect, Points: []Point{{0, 0}, {5, 5}}, Stroke: Black}
	rec := toRecord(&s)
	o := op{V: opVersion, Drawing: dID, By: "bob", Items: []item{{T: itemRestore, ID: id, Kind: KindRect, Shape: &rec}}}
	for _, c := range []struct {
		fresh   Value
		restore bool
	}{
		{Value{Data: encodeTomb(tombstone{By: "bob", Seq: 4}), Version: 3}, true}, // my tombstone
		{Value{Version: 5}, true}, // purged by me
		{Value{Data: encodeTomb(tombstone{By: "carol", Seq: 1}), Version: 3}, false}, // carol deleted it
		{shapeVal(s, 2), false}, // already back
	} {
		res := rebaseShapes(Intent{Kind: IntentShapes, Op: encodeOp(&o)}, map[string]Value{shapeKey(dID, id): c.fresh})
		require.Equal(t, c.restore, res.Intent != nil, "%+v", c.fresh)
	}
}

func TestPropHashesSeeEveryProperty(t *testing.T) {
	s := Shape{Kind: KindText, Points: []Point{{1, 2}}, Stroke: Black, Text: "a", FontSize: 10}
	h := contentHash(&s)
	for _, f := range allProps {
		c := s.Clone()
		switch f {
		case propPoints:
			c.Points[0].X++
		case propStroke:
			c.Stroke.R++
		case propWidth:
			c.Width++
		case propFill:
			c.Fill.A++
		case propZ:
			c.Z++
		case propText:
			c.Text += "b"
		case propSize:
			c.FontSize++
		}
		require.NotEqual(t, propHash(&s, f), propHash(&c, f), f)
		require.NotEqual(t, h, contentHash(&c), f)
	}
	c := s
	c.EditedBy, c.Version = "zed", 9
	require.Equal(t, h, contentHash(&c), "who edited last is not content")
}
