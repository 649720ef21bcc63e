package ui

import (
	"context"
	"fmt"
	"math"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/detrans/detrans/app/draw"
)

// Demo fills the app with a small scene for screenshots and manual checks (DETRANS_DEMO=1): a
// few drawings in the list, shapes drawn through the canvas's own pointer handlers, and, on the
// temporary memory backend, a second person whose edits arrive live, an offline third, and a
// conflict that gets merged. It prints the canvas's place in the window for scripts that want
// to add real input events.
func (a *App) Demo() {
	go func() {
		a.Wait() // the first drawing is open
		fyne.DoAndWait(a.demoLocal)
		if mb, ok := a.be.(*MemBackend); ok {
			a.demoPeers(mb)
		}
		fyne.DoAndWait(func() {
			pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(a.canvas)
			size := a.canvas.Size()
			fmt.Fprintf(os.Stdout, "DETRANS_DEMO ready canvas=%d,%d,%d,%d\n", int(pos.X), int(pos.Y), int(size.Width), int(size.Height))
		})
	}()
}

// demoLocal draws through the same handlers the pointer uses; runs on the UI goroutine.
func (a *App) demoLocal() {
	ctx := context.Background()
	for _, name := range []string{"Floor plan", "Retro notes"} {
		if _, err := a.lib.Create(ctx, name); err != nil {
			a.status.tell(err.Error(), true)
		}
	}
	if a.open != nil {
		_ = a.open.Rename(ctx, "Launch plan")
		a.canvas.drain()
	}
	a.refreshList()
	c := a.canvas
	c.origin = draw.Point{X: -40, Y: -30}
	c.viewChanged()

	at := func(x, y float32) fyne.Position { return c.ToCanvas(draw.Point{X: float64(x), Y: float64(y)}) }
	stroke := func(from, to fyne.Position, path func(f float32) fyne.Position) {
		c.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: from}, Button: desktop.MouseButtonPrimary})
		prev := from
		for i := 1; i <= 40; i++ {
			p := path(float32(i) / 40)
			c.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: p}, Dragged: fyne.NewDelta(p.X-prev.X, p.Y-prev.Y)})
			prev = p
		}
		c.DragEnd()
		c.MouseUp(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: to}, Button: desktop.MouseButtonPrimary})
	}
	line := func(x0, y0, x1, y1 float32) {
		from, to := at(x0, y0), at(x1, y1)
		stroke(from, to, func(f float32) fyne.Position {
			return fyne.NewPos(from.X+(to.X-from.X)*f, from.Y+(to.Y-from.Y)*f)
		})
	}
	style := func(col int, w int, fill FillMode) {
		c.SetStyle(Style{Stroke: swatches[col].c, Width: widths[w], Fill: fill})
	}
	text := func(x, y float32, s string) {
		c.SetTool(ToolText)
		c.Tapped(&fyne.PointEvent{Position: at(x, y)})
		c.ov.entry.SetText(s)
		c.commitText()
	}

	c.SetTool(ToolRect)
	style(5, 1, FillTint)
	line(40, 60, 260, 190)
	style(0, 1, FillNone)
	text(70, 100, "Sign-up\nscreen")
	style(4, 1, FillTint)
	c.SetTool(ToolEllipse)
	line(380, 50, 580, 200)
	style(0, 1, FillNone)
	text(425, 108, "Payments")
	c.SetTool(ToolArrow)
	style(0, 1, FillNone)
	line(270, 125, 370, 125)
	c.SetTool(ToolPen)
	style(2, 1, FillNone)
	from := at(60, 300)
	stroke(from, at(560, 300), func(f float32) fyne.Position {
		x := 60 + 500*f
		y := 300 + 22*float32(math.Sin(float64(f)*6*math.Pi))
		return at(x, y)
	})
	style(0, 2, FillNone)
	text(60, 340, "Launch: Friday!")
	c.SetTool(ToolSelect)
	style(0, 1, FillNone)
}

// demoPeers plays bob's and carol's part on the memory backend: bob draws while alice watches,
// then both change the same rectangle's colour while alice is offline, which merges.
func (a *App) demoPeers(mb *MemBackend) {
	ctx := context.Background()
	bob := mb.AddPeer("bob")
	carol := mb.AddPeer("carol")
	carol.SetOnline(false)
	time.Sleep(400 * time.Millisecond) // let alice's drawing reach the network
	var id string
	fyne.DoAndWait(func() { id = a.open.ID() })
	bd, err := draw.Open(ctx, bob, id, "bob")
	if err != nil {
		fyne.Do(func() { a.status.tell("demo: "+err.Error(), true) })
		return
	}
	defer bd.Close()
	note := draw.Color{R: 0xfc, G: 0xc4, B: 0x19, A: 0xff}
	ink := draw.Color{R: 0x5c, G: 0x3d, B: 0x00, A: 0xff}
	_, _ = bd.AddAll(ctx, []draw.Shape{
		{Kind: draw.KindRect, Points: []draw.Point{{X: 640, Y: 40}, {X: 860, Y: 150}}, Stroke: note, Width: 2, Fill: draw.Color{R: 0xff, G: 0xec, B: 0x99, A: 0xff}},
		{Kind: draw.KindText, Points: []draw.Point{{X: 656, Y: 58}}, Text: "bob: add a\nlogin page?", FontSize: 22, Stroke: ink},
		{Kind: draw.KindArrow, Points: []draw.Point{{X: 700, Y: 160}, {X: 560, Y: 250}}, Stroke: ink, Width: 3},
	})
	time.Sleep(600 * time.Millisecond)

	// Alice goes offline and recolours her rectangle; bob recolours it too and commits first.
	var rect draw.ShapeID
	fyne.DoAndWait(func() {
		mb.Replica().SetOnline(false)
		for _, s := range a.open.Shapes() {
			if s.Kind == draw.KindRect && s.ID.Author == a.me.ID {
				rect = s.ID
				break
			}
		}
		a.open.Select(rect)
		a.canvas.drain()
		st := a.canvas.Style()
		st.Stroke, st.Fill = swatches[6].c, FillTint
		a.canvas.SetStyle(st)
		a.poll(time.Now())
	})
	orange := swatches[3].c
	_ = bd.Restyle(ctx, []draw.ShapeID{rect}, draw.Style{Stroke: &orange})
	time.Sleep(500 * time.Millisecond)
	fyne.DoAndWait(func() { mb.Replica().SetOnline(true) })
	time.Sleep(600 * time.Millisecond)
	fyne.DoAndWait(func() { a.poll(time.Now()) })
}
