package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/app/draw"
)

// bigFixture is a 1280×800 canvas on a committed drawing of n mixed shapes on a 20-unit grid
// (a third of them 30-point freehand strokes), the same mix as app/draw's benchmarks. At 100%
// about 2,500 of 10,000 are in view.
func bigFixture(b *testing.B, n int) *canvasFixture {
	b.Helper()
	f := newCanvasFixture(b)
	f.w.Resize(fyne.NewSize(1280, 800))
	shapes := make([]draw.Shape, n)
	for i := range shapes {
		x, y := float64(i%100)*20, float64(i/100)*20
		switch i % 3 {
		case 0:
			shapes[i] = draw.Shape{Kind: draw.KindRect, Points: []draw.Point{{X: x, Y: y}, {X: x + 15, Y: y + 15}},
				Stroke: draw.Black, Width: 2, Fill: draw.Color{R: 0x19, G: 0x71, B: 0xc2, A: 0x40}}
		case 1:
			s := draw.Shape{Kind: draw.KindStroke, Stroke: swatches[2].c, Width: 2}
			for k := range 30 {
				s.Points = append(s.Points, draw.Point{X: x + float64(k)/2, Y: y + float64(k%7)})
			}
			shapes[i] = s
		default:
			shapes[i] = draw.Shape{Kind: draw.KindText, Points: []draw.Point{{X: x, Y: y}}, Text: "abc", FontSize: 6, Stroke: draw.Black}
		}
	}
	_, err := f.d.AddAll(ctx, shapes)
	require.NoError(b, err)
	f.be.Sync()
	f.c.ZoomAt(1, fyne.Position{})
	f.c.origin = draw.Point{}
	f.c.viewChanged()
	f.frame()
	return f
}

// BenchmarkEditToRepaint is one local edit on a 10,000-shape drawing until its frame is ready:
// the model applies and queues a move of one shape in view, the canvas handles the event and
// repaints the dirty rectangle, and the raster hands the image to the driver (the GPU upload is
// the driver's and not counted). Target: one frame at 60 Hz, 16 ms.
func BenchmarkEditToRepaint(b *testing.B) {
	f := bigFixture(b, 10_000)
	target := f.d.Shapes()[4*100+4].ID // in view, mid-screen
	var painted int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dx := 5.0
		if i%2 == 1 {
			dx = -5
		}
		if err := f.d.Move(ctx, []draw.ShapeID{target}, dx, 0); err != nil {
			b.Fatal(err)
		}
		f.c.drain()
		before := f.c.paint.shapesPainted.Load()
		f.frame()
		painted += f.c.paint.shapesPainted.Load() - before
	}
	b.StopTimer()
	b.ReportMetric(float64(painted)/float64(b.N), "shapes-painted/op")
	if f.c.paint.fullPaints != 1 {
		b.Fatalf("%d full repaints; an edit must repaint only its dirty rectangle", f.c.paint.fullPaints)
	}
}

// BenchmarkRemoteEditToRepaint is the same for another peer's edit: the store delivers it to the
// model, whose event reaches the canvas through fyne.Do.
func BenchmarkRemoteEditToRepaint(b *testing.B) {
	f := bigFixture(b, 10_000)
	bob := f.peer("bob")
	target := f.d.Shapes()[4*100+4].ID
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dx := 5.0
		if i%2 == 1 {
			dx = -5
		}
		if err := bob.Move(ctx, []draw.ShapeID{target}, dx, 0); err != nil {
			b.Fatal(err)
		}
		f.be.Sync()
		f.frame()
	}
}

// BenchmarkFullRepaint is a whole frame from scratch (after a zoom or a resize) with about 2,500
// of 10,000 shapes in view.
func BenchmarkFullRepaint(b *testing.B) {
	f := bigFixture(b, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.c.paint.invalidate()
		f.frame()
	}
}

// BenchmarkPanFrame is one frame of a pan by 10 units: the old image shifts and only the
// uncovered strip is painted.
func BenchmarkPanFrame(b *testing.B) {
	f := bigFixture(b, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := float32(10)
		if (i/20)%2 == 1 {
			d = -10
		}
		f.c.Pan(d, 0)
		f.frame()
	}
}
