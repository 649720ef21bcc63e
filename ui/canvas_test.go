package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/app/draw"
)

func TestPenDragDrawsStrokeThatReachesTheStore(t *testing.T) {
	f := newCanvasFixture(t)
	f.c.TypedRune('p')
	require.Equal(t, ToolPen, f.c.Tool())

	drag(f.c, fyne.NewPos(100, 100), fyne.NewPos(300, 200), 20)

	shapes := f.d.Shapes()
	require.Len(t, shapes, 1)
	s := shapes[0]
	require.Equal(t, draw.KindStroke, s.Kind)
	require.Equal(t, "alice", s.ID.Author)
	require.GreaterOrEqual(t, len(s.Points), 10, "every pointer move adds a point")
	near(t, 100, s.Points[0].X, 0.01, "starts at the press point")
	near(t, 100, s.Points[0].Y, 0.01, "starts at the press point")
	last := s.Points[len(s.Points)-1]
	near(t, 300, last.X, 0.01, "ends at the release point")
	near(t, 200, last.Y, 0.01, "ends at the release point")
	require.Equal(t, DefaultStyle.Stroke, s.Stroke)
	require.Equal(t, DefaultStyle.Width, s.Width)

	// It is queued in the store, and reaches another peer once the store commits it.
	require.Equal(t, 1, f.be.Replica().Status().Pending)
	bob := f.peer("bob")
	require.Equal(t, 0, f.be.Replica().Status().Pending)
	got, ok := bob.Shape(s.ID)
	require.True(t, ok, "bob sees alice's stroke")
	require.Equal(t, s.Points, got.Points)

	// And it is on screen: the middle of the stroke has ink, far away is paper.
	img := f.frame()
	require.True(t, inkAt(img, 200, 150), "the stroke is painted")
	require.False(t, inkAt(img, 600, 500), "paper elsewhere")
}

func TestShapeToolsDrawTheirKind(t *testing.T) {
	f := newCanvasFixture(t)
	for _, tc := range []struct {
		key  rune
		kind draw.Kind
	}{{'l', draw.KindLine}, {'a', draw.KindArrow}, {'r', draw.KindRect}, {'e', draw.KindEllipse}} {
		f.c.TypedRune(tc.key)
		drag(f.c, fyne.NewPos(50, 50), fyne.NewPos(150, 120), 4)
		shapes := f.d.Shapes()
		s := shapes[len(shapes)-1]
		require.Equal(t, tc.kind, s.Kind)
		require.Equal(t, []draw.Point{{X: 50, Y: 50}, {X: 150, Y: 120}}, s.Points)
	}
	require.Equal(t, 4, f.d.Len())

	// A click with the rectangle tool draws nothing (no invisible shapes).
	f.c.TypedRune('r')
	drag(f.c, fyne.NewPos(400, 400), fyne.NewPos(400.5, 400.5), 1)
	require.Equal(t, 4, f.d.Len())
}

func TestShiftConstrainsShapes(t *testing.T) {
	f := newCanvasFixture(t)
	f.c.SetTool(ToolRect)
	drag(f.c, fyne.NewPos(100, 100), fyne.NewPos(200, 140), 3, fyne.KeyModifierShift)
	b := f.d.Shapes()[0].Box()
	near(t, 100, b.Dx(), 1e-9, "Shift draws a square")
	near(t, 100, b.Dy(), 1e-9, "Shift draws a square")

	f.c.SetTool(ToolLine)
	drag(f.c, fyne.NewPos(100, 300), fyne.NewPos(200, 310), 3, fyne.KeyModifierShift)
	l := f.d.Shapes()[1]
	near(t, l.Points[0].Y, l.Points[1].Y, 1e-9, "Shift snaps a line to 45° steps")
}

