package ui

import (
	"context"
	"errors"
	"math"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/detrans/detrans/app/draw"
)

// Zoom limits: below 10% shapes are specks, above 800% a stroke's pixels blur.
const (
	minZoom = 0.1
	maxZoom = 8
)

// Canvas is the drawing surface: it shows the open Drawing through a pannable, zoomable viewport
// and turns pointer and key input into edits with the current Tool and Style.
type Canvas struct {
	widget.BaseWidget

	d      *draw.Drawing
	unsub  func()
	tool   Tool
	style  Style
	origin draw.Point // drawing point at the widget's top-left corner
	zoom   float64    // Fyne units per drawing unit

	paint       painter
	g           gesture
	ghosts      map[draw.ShapeID]draw.Shape // shapes shown moved/resized while a drag lasts
	preview     *draw.Shape                 // the shape being drawn
	ov          overlay
	editingText *textEdit
	spaceDown   bool
	heldMods    fyne.KeyModifier
	pressMods   fyne.KeyModifier // of the press whose drag or tap is under way
	lastDown    mouseDown
	lastTap     lastTap

	// Events from the model, queued by whichever goroutine emitted them.
	qmu       sync.Mutex
	queue     []queued
	scheduled bool

	// Callbacks for the surrounding window; all run on the UI goroutine.
	OnToolChanged  func(Tool)
	OnStyleChanged func(Style)
	OnViewChanged  func()       // zoom or pan
	OnChanged      func()       // shapes or selection changed
	OnNotice       func(string) // merge notices, dropped edits
	OnError        func(error)  // an edit the model refused
	OnRenamed      func()       // the open drawing's name changed
	OnHint         func(string) // what the pointer is over, for the status line
}

type queued struct {
	d  *draw.Drawing
	ev draw.Event
}

// NewCanvas returns an empty canvas (no drawing open) with the select tool.
func NewCanvas() *Canvas {
	c := &Canvas{zoom: 1, style: DefaultStyle}
	c.paint.bg = paperColor
	c.ExtendBaseWidget(c)
	return c
}

// Drawing is the open drawing, or nil.
func (c *Canvas) Drawing() *draw.Drawing { return c.d }

// SetDrawing shows d (nil shows nothing), fitting it into view. The caller keeps ownership of d:
// the canvas only subscribes to it.
func (c *Canvas) SetDrawing(d *draw.Drawing) {
	c.cancelGesture()
	if c.unsub != nil {
		c.unsub()
		c.unsub = nil
	}
	c.d = d
	if d != nil {
		c.unsub = d.Subscribe(func(ev draw.Event) { c.enqueue(d, ev) })
	}
	c.hover(nil)
	c.fit(false)
	c.paint.invalidate()
	c.Refresh()
	c.changed()
}

// enqueue runs on the goroutine that changed the model; drain applies the events on the UI one.
func (c *Canvas) enqueue(d *draw.Drawing, ev draw.Event) {
	c.qmu.Lock()
	c.queue = append(c.queue, queued{d, ev})
	first := !c.scheduled
	c.scheduled = true
	c.qmu.Unlock()
	if first {
		fyne.Do(c.drain)
	}
}

// drain applies queued model events: repaint what they made dirty, refresh the selection
// overlay, pass notices on. The canvas calls it right after its own edits so they show in the
// same frame instead of after a round through the driver's queue.
func (c *Canvas) drain() {
	c.qmu.Lock()
	q := c.queue
	c.queue, c.scheduled = nil, false
	c.qmu.Unlock()
	if len(q) == 0 {
		return
	}
	repaint, renamed, selChanged := false, false, false
	var notices []string
	for _, e := range q {
		if e.d != c.d {
			continue // an event of a drawing no longer shown
		}
		if e.ev.HasDirty {
			c.paint.dirty(e.ev.Dirty)
			repaint = true
		}
		renamed = renamed || e.ev.Renamed
		selChanged = selChanged || e.ev.Selection
		notices = append(notices, e.ev.Notices...)
	}
	if repaint {
		c.paint.refresh()
	}
	if selChanged {
		c.pickStyle()
	}
	c.updateOverlay()
	c.changed()
	if renamed && c.OnRenamed != nil {
		c.OnRenamed()
	}
	if c.OnNotice != nil {
		for _, n := range notices {
			c.OnNotice(n)
		}
	}
}

