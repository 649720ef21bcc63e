package draw

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRecordRoundTrip(t *testing.T) {
	id := ShapeID{"alice", 7}
	s := Shape{ID: id, Kind: KindText, Points: []Point{{1.5, -2}}, Stroke: Color{1, 2, 3, 4}, Fill: Color{9, 9, 9, 255},
		Z: 3, Text: "héllo <&>", FontSize: 14, EditedBy: "bob"}
	got, err := decodeStored(id, Value{Data: encodeShape(&s), Version: 5})
	require.NoError(t, err)
	require.Nil(t, got.tomb)
	s.Version = 5
	require.Equal(t, s, *got.shape)

	got, err = decodeStored(id, Value{Data: encodeTomb(tombstone{By: "bob", Seq: 9}), Version: 6})
	require.NoError(t, err)
	require.Nil(t, got.shape)
	require.Equal(t, tombstone{By: "bob", Seq: 9}, *got.tomb)

	got, err = decodeStored(id, Value{})
	require.NoError(t, err)
	require.Equal(t, stored{}, got)
}

func TestDecodeStoredRejectsBadRecords(t *testing.T) {
	id := ShapeID{"alice", 1}
	for bad, want := range map[string]string{
		`{`: "shape alice/1",
		`{"kind":"rect","points":[[0,0],[1,1]],"stroke":"blue"}`:               "stroke:",
		`{"kind":"rect","points":[[0,0],[1]],"stroke":"#000000"}`:              "points[1]",
		`{"kind":"rect","points":[[0,0]],"stroke":"#000000"}`:                  "points:",
		`{"kind":"rect","points":[[0,0],[1,1]],"stroke":"#000000","fill":"x"}`: "fill:",
	} {
		_, err := decodeStored(id, Value{Data: []byte(bad), Version: 1})
		require.ErrorContains(t, err, want, bad)
	}
}

func TestKeys(t *testing.T) {
	id := ShapeID{"bob", 12}
	k := shapeKey("alice-1", id)
	require.Equal(t, "draw/doc/alice-1/shape/bob/12", k)
	got, ok := shapeIDFromKey("alice-1", k)
	require.True(t, ok)
	require.Equal(t, id, got)
	_, ok = shapeIDFromKey("alice-1", seqKey("alice-1", "bob"))
	require.False(t, ok)
	_, ok = shapeIDFromKey("alice-1", "draw/doc/alice-1/shape/bob/x")
	require.False(t, ok)
	require.Equal(t, uint64(12), decodeSeq(Value{Data: encodeSeq(12)}))
	require.Zero(t, decodeSeq(Value{Data: []byte("junk")}))
}