func TestSelectAndDelete(t *testing.T) {
	f := newCanvasFixture(t)
	f.c.SetTool(ToolRect)
	drag(f.c, fyne.NewPos(100, 100), fyne.NewPos(200, 200), 5)
	drag(f.c, fyne.NewPos(300, 100), fyne.NewPos(400, 200), 5)
	require.Equal(t, 2, f.d.Len())
	bob := f.peer("bob")
	require.Equal(t, 2, bob.Len())

	f.c.TypedRune('v')
	click(f.c, fyne.NewPos(100, 150)) // on the first rectangle's left edge
	sel := f.d.Selected()
	require.Len(t, sel, 1)
	first := f.d.Shapes()[0].ID
	require.Equal(t, first, sel[0])
	require.True(t, f.c.ov.box.Visible(), "the selection frame shows")

	f.c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	require.Equal(t, 1, f.d.Len())
	_, ok := f.d.Shape(first)
	require.False(t, ok)
	require.False(t, f.c.ov.box.Visible(), "nothing selected any more")
	require.False(t, inkAt(f.frame(), 100, 150), "the deleted rectangle is gone from the screen")

	f.be.Sync()
	require.Equal(t, 1, bob.Len(), "the delete reached the other peer")
	_, ok = bob.Shape(first)
	require.False(t, ok)

	// Clicking empty paper clears the selection.
	click(f.c, fyne.NewPos(300, 150))
	require.Len(t, f.d.Selected(), 1)
	click(f.c, fyne.NewPos(600, 500))
	require.Empty(t, f.d.Selected())
}

func TestUndoRedo(t *testing.T) {
	f := newCanvasFixture(t)
	f.c.SetTool(ToolPen)
	drag(f.c, fyne.NewPos(100, 100), fyne.NewPos(200, 100), 10)
	require.Equal(t, 1, f.d.Len())
	require.True(t, inkAt(f.frame(), 150, 100))

	f.c.Undo()
	require.Equal(t, 0, f.d.Len(), "undo removes my stroke")
	require.False(t, inkAt(f.frame(), 150, 100), "and the screen follows")

	f.c.Redo()
	require.Equal(t, 1, f.d.Len(), "redo brings it back")
	require.True(t, inkAt(f.frame(), 150, 100))

	// Undo of a move puts the shape back.
	f.c.SetTool(ToolSelect)
	drag(f.c, fyne.NewPos(150, 100), fyne.NewPos(150, 300), 5)
	s := f.d.Shapes()[0]
	near(t, 300, s.Points[0].Y, 1e-9, "dragging a shape moves it")
	f.c.Undo()
	s = f.d.Shapes()[0]
	near(t, 100, s.Points[0].Y, 1e-9, "undo moves it back")
	f.be.Sync()
	bob := f.peer("bob")
	got, _ := bob.Shape(s.ID)
	near(t, 100, got.Points[0].Y, 1e-9, "the undo reached the store")
}

func TestMoveShowsShapeWhileDragging(t *testing.T) {
	f := newCanvasFixture(t)
	f.c.SetTool(ToolRect)
	f.c.SetStyle(Style{Stroke: swatches[2].c, Width: 4, Fill: FillSolid})
	drag(f.c, fyne.NewPos(100, 100), fyne.NewPos(160, 160), 3)
	f.c.SetTool(ToolSelect)

	f.c.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(130, 130)}, Button: desktop.MouseButtonPrimary})
	f.c.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(330, 130)}, Dragged: fyne.NewDelta(200, 0)})
	img := f.frame()
	require.True(t, inkAt(img, 330, 130), "the shape shows where the drag has it")
	require.False(t, inkAt(img, 130, 130), "and not where it was")
	require.Equal(t, 100.0, f.d.Shapes()[0].Points[0].X, "the model changes only on release")
	f.c.DragEnd()
	near(t, 300, f.d.Shapes()[0].Box().Min.X, 1e-9, "moved on release")
	img = f.frame()
	require.True(t, inkAt(img, 330, 130))
	require.False(t, inkAt(img, 130, 130))
}

