package draw_test

import (
	"testing"

	"github.com/detrans/detrans/app/draw"
	"github.com/detrans/detrans/app/draw/memstore"
)

// bigDrawing commits a drawing of n mixed shapes (a third of them 30-point freehand strokes) and
// returns the network, its id and the shape ids.
func bigDrawing(b *testing.B, n int) (*memstore.Network, string, []draw.ShapeID) {
	b.Helper()
	net := memstore.New()
	r := net.Replica("alice")
	lib, err := draw.NewLibrary(r, "alice")
	if err != nil {
		b.Fatal(err)
	}
	info, err := lib.Create(ctx, "big")
	if err != nil {
		b.Fatal(err)
	}
	d, err := lib.Open(ctx, info.ID)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	shapes := make([]draw.Shape, n)
	for i := range shapes {
		x, y := float64(i%100)*20, float64(i/100)*20
		switch i % 3 {
		case 0:
			shapes[i] = rect(x, y, 15, 15)
		case 1:
			s := draw.Shape{Kind: draw.KindStroke, Stroke: draw.Black, Width: 2}
			for k := 0; k < 30; k++ {
				s.Points = append(s.Points, draw.Point{X: x + float64(k)/2, Y: y + float64(k%7)})
			}
			shapes[i] = s
		default:
			shapes[i] = text(x, y, "label")
		}
	}
	ids, err := d.AddAll(ctx, shapes)
	if err != nil {
		b.Fatal(err)
	}
	net.Sync()
	return net, info.ID, ids
}

// BenchmarkOpen10k opens a committed drawing of 10,000 shapes from a memstore replica.
func BenchmarkOpen10k(b *testing.B) {
	net, id, _ := bigDrawing(b, 10_000)
	r := net.Replica("bob")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := draw.Open(ctx, r, id, "bob")
		if err != nil {
			b.Fatal(err)
		}
		if d.Len() != 10_000 {
			b.Fatalf("opened %d shapes", d.Len())
		}
		d.Close()
	}
}

// BenchmarkLocalEdit moves one shape of an open 10,000-shape drawing: the model's share of "edit
// to repaint" (op, queueing in the store, the model's incremental update, the event).
func BenchmarkLocalEdit(b *testing.B) {
	net, id, ids := bigDrawing(b, 10_000)
	r := net.Replica("bob")
	d, err := draw.Open(ctx, r, id, "bob")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	d.Subscribe(func(draw.Event) {})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.Move(ctx, ids[(i*7919)%len(ids):][:1], 1, 0); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			b.StopTimer()
			r.Flush() // keep the fake store's outbox from growing without bound
			b.StartTimer()
		}
	}
}

// BenchmarkRemoteEdit is one shape moved by another peer, committed, and applied to an open
// 10,000-shape drawing (store work included).
func BenchmarkRemoteEdit(b *testing.B) {
	net, id, ids := bigDrawing(b, 10_000)
	ra, rb := net.Replica("alice2"), net.Replica("bob")
	a, err := draw.Open(ctx, ra, id, "alice2")
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	d, err := draw.Open(ctx, rb, id, "bob")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := a.Move(ctx, ids[(i*7919)%len(ids):][:1], 0, 1); err != nil {
			b.Fatal(err)
		}
		ra.Flush()
		rb.Pull()
	}
}

// BenchmarkHitTest10k finds the shape under a point in a 10,000-shape drawing.
func BenchmarkHitTest10k(b *testing.B) {
	net, id, _ := bigDrawing(b, 10_000)
	d, err := draw.Open(ctx, net.Replica("bob"), id, "bob")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.At(draw.Point{X: float64(i % 2000), Y: float64(i % 1000)}, 2)
	}
}

// BenchmarkVisible10k collects a viewport's worth of shapes (about 1,000) to paint.
func BenchmarkVisible10k(b *testing.B) {
	net, id, _ := bigDrawing(b, 10_000)
	d, err := draw.Open(ctx, net.Replica("bob"), id, "bob")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	view := draw.Rect{Min: draw.Point{X: 500, Y: 500}, Max: draw.Point{X: 1100, Y: 800}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Visible(view)
	}
}
