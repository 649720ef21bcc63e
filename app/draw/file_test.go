package draw_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/app/draw"
)

func TestFileRoundTripAndGolden(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, knownDrawing().Write(&buf))
	want := golden(t, "known.json", buf.Bytes())
	require.Equal(t, string(want), buf.String())

	f, err := draw.ReadFile(bytes.NewReader(want))
	require.NoError(t, err)
	require.Equal(t, knownDrawing(), f)
}

func TestSaveAndLoadThroughADrawing(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	a, b := us[0], us[1]
	ids, err := a.d.Import(ctx, knownDrawing())
	require.NoError(t, err)
	n.Sync()
	require.Len(t, b.d.Shapes(), len(ids))

	var buf bytes.Buffer
	require.NoError(t, b.d.Save(&buf))
	f, err := draw.ReadFile(&buf)
	require.NoError(t, err)
	require.Equal(t, "test board", f.Name)
	k := knownDrawing()
	require.Len(t, f.Shapes, len(k.Shapes))
	for i := range k.Shapes {
		got, want := f.Shapes[i], k.Shapes[i]
		require.Equal(t, ids[i], got.ID, "imported shapes are alice's, in file order")
		require.Equal(t, want.Points, got.Points)
		require.Equal(t, want.Text, got.Text)
		require.Equal(t, want.Fill, got.Fill)
	}

	// Import is one undoable step.
	_, err = a.d.Undo(ctx)
	require.NoError(t, err)
	require.Zero(t, a.d.Len())

	// A whole new drawing from the file.
	info, err := b.lib.CreateFrom(ctx, f)
	require.NoError(t, err)
	require.Equal(t, "test board", info.Name)
	d, err := b.lib.Open(ctx, info.ID)
	require.NoError(t, err)
	defer d.Close()
	require.Equal(t, len(k.Shapes), d.Len())
}

func TestReadFileRejectsBadFilesClearly(t *testing.T) {
	ok := `{"format":"detrans-draw","version":1,"name":"x","shapes":[{"kind":"line","points":[[0,0],[1,1]],"stroke":"#000000","width":1,"z":1}]}`
	_, err := draw.ReadFile(strings.NewReader(ok))
	require.NoError(t, err)

	cases := map[string]string{
		``:                          "empty file",
		`{"format":"detrans-draw",`: "ends in the middle",
		"{\n  \"format\": \"detrans-draw\",\n  oops}": "line 3, column",
		`[]`: "line 1",
		`{"format":"svg","version":1,"name":"x","shapes":[]}`:                                                                                     `format is "svg"`,
		`{"format":"detrans-draw","version":2,"name":"x","shapes":[]}`:                                                                            "version 2 is not supported",
		`{"format":"detrans-draw","name":"x","shapes":[]}`:                                                                                        "version 0 is not supported",
		`{"format":"detrans-draw","version":1,"name":"","shapes":[]}`:                                                                             "name must not be empty",
		`{"format":"detrans-draw","version":1,"name":"x"}`:                                                                                        `"shapes" is missing`,
		`{"format":"detrans-draw","version":1,"name":"x","shapes":[],"extra":1}`:                                                                  `unknown field "extra"`,
		`{"format":"detrans-draw","version":1,"name":"x","shapes":[]} {}`:                                                                         "unexpected data after",
		`{"format":"detrans-draw","version":1,"name":"x","shapes":[{"kind":"line","points":[[0,0]],"stroke":"#000000"}]}`:                         "shapes[0]: points: a line has 2 points, got 1",
		`{"format":"detrans-draw","version":1,"name":"x","shapes":[{"kind":"hexagon","points":[],"stroke":"#000000"}]}`:                           "shapes[0]: kind:",
		`{"format":"detrans-draw","version":1,"name":"x","shapes":[{"id":"a/1","kind":"rect","points":[[0,0],[1,1]],"stroke":"red"}]}`:            "shapes[0] (id a/1): stroke:",
		`{"format":"detrans-draw","version":1,"name":"x","shapes":[{"id":"nope","kind":"rect","points":[[0,0],[1,1]],"stroke":"#000"}]}`:          "id: shape id",
		`{"format":"detrans-draw","version":1,"name":"x","shapes":[{"kind":"rect","points":[[0,0],[1,1]],"stroke":"#000000","width":"2"}]}`:       "shapes.width holds a JSON string, want float64",
		`{"format":"detrans-draw","version":1,"name":"x","shapes":[{"kind":"rect","points":[[0,0],[1,1,2]],"stroke":"#000000"}]}`:                 "shapes[0]: points[1]: want [x, y]",
		`{"format":"detrans-draw","version":1,"name":"x","shapes":[{"kind":"rect","points":[[0,0],[1e9,1]],"stroke":"#000000"}]}`:                 "points[1].x",
		`{"format":"detrans-draw","version":1,"name":"x","shapes":[{"kind":"text","points":[[0,0]],"stroke":"#000000","text":"a","size":0}]}`:     "size:",
		`{"format":"detrans-draw","version":1,"name":"x","shapes":[{"kind":"text","points":[[0,0]],"stroke":"#000000","text":"a","size":1e400}]}`: "line 1",
	}
	for in, want := range cases {
		_, err := draw.ReadFile(strings.NewReader(in))
		require.ErrorContains(t, err, want, "input %s", in)
		require.True(t, strings.HasPrefix(err.Error(), "drawing file: "), err.Error())
	}
	_, err = draw.ReadFile(strings.NewReader(strings.Repeat(" ", draw.MaxFileBytes+1)))
	require.ErrorContains(t, err, "larger than")
}

func TestBadFileLeavesTheDrawingUntouched(t *testing.T) {
	n, us := setup(t, "alice")
	a := us[0]
	add(t, a, rect(0, 0, 5, 5))
	n.Sync()
	before := a.d.Shapes()
	a.takeEvents()

	bad := strings.Replace(string(golden(t, "known.json", nil)), `"#c62828ff"`, `"#c6282"`, 1)
	f, err := draw.ReadFile(strings.NewReader(bad))
	require.ErrorContains(t, err, "shapes[1] (id alice/2): stroke")
	require.Nil(t, f)
	require.Equal(t, before, a.d.Shapes())
	require.Empty(t, a.takeEvents())
	require.Zero(t, a.r.Status().Pending)
}

func TestWriteRefusesInvalidShapesBeforeWritingAnything(t *testing.T) {
	f := knownDrawing()
	f.Shapes[5].FontSize = 0
	var buf bytes.Buffer
	require.ErrorContains(t, f.Write(&buf), "shape 5 (carol/1): size")
	require.Zero(t, buf.Len())
	require.Error(t, (&draw.File{Name: ""}).Write(&buf))
}