func TestResizeByHandle(t *testing.T) {
	f := newCanvasFixture(t)
	f.c.SetTool(ToolEllipse)
	drag(f.c, fyne.NewPos(100, 100), fyne.NewPos(200, 200), 3)
	f.c.SetTool(ToolSelect)
	click(f.c, fyne.NewPos(100, 150))
	require.Len(t, f.d.Selected(), 1)

	// The bottom-right handle sits just outside the box's corner.
	h := f.c.handlePos(draw.Rect{Min: draw.Point{X: 100, Y: 100}, Max: draw.Point{X: 200, Y: 200}}.Inset(4), 4)
	drag(f.c, h, h.Add(fyne.NewPos(100, 50)), 4)
	b := f.d.Shapes()[0].Box()
	near(t, 100, b.Min.X, 1e-6, "the opposite corner stays")
	near(t, 300, b.Max.X, 1e-6, "the dragged corner follows")
	near(t, 250, b.Max.Y, 1e-6, "the dragged corner follows")
}

func TestBandSelection(t *testing.T) {
	f := newCanvasFixture(t)
	f.c.SetTool(ToolRect)
	drag(f.c, fyne.NewPos(100, 100), fyne.NewPos(150, 150), 2)
	drag(f.c, fyne.NewPos(200, 100), fyne.NewPos(250, 150), 2)
	drag(f.c, fyne.NewPos(500, 400), fyne.NewPos(550, 450), 2)
	f.c.SetTool(ToolSelect)
	drag(f.c, fyne.NewPos(80, 80), fyne.NewPos(300, 200), 4)
	require.Len(t, f.d.Selected(), 2, "the band selects the shapes inside it")
	require.False(t, f.c.ov.band.Visible())

	// Shift-click adds the third.
	click(f.c, fyne.NewPos(500, 425), fyne.KeyModifierShift)
	require.Len(t, f.d.Selected(), 3)

	// Moving the selection moves all of them in one undoable step.
	drag(f.c, fyne.NewPos(100, 125), fyne.NewPos(110, 135), 2)
	for _, s := range f.d.Shapes() {
		require.Equal(t, 0.0, float64(int(s.Box().Min.X)%10), "moved by 10")
	}
	f.c.Undo()
	near(t, 500, f.d.Shapes()[2].Box().Min.X, 1e-9, "one undo puts all back")
}

func TestToolShortcuts(t *testing.T) {
	f := newCanvasFixture(t)
	for _, tc := range []struct {
		r    rune
		tool Tool
	}{{'p', ToolPen}, {'L', ToolLine}, {'a', ToolArrow}, {'r', ToolRect}, {'e', ToolEllipse}, {'t', ToolText}, {'h', ToolHand}, {'v', ToolSelect}} {
		f.c.TypedRune(tc.r)
		require.Equal(t, tc.tool, f.c.Tool(), "key %q", tc.r)
	}
	var seen []Tool
	f.c.OnToolChanged = func(t Tool) { seen = append(seen, t) }
	f.c.TypedRune('r')
	f.c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	require.Equal(t, []Tool{ToolRect, ToolSelect}, seen, "Escape with nothing selected goes back to select")
}