func (c *Canvas) changed() {
	if c.OnChanged != nil {
		c.OnChanged()
	}
}

func (c *Canvas) fail(err error) {
	if err == nil || errors.Is(err, draw.ErrNothingToUndo) || errors.Is(err, draw.ErrNothingToRedo) {
		return
	}
	if c.OnError != nil {
		c.OnError(err)
	} else {
		fyne.LogError("canvas", err)
	}
}

// Tool is the current tool.
func (c *Canvas) Tool() Tool { return c.tool }

// SetTool switches tools; a gesture in progress is abandoned.
func (c *Canvas) SetTool(t Tool) {
	if t < 0 || t >= numTools || t == c.tool {
		return
	}
	c.commitText()
	c.cancelGesture()
	c.tool = t
	c.hover(nil)
	if c.OnToolChanged != nil {
		c.OnToolChanged(t)
	}
	if c.OnHint != nil {
		c.OnHint(t.Hint())
	}
}

// Style is the look new shapes get.
func (c *Canvas) Style() Style { return c.style }

// SetStyle sets the look of new shapes and restyles the selected shapes with what changed.
func (c *Canvas) SetStyle(st Style) {
	old := c.style
	c.style = st
	if c.OnStyleChanged != nil {
		c.OnStyleChanged(st)
	}
	if c.d == nil {
		return
	}
	sel := c.d.Selected()
	if len(sel) == 0 {
		return
	}
	var rs draw.Style
	if st.Stroke != old.Stroke {
		rs.Stroke = &st.Stroke
	}
	if st.Width != old.Width {
		w := st.Width
		rs.Width = &w
		c.resizeText(sel, st.textSize())
	}
	if st.Fill != old.Fill || (st.Fill != FillNone && st.Stroke != old.Stroke) {
		f := st.fillColor()
		rs.Fill = &f
	}
	if rs.Stroke != nil || rs.Width != nil || rs.Fill != nil {
		c.fail(c.d.Restyle(context.Background(), sel, rs))
	}
	c.drain()
}

// pickStyle makes the palette show the look of a newly selected shape (the topmost one), as
// the starting point for the next shape and for restyling; nothing is edited.
func (c *Canvas) pickStyle() {
	sel := c.d.Selected()
	if len(sel) == 0 {
		return
	}
	s, ok := c.d.Shape(sel[len(sel)-1])
	if !ok {
		return
	}
	st := styleOf(s)
	if st.Width == 0 {
		st.Width = c.style.Width // an outline-less fill says nothing about the width choice
	}
	if s.Kind != draw.KindRect && s.Kind != draw.KindEllipse {
		st.Fill = c.style.Fill // lines and text say nothing about the fill choice
	}
	if st != c.style {
		c.style = st
		if c.OnStyleChanged != nil {
			c.OnStyleChanged(st)
		}
	}
}

// resizeText sets the font size of the selected text shapes (width and text size share a control).
func (c *Canvas) resizeText(sel []draw.ShapeID, size float64) {
	ps := map[draw.ShapeID]draw.Patch{}
	for _, id := range sel {
		if s, ok := c.d.Shape(id); ok && s.Kind == draw.KindText && s.FontSize != size {
			ps[id] = draw.Patch{FontSize: &size}
		}
	}
	if len(ps) > 0 {
		c.fail(c.d.Update(context.Background(), ps))
	}
}

// Zoom is the current zoom factor (1 = 100%).
func (c *Canvas) Zoom() float64 { return c.zoom }

// Origin is the drawing point at the canvas's top-left corner.
func (c *Canvas) Origin() draw.Point { return c.origin }

// ToDrawing maps a position on the canvas to drawing coordinates.
func (c *Canvas) ToDrawing(p fyne.Position) draw.Point {
	return draw.Point{X: c.origin.X + float64(p.X)/c.zoom, Y: c.origin.Y + float64(p.Y)/c.zoom}
}

