package ui

import (
	"context"
	"image"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/app/draw"
)

var ctx = context.Background()

// canvasFixture is a canvas in a headless window showing a fresh drawing of alice's, in a memory
// space where bob is another peer.
type canvasFixture struct {
	t   testing.TB
	be  *MemBackend
	lib *draw.Library
	d   *draw.Drawing
	c   *Canvas
	w   fyne.Window
	id  string
}

func newCanvasFixture(t testing.TB) *canvasFixture {
	t.Helper()
	test.NewTempApp(t)
	be := NewMemBackend("alice")
	t.Cleanup(func() { _ = be.Close() })
	lib, err := draw.NewLibrary(be.Store(), "alice")
	require.NoError(t, err)
	info, err := lib.Create(ctx, "test")
	require.NoError(t, err)
	be.Sync()
	d, err := lib.Open(ctx, info.ID)
	require.NoError(t, err)
	t.Cleanup(d.Close)
	c := NewCanvas()
	w := test.NewTempWindow(t, c)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(800, 600))
	c.SetDrawing(d)
	c.ZoomAt(1, fyne.Position{})
	c.origin = draw.Point{}
	c.viewChanged()
	return &canvasFixture{t: t, be: be, lib: lib, d: d, c: c, w: w, id: info.ID}
}

// drag moves the pointer from one canvas position to another in steps, with the events the
// desktop driver sends: a press, then Dragged events whose first delta counts from the press
// point, then the release. (test.Drag sends one event whose Position is the start, which is not
// what the desktop driver does.)
func drag(c *Canvas, from, to fyne.Position, steps int, mods ...fyne.KeyModifier) {
	var m fyne.KeyModifier
	for _, x := range mods {
		m |= x
	}
	c.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: from}, Button: desktop.MouseButtonPrimary, Modifier: m})
	prev := from
	for i := 1; i <= steps; i++ {
		f := float32(i) / float32(steps)
		p := fyne.NewPos(from.X+(to.X-from.X)*f, from.Y+(to.Y-from.Y)*f)
		c.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: p}, Dragged: fyne.NewDelta(p.X-prev.X, p.Y-prev.Y)})
		prev = p
	}
	c.DragEnd()
	c.MouseUp(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: to}, Button: desktop.MouseButtonPrimary, Modifier: m})
}

// click is a press and release without movement, as the driver reports it.
func click(c *Canvas, at fyne.Position, mods ...fyne.KeyModifier) {
	var m fyne.KeyModifier
	for _, x := range mods {
		m |= x
	}
	ev := &desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: at}, Button: desktop.MouseButtonPrimary, Modifier: m}
	c.MouseDown(ev)
	c.MouseUp(ev)
	c.Tapped(&fyne.PointEvent{Position: at})
}

// frame renders the canvas's raster as the driver would for the next frame, at 1 pixel per unit.
func (f *canvasFixture) frame() *image.RGBA {
	s := f.c.Size()
	return f.c.generate(int(s.Width), int(s.Height)).(*image.RGBA)
}

// inkAt reports whether the frame has something other than paper and grid at a canvas position.
func inkAt(img *image.RGBA, x, y int) bool {
	c := img.RGBAAt(x, y)
	return c != paperColor && c != gridColor
}

// peer opens the same drawing as bob, after a sync.
func (f *canvasFixture) peer(name string) *draw.Drawing {
	f.t.Helper()
	r := f.be.AddPeer(name)
	f.be.Sync()
	d, err := draw.Open(ctx, r, f.id, name)
	require.NoError(f.t, err)
	f.t.Cleanup(d.Close)
	return d
}

func near(t testing.TB, want, got, tol float64, msg string) {
	t.Helper()
	require.InDelta(t, want, got, tol, msg)
}