func TestZoomKeepsPointUnderPointer(t *testing.T) {
	f := newCanvasFixture(t)
	pos := fyne.NewPos(200, 150)
	before := f.c.ToDrawing(pos)
	f.c.KeyDown(&fyne.KeyEvent{Name: desktop.KeyControlLeft})
	f.c.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: pos}, Scrolled: fyne.NewDelta(0, 10)})
	f.c.KeyUp(&fyne.KeyEvent{Name: desktop.KeyControlLeft})
	require.Greater(t, f.c.Zoom(), 1.0, "Ctrl+wheel up zooms in")
	after := f.c.ToDrawing(pos)
	near(t, before.X, after.X, 1e-9, "the point under the pointer stays")
	near(t, before.Y, after.Y, 1e-9, "the point under the pointer stays")

	// Without Ctrl the wheel pans.
	z := f.c.Zoom()
	o := f.c.Origin()
	f.c.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: pos}, Scrolled: fyne.NewDelta(0, -10)})
	require.Equal(t, z, f.c.Zoom())
	require.Greater(t, f.c.Origin().Y, o.Y, "wheel down shows what is below")

	f.c.TypedRune('0')
	require.Equal(t, 1.0, f.c.Zoom())
	f.c.TypedRune('+')
	require.Equal(t, 1.25, f.c.Zoom())
	f.c.TypedRune('-')
	f.c.TypedRune('-')
	require.Equal(t, 0.8, f.c.Zoom())

	// Zoomed, a drag still draws where the pointer is in drawing coordinates.
	f.c.SetTool(ToolLine)
	from, to := fyne.NewPos(100, 100), fyne.NewPos(200, 100)
	drag(f.c, from, to, 2)
	l := f.d.Shapes()[0]
	require.Equal(t, f.c.ToDrawing(from), l.Points[0])
	require.Equal(t, f.c.ToDrawing(to), l.Points[1])

	// Fit shows the whole drawing.
	f.c.Fit()
	ext, _ := f.d.Extent()
	a, b := f.c.ToCanvas(ext.Min), f.c.ToCanvas(ext.Max)
	s := f.c.Size()
	require.True(t, a.X >= 0 && a.Y >= 0 && b.X <= s.Width && b.Y <= s.Height, "fit shows everything")
}

func TestPanShiftsPaintedImage(t *testing.T) {
	f := newCanvasFixture(t)
	f.c.SetTool(ToolRect)
	f.c.SetStyle(Style{Stroke: swatches[5].c, Width: 4, Fill: FillSolid})
	drag(f.c, fyne.NewPos(100, 100), fyne.NewPos(200, 200), 2)
	f.frame()
	full := f.c.paint.fullPaints

	f.c.SetTool(ToolHand)
	drag(f.c, fyne.NewPos(400, 300), fyne.NewPos(450, 330), 5)
	img := f.frame()
	require.Equal(t, full, f.c.paint.fullPaints, "a pan shifts the image instead of repainting all")
	require.True(t, inkAt(img, 200, 180), "the rectangle moved with the pan")
	require.False(t, inkAt(img, 120, 120))

	// What the shifted image shows is exactly what a full repaint shows.
	want := f.render()
	require.Equal(t, want.Pix, img.Pix)
}

// render repaints the whole viewport from scratch (what the shifted/partial painting must match).
func (f *canvasFixture) render() *fullFrame {
	f.c.paint.invalidate()
	img := f.frame()
	return &fullFrame{Pix: append([]byte(nil), img.Pix...)}
}

type fullFrame struct{ Pix []byte }

func TestRemoteEditAppearsLive(t *testing.T) {
	f := newCanvasFixture(t)
	bob := f.peer("bob")
	f.frame()
	changed := 0
	f.c.OnChanged = func() { changed++ }

	_, err := bob.Add(ctx, draw.Shape{Kind: draw.KindRect, Points: []draw.Point{{X: 300, Y: 300}, {X: 400, Y: 350}},
		Stroke: draw.Black, Width: 2, Fill: draw.Color{R: 200, A: 255}})
	require.NoError(t, err)
	require.False(t, inkAt(f.frame(), 350, 325), "not before the store delivers it")
	f.be.Sync() // the store delivers bob's commit to alice's replica, which fires the model event
	require.Equal(t, 1, f.d.Len())
	require.Positive(t, changed)
	require.True(t, inkAt(f.frame(), 350, 325), "bob's rectangle is on alice's screen")
	require.Zero(t, f.c.paint.fullPaints-1, "painted as a dirty rectangle, not a full repaint")
}

