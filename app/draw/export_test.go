package draw_test

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/app/draw"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// knownDrawing exercises every kind, fills, translucency, a multi-line text with XML specials.
func knownDrawing() *draw.File {
	c := func(s string) draw.Color {
		col, err := draw.ParseColor(s)
		if err != nil {
			panic(err)
		}
		return col
	}
	p := func(xy ...float64) []draw.Point {
		var out []draw.Point
		for i := 0; i < len(xy); i += 2 {
			out = append(out, draw.Point{X: xy[i], Y: xy[i+1]})
		}
		return out
	}
	return &draw.File{Name: "Known <drawing> & co", Shapes: []draw.Shape{
		{ID: draw.ShapeID{Author: "alice", N: 1}, Kind: draw.KindRect, Points: p(10, 10, 150, 90), Stroke: c("#1f3a93"), Width: 4, Fill: c("#ffd54f"), Z: 1},
		{ID: draw.ShapeID{Author: "alice", N: 2}, Kind: draw.KindEllipse, Points: p(120, 40, 230, 130), Stroke: c("#c62828"), Width: 3, Fill: c("#4caf5080"), Z: 2},
		{ID: draw.ShapeID{Author: "bob", N: 1}, Kind: draw.KindStroke, Points: p(20, 120, 40, 100, 60, 125, 80, 105, 100, 130), Stroke: c("#6a1b9ab0"), Width: 6, Z: 3},
		{ID: draw.ShapeID{Author: "bob", N: 2}, Kind: draw.KindLine, Points: p(10, 150, 240, 150), Stroke: c("#000000"), Width: 1, Z: 4},
		{ID: draw.ShapeID{Author: "bob", N: 3}, Kind: draw.KindArrow, Points: p(30, 170, 200, 200), Stroke: c("#00695c"), Width: 2, Z: 5},
		{ID: draw.ShapeID{Author: "carol", N: 1}, Kind: draw.KindText, Points: p(20, 20), Stroke: c("#212121"), Text: "Hall <A&B>\nroom 2", FontSize: 14, Z: 6},
		{ID: draw.ShapeID{Author: "carol", N: 2}, Kind: draw.KindStroke, Points: p(220, 20), Stroke: c("#ff6f00"), Width: 10, Z: 7},
		{ID: draw.ShapeID{Author: "carol", N: 3}, Kind: draw.KindText, Points: p(160, 165), Stroke: c("#ffffff"), Fill: c("#37474f"), Text: "note", FontSize: 10, Z: 8},
	}}
}

func golden(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update && got != nil {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	return want
}

var exportOpts = draw.ExportOptions{Margin: 10, Background: draw.White, Scale: 2}

func TestSVGExportMatchesGolden(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, draw.WriteSVG(&buf, knownDrawing().Shapes, exportOpts))
	want := golden(t, "known.svg", buf.Bytes())
	require.Equal(t, string(want), buf.String())
	require.Contains(t, buf.String(), "Hall &lt;A&amp;B&gt;", "text is escaped")
}

func TestPNGExportMatchesGolden(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, draw.WritePNG(&buf, knownDrawing().Shapes, exportOpts))
	want := golden(t, "known.png", buf.Bytes())
	got, err := png.Decode(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	exp, err := png.Decode(bytes.NewReader(want))
	require.NoError(t, err)
	require.Equal(t, exp.Bounds(), got.Bounds())
	// Rasterising is deterministic, but allow rounding noise (another CPU may fuse multiply-adds
	// in the trigonometry): a pixel may differ by 3/255 per channel, and 0.1% of pixels by more.
	off := 0
	b := got.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, g1, b1, a1 := got.At(x, y).RGBA()
			r2, g2, b2, a2 := exp.At(x, y).RGBA()
			for _, d := range []int{int(r1) - int(r2), int(g1) - int(g2), int(b1) - int(b2), int(a1) - int(a2)} {
				if d > 3*257 || d < -3*257 {
					off++
					break
				}
			}
		}
	}
	require.LessOrEqual(t, off, b.Dx()*b.Dy()/1000, "pixels differing from testdata/known.png")
}