// ToCanvas maps a drawing point to a position on the canvas.
func (c *Canvas) ToCanvas(p draw.Point) fyne.Position {
	return fyne.NewPos(float32((p.X-c.origin.X)*c.zoom), float32((p.Y-c.origin.Y)*c.zoom))
}

// ZoomAt sets the zoom, keeping the drawing point under pos where it is.
func (c *Canvas) ZoomAt(zoom float64, pos fyne.Position) {
	zoom = math.Max(minZoom, math.Min(maxZoom, zoom))
	if zoom == c.zoom || math.IsNaN(zoom) {
		return
	}
	p := c.ToDrawing(pos)
	c.zoom = zoom
	c.origin = draw.Point{X: p.X - float64(pos.X)/zoom, Y: p.Y - float64(pos.Y)/zoom}
	c.viewChanged()
}

func (c *Canvas) center() fyne.Position {
	s := c.Size()
	return fyne.NewPos(s.Width/2, s.Height/2)
}

// ZoomIn zooms in one step around the centre.
func (c *Canvas) ZoomIn() { c.ZoomAt(zoomStep(c.zoom, 1), c.center()) }

// ZoomOut zooms out one step around the centre.
func (c *Canvas) ZoomOut() { c.ZoomAt(zoomStep(c.zoom, -1), c.center()) }

// ZoomReset goes back to 100% around the centre.
func (c *Canvas) ZoomReset() { c.ZoomAt(1, c.center()) }

// zoomSteps are the stops of the zoom buttons and keys.
var zoomSteps = []float64{0.1, 0.25, 0.33, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3, 4, 6, 8}

func zoomStep(z float64, dir int) float64 {
	if dir > 0 {
		for _, s := range zoomSteps {
			if s > z*1.001 {
				return s
			}
		}
		return maxZoom
	}
	for i := len(zoomSteps) - 1; i >= 0; i-- {
		if zoomSteps[i] < z*0.999 {
			return zoomSteps[i]
		}
	}
	return minZoom
}

// Fit zooms and pans so the whole drawing shows (at most at 100% for a small drawing).
func (c *Canvas) Fit() { c.fit(true) }