func TestTextTool(t *testing.T) {
	f := newCanvasFixture(t)
	f.c.SetTool(ToolText)
	click(f.c, fyne.NewPos(100, 100))
	require.True(t, f.c.ov.entry.Visible(), "a click with the text tool opens the editor")
	f.c.ov.entry.SetText("Hello")
	f.c.ov.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	require.False(t, f.c.ov.entry.Visible())
	shapes := f.d.Shapes()
	require.Len(t, shapes, 1)
	require.Equal(t, draw.KindText, shapes[0].Kind)
	require.Equal(t, "Hello", shapes[0].Text)
	require.Equal(t, draw.Point{X: 100, Y: 100}, shapes[0].Points[0])

	// Clicking the text with the text tool edits it.
	click(f.c, fyne.NewPos(110, 110))
	require.Equal(t, "Hello", f.c.ov.entry.Text)
	f.c.ov.entry.SetText("Hello, bob")
	f.c.commitText()
	require.Equal(t, "Hello, bob", f.d.Shapes()[0].Text)
	require.Equal(t, 1, f.d.Len())

	// An empty edit deletes it; an empty new text adds nothing.
	click(f.c, fyne.NewPos(110, 110))
	f.c.ov.entry.SetText("  ")
	f.c.commitText()
	require.Equal(t, 0, f.d.Len())
	click(f.c, fyne.NewPos(300, 300))
	f.c.commitText()
	require.Equal(t, 0, f.d.Len())
}

func TestPaletteRestylesSelection(t *testing.T) {
	f := newCanvasFixture(t)
	f.c.SetTool(ToolRect)
	drag(f.c, fyne.NewPos(100, 100), fyne.NewPos(200, 200), 2)
	f.c.SelectAll()
	st := f.c.Style()
	st.Stroke = swatches[4].c
	st.Fill = FillTint
	f.c.SetStyle(st)
	s := f.d.Shapes()[0]
	require.Equal(t, swatches[4].c, s.Stroke)
	require.Equal(t, st.fillColor(), s.Fill)
	f.c.Undo()
	require.Equal(t, DefaultStyle.Stroke, f.d.Shapes()[0].Stroke, "a restyle is one undoable step")
}

func TestDuplicateAndOrder(t *testing.T) {
	f := newCanvasFixture(t)
	f.c.SetTool(ToolRect)
	drag(f.c, fyne.NewPos(100, 100), fyne.NewPos(200, 200), 2)
	f.c.SelectAll()
	f.c.Duplicate()
	require.Equal(t, 2, f.d.Len())
	shapes := f.d.Shapes()
	require.Equal(t, []draw.ShapeID{shapes[1].ID}, f.d.Selected(), "the copy is selected, on top")
	f.c.SendToBack()
	require.Equal(t, shapes[1].ID, f.d.Shapes()[0].ID)
	f.c.BringToFront()
	require.Equal(t, shapes[1].ID, f.d.Shapes()[1].ID)
}

func TestDoubleClickEditsText(t *testing.T) {
	f := newCanvasFixture(t)
	_, err := f.d.Add(ctx, draw.Shape{Kind: draw.KindText, Points: []draw.Point{{X: 100, Y: 100}}, Text: "note", FontSize: 20, Stroke: draw.Black})
	require.NoError(t, err)
	f.c.SetTool(ToolSelect)
	click(f.c, fyne.NewPos(110, 110))
	require.False(t, f.c.ov.entry.Visible(), "one click selects")
	click(f.c, fyne.NewPos(110, 110))
	require.True(t, f.c.ov.entry.Visible(), "a double click opens the text")
	require.Equal(t, "note", f.c.ov.entry.Text)
	f.c.ov.entry.SetText("note 2")
	f.c.ov.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	require.Equal(t, "note 2", f.d.Shapes()[0].Text)

	// Enter on a selected text opens it too.
	f.c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	require.True(t, f.c.ov.entry.Visible())
	f.c.commitText()
	require.Equal(t, 1, f.d.Len())
}