func TestPNGExportPaintsWhereShapesAre(t *testing.T) {
	shapes := []draw.Shape{
		{Kind: draw.KindRect, Points: []draw.Point{{X: 10, Y: 10}, {X: 50, Y: 50}}, Stroke: draw.Black, Width: 2, Fill: draw.Color{R: 255, A: 255}},
		{Kind: draw.KindText, Points: []draw.Point{{X: 60, Y: 10}}, Stroke: draw.Color{B: 255, A: 255}, Text: "W", FontSize: 40},
	}
	img, err := draw.Render(shapes, draw.ExportOptions{Area: draw.Rect{Max: draw.Point{X: 100, Y: 100}}, Background: draw.White})
	require.NoError(t, err)
	at := func(x, y int) [4]uint8 {
		i := img.PixOffset(x, y)
		return [4]uint8(img.Pix[i : i+4])
	}
	require.Equal(t, [4]uint8{255, 0, 0, 255}, at(30, 30), "filled inside")
	require.Equal(t, [4]uint8{0, 0, 0, 255}, at(10, 30), "outline on the edge")
	require.Equal(t, [4]uint8{255, 255, 255, 255}, at(5, 5), "background outside")
	blue := 0
	for y := 10; y < 58; y++ {
		for x := 60; x < 84; x++ {
			if p := at(x, y); p[2] > 200 && p[0] < 100 {
				blue++
			}
		}
	}
	require.Greater(t, blue, 100, "the glyph is drawn inside its text box")
	for y := 0; y < 100; y++ {
		for x := 85; x < 100; x++ {
			require.Equal(t, [4]uint8{255, 255, 255, 255}, at(x, y), "nothing drawn right of the text box at %d,%d", x, y)
		}
	}
}

func TestExportRejectsBadOptionsAndHugeImages(t *testing.T) {
	shapes := knownDrawing().Shapes
	for _, o := range []draw.ExportOptions{
		{Scale: -1}, {Scale: 1000}, {Margin: -3},
		{Area: draw.Rect{Max: draw.Point{X: 10}}},
		{Area: draw.Rect{Max: draw.Point{X: 1e6, Y: 1e6}}},
	} {
		err := draw.WritePNG(&bytes.Buffer{}, shapes, o)
		require.Error(t, err, "%+v", o)
	}
	var buf bytes.Buffer
	require.NoError(t, draw.WritePNG(&buf, nil, draw.ExportOptions{}))
	img, err := png.Decode(&buf)
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, 100, 100), img.Bounds(), "an empty drawing exports a blank area")

	// Shapes partly outside the requested area are clipped, not an error; huge text is fine.
	big := []draw.Shape{{Kind: draw.KindText, Points: []draw.Point{{X: -50, Y: -50}}, Stroke: draw.Black, Text: "Ж☃", FontSize: draw.MaxFontSize}}
	_, err = draw.Render(big, draw.ExportOptions{Area: draw.Rect{Max: draw.Point{X: 64, Y: 64}}, Scale: 4})
	require.NoError(t, err)
	buf.Reset()
	require.NoError(t, draw.WriteSVG(&buf, big, draw.ExportOptions{}))
	require.True(t, strings.HasPrefix(buf.String(), "<?xml"))
}

func TestDrawingExportsWhatItShows(t *testing.T) {
	_, us := setup(t, "alice")
	a := us[0]
	ids, err := a.d.Import(ctx, knownDrawing())
	require.NoError(t, err)
	require.Len(t, ids, len(knownDrawing().Shapes))
	var fromModel, fromFile bytes.Buffer
	require.NoError(t, a.d.ExportPNG(&fromModel, exportOpts))
	require.NoError(t, draw.WritePNG(&fromFile, knownDrawing().Shapes, exportOpts))
	require.Equal(t, fromFile.Bytes(), fromModel.Bytes())
	var svg bytes.Buffer
	require.NoError(t, a.d.ExportSVG(&svg, exportOpts))
	require.Contains(t, svg.String(), `data-id="alice/1"`)
}