func (c *Canvas) fit(notify bool) {
	size := c.Size()
	r, ok := draw.Rect{}, false
	if c.d != nil {
		r, ok = c.d.Extent()
	}
	const margin = 48
	if !ok || size.Width < 2*margin || size.Height < 2*margin {
		c.zoom, c.origin = 1, draw.Point{X: -margin, Y: -margin}
		if !ok {
			c.origin = draw.Point{}
		}
	} else {
		z := math.Min(float64(size.Width-2*margin)/math.Max(r.Dx(), 1), float64(size.Height-2*margin)/math.Max(r.Dy(), 1))
		c.zoom = math.Max(minZoom, math.Min(1, z))
		cx, cy := (r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2
		c.origin = draw.Point{X: cx - float64(size.Width)/2/c.zoom, Y: cy - float64(size.Height)/2/c.zoom}
	}
	if notify {
		c.viewChanged()
	}
}

// Pan moves the view by (dx, dy) Fyne units, rounded to whole pixels so the canvas can shift what
// it already painted instead of painting it again.
func (c *Canvas) Pan(dx, dy float32) {
	s := c.zoom * c.paint.pixScale()
	px, py := math.Round(float64(dx)*c.paint.pixScale()), math.Round(float64(dy)*c.paint.pixScale())
	if px == 0 && py == 0 {
		return
	}
	c.origin.X -= px / s
	c.origin.Y -= py / s
	c.viewChanged()
}

func (c *Canvas) viewChanged() {
	c.updateOverlay()
	c.paint.refresh()
	c.placeText()
	if c.OnViewChanged != nil {
		c.OnViewChanged()
	}
}

// Undo reverts my last edit in this drawing.
func (c *Canvas) Undo() {
	if c.d == nil {
		return
	}
	c.commitText()
	notices, err := c.d.Undo(context.Background())
	c.fail(err)
	c.drain()
	c.tell(notices)
}

// Redo re-applies my last undone edit.
func (c *Canvas) Redo() {
	if c.d == nil {
		return
	}
	notices, err := c.d.Redo(context.Background())
	c.fail(err)
	c.drain()
	c.tell(notices)
}

func (c *Canvas) tell(notices []string) {
	if c.OnNotice == nil {
		return
	}
	for _, n := range notices {
		c.OnNotice(n)
	}
}

// DeleteSelection deletes the selected shapes.
func (c *Canvas) DeleteSelection() {
	if c.d == nil {
		return
	}
	if sel := c.d.Selected(); len(sel) > 0 {
		c.fail(c.d.Delete(context.Background(), sel))
		c.drain()
	}
}

// SelectAll selects every shape and switches to the select tool.
func (c *Canvas) SelectAll() {
	if c.d == nil {
		return
	}
	c.SetTool(ToolSelect)
	c.d.SelectAll()
	c.drain()
}

// SelectNone clears the selection.
func (c *Canvas) SelectNone() {
	if c.d == nil {
		return
	}
	c.d.Select()
	c.drain()
}

// BringToFront raises the selection above everything.
func (c *Canvas) BringToFront() {
	if c.d == nil {
		return
	}
	if sel := c.d.Selected(); len(sel) > 0 {
		c.fail(c.d.BringToFront(context.Background(), sel))
		c.drain()
	}
}

// SendToBack lowers the selection below everything.
func (c *Canvas) SendToBack() {
	if c.d == nil {
		return
	}
	if sel := c.d.Selected(); len(sel) > 0 {
		c.fail(c.d.SendToBack(context.Background(), sel))
		c.drain()
	}
}

// Duplicate copies the selection a little down and right and selects the copies.
func (c *Canvas) Duplicate() {
	if c.d == nil {
		return
	}
	sel := c.d.Selected()
	if len(sel) == 0 {
		return
	}
	off := 16 / c.zoom
	var copies []draw.Shape
	for _, id := range sel {
		if s, ok := c.d.Shape(id); ok {
			s.Points = s.Moved(off, off)
			copies = append(copies, s)
		}
	}
	ids, err := c.d.AddAll(context.Background(), copies)
	c.fail(err)
	c.d.Select(ids...)
	c.drain()
}

// Nudge moves the selection by (dx, dy) drawing units, or pans when nothing is selected.
func (c *Canvas) Nudge(dx, dy float64) {
	if c.d != nil {
		if sel := c.d.Selected(); len(sel) > 0 {
			c.fail(c.d.Move(context.Background(), sel, dx, dy))
			c.drain()
			return
		}
	}
	c.Pan(float32(-dx*c.zoom*10), float32(-dy*c.zoom*10))
}

// CreateRenderer implements fyne.Widget.
func (c *Canvas) CreateRenderer() fyne.WidgetRenderer {
	c.paint.raster = canvas.NewRaster(c.generate)
	c.ov.build()
	if c.ov.entry == nil {
		c.ov.entry = newTextEntry(func() { c.commitText() })
		c.ov.entry.OnChanged = func(string) { c.placeText() }
		c.ov.entry.Hide()
	}
	objs := append([]fyne.CanvasObject{c.paint.raster}, c.ov.objects()...)
	return &canvasRenderer{c: c, objs: append(objs, c.ov.entry)}
}

// MinSize keeps the canvas usable in a small window.
func (c *Canvas) MinSize() fyne.Size { return fyne.NewSize(240, 200) }

type canvasRenderer struct {
	c    *Canvas
	objs []fyne.CanvasObject
}

func (r *canvasRenderer) Layout(size fyne.Size) {
	r.c.paint.raster.Resize(size)
	r.c.paint.raster.Move(fyne.Position{})
	r.c.updateOverlay()
}

func (r *canvasRenderer) MinSize() fyne.Size { return r.c.MinSize() }

func (r *canvasRenderer) Refresh() {
	r.c.paint.invalidate()
	r.c.paint.refresh()
	r.c.updateOverlay()
}

func (r *canvasRenderer) Objects() []fyne.CanvasObject {
	return r.objs
}

func (r *canvasRenderer) Destroy() {}
