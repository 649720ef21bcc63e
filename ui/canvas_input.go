package ui

import (
	"context"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/detrans/detrans/app/draw"
)

type gestKind int

const (
	gestNone gestKind = iota
	gestDraw
	gestMove
	gestResize
	gestBand
	gestPan
)

// gesture is the drag in progress.
type gesture struct {
	kind      gestKind
	start     draw.Point    // drawing point where the drag began
	startPos  fyne.Position // and where on the canvas
	panOrigin draw.Point
	handle    int
	box       draw.Rect    // selection box when a resize began
	orig      []draw.Shape // shapes being moved or resized, as they were
	add       bool         // band selection adds to the selection (Shift)
	dx, dy    float64      // move so far
	to        draw.Rect    // resize target so far
	end       draw.Point   // band: the corner under the pointer
}

// mouseDown remembers the last press, which the driver reports before a drag or a tap.
type mouseDown struct {
	pos    fyne.Position
	button desktop.MouseButton
	mods   fyne.KeyModifier
	armed  bool // pressed and not yet used by a drag
}

// lastTap is the previous tap, for double clicks (the canvas is not DoubleTappable: that would
// make every single tap wait for the double-tap delay).
type lastTap struct {
	pos fyne.Position
	at  time.Time
}

// pickTol is how close (in Fyne units) a click must come to a shape's outline to pick it.
const pickTol = 6

// doubleClick is the longest gap between the clicks of a double click.
const doubleClick = 450 * time.Millisecond

var (
	_ fyne.Draggable         = (*Canvas)(nil)
	_ fyne.Tappable          = (*Canvas)(nil)
	_ fyne.SecondaryTappable = (*Canvas)(nil)
	_ fyne.Scrollable        = (*Canvas)(nil)
	_ fyne.Focusable         = (*Canvas)(nil)
	_ desktop.Mouseable      = (*Canvas)(nil)
	_ desktop.Hoverable      = (*Canvas)(nil)
	_ desktop.Keyable        = (*Canvas)(nil)
	_ desktop.Cursorable     = (*Canvas)(nil)
)

// mods is the modifier keys held now: the driver knows on desktop; otherwise the keys this widget
// saw go down, and those of the last press.
func (c *Canvas) mods() fyne.KeyModifier {
	if app := fyne.CurrentApp(); app != nil {
		if d, ok := app.Driver().(desktop.Driver); ok {
			return d.CurrentKeyModifiers()
		}
	}
	return c.heldMods | c.pressMods
}

// focus gives the canvas the keyboard, so tool keys and Delete reach it.
func (c *Canvas) focus() {
	if cv := fyne.CurrentApp().Driver().CanvasForObject(c); cv != nil && cv.Focused() != c {
		cv.Focus(c)
	}
}

// MouseDown implements desktop.Mouseable: it remembers the button and modifiers for the drag or
// tap that follows.
func (c *Canvas) MouseDown(ev *desktop.MouseEvent) {
	c.lastDown = mouseDown{pos: ev.Position, button: ev.Button, mods: ev.Modifier, armed: true}
	c.pressMods = ev.Modifier
}

// MouseUp implements desktop.Mouseable. The press's modifiers stay for the tap that follows.
func (c *Canvas) MouseUp(*desktop.MouseEvent) {}

// Dragged implements fyne.Draggable. The driver's first event of a drag carries the movement
// since the press, so Position minus Dragged is where the press was.
func (c *Canvas) Dragged(ev *fyne.DragEvent) {
	if c.g.kind == gestNone {
		button, mods := desktop.MouseButtonPrimary, c.mods()
		if c.lastDown.armed {
			button = c.lastDown.button
			mods |= c.lastDown.mods
		}
		c.begin(ev.Position.Subtract(ev.Dragged), button, mods)
	}
	c.update(ev.Position)
}

// DragEnd implements fyne.Draggable.
func (c *Canvas) DragEnd() {
	c.finish()
	c.lastDown.armed, c.pressMods = false, 0
}

func (c *Canvas) begin(pos fyne.Position, button desktop.MouseButton, mods fyne.KeyModifier) {
	c.commitText()
	c.hover(nil)
	p := c.ToDrawing(pos)
	c.g = gesture{start: p, startPos: pos, panOrigin: c.origin, add: mods&fyne.KeyModifierShift != 0}
	if button == desktop.MouseButtonTertiary || c.tool == ToolHand || c.spaceDown {
		c.g.kind = gestPan
		return
	}
	if c.d == nil {
		return
	}
	switch {
	case c.tool == ToolSelect:
		if h := c.hitHandle(pos); h >= 0 {
			c.g.kind, c.g.handle = gestResize, h
			c.g.box, _ = c.d.SelectionBox()
			c.g.to = c.g.box
			c.g.orig = c.selectedShapes()
			return
		}
		if id, ok := c.d.At(p, pickTol/c.zoom); ok {
			if !c.d.IsSelected(id) {
				if c.g.add {
					c.d.Toggle(id)
				} else {
					c.d.Select(id)
				}
			}
			c.g.kind = gestMove
			c.g.orig = c.selectedShapes()
			c.drain()
			return
		}
		c.g.kind = gestBand
		if !c.g.add {
			c.d.Select()
			c.drain()
		}
	case c.tool.drawsShapes() && c.tool != ToolText:
		s := c.newShape(tools[c.tool].kind, p)
		c.preview = &s
		c.g.kind = gestDraw
	}
}

func (c *Canvas) selectedShapes() []draw.Shape {
	var out []draw.Shape
	for _, id := range c.d.Selected() {
		if s, ok := c.d.Shape(id); ok {
			out = append(out, s)
		}
	}
	return out
}

func (c *Canvas) newShape(kind draw.Kind, p draw.Point) draw.Shape {
	s := draw.Shape{Kind: kind, Stroke: c.style.Stroke, Width: c.style.Width, Points: []draw.Point{p, p}}
	switch kind {
	case draw.KindStroke:
		s.Points = s.Points[:1]
	case draw.KindRect, draw.KindEllipse:
		s.Fill = c.style.fillColor()
	}
	return s
}

func (c *Canvas) update(pos fyne.Position) {
	p := c.ToDrawing(pos)
	shift := c.mods()&fyne.KeyModifierShift != 0
	switch c.g.kind {
	case gestPan:
		pix := c.paint.pixScale()
		dx := math.Round(float64(pos.X-c.g.startPos.X) * pix)
		dy := math.Round(float64(pos.Y-c.g.startPos.Y) * pix)
		// Relative to where the pan began, in whole pixels, so the painted image can be shifted.
		c.origin = draw.Point{X: c.g.panOrigin.X - dx/(c.zoom*pix), Y: c.g.panOrigin.Y - dy/(c.zoom*pix)}
		c.viewChanged()
	case gestDraw:
		c.drawTo(p, shift)
	case gestMove:
		dx, dy := p.X-c.g.start.X, p.Y-c.g.start.Y
		if shift { // along one axis
			if math.Abs(dx) > math.Abs(dy) {
				dy = 0
			} else {
				dx = 0
			}
		}
		c.g.dx, c.g.dy = dx, dy
		c.setGhosts(func(s draw.Shape) draw.Shape { s.Points = s.Moved(dx, dy); return s })
	case gestResize:
		// The handle sits a little outside the corner it holds: move the corner by the drag.
		hp := handlePoint(c.g.box, c.g.handle)
		hp = hp.Add(p.X-c.g.start.X, p.Y-c.g.start.Y)
		c.g.to = resizeBox(c.g.box, c.g.handle, hp, shift, 1/c.zoom)
		from, to := c.g.box, c.g.to
		c.setGhosts(func(s draw.Shape) draw.Shape { return resizedInGroup(s, from, to) })
	case gestBand:
		c.g.end = p
		c.place(c.ov.band, draw.Canon(c.g.start, p), 0)
	}
}

// drawTo extends the shape being drawn to p.
func (c *Canvas) drawTo(p draw.Point, shift bool) {
	s := c.preview
	old := s.Bounds()
	switch s.Kind {
	case draw.KindStroke:
		last := s.Points[len(s.Points)-1]
		if math.Hypot(p.X-last.X, p.Y-last.Y) < 1/c.zoom || len(s.Points) >= draw.MaxPoints {
			return // below a screen unit adds nothing visible, only points to store
		}
		s.Points = append(s.Points, p)
		seg := draw.Canon(last, p).Inset(s.Width/2 + 1)
		c.paint.dirty(seg)
		c.paint.refresh()
		return
	case draw.KindLine, draw.KindArrow:
		if shift {
			p = snap45(s.Points[0], p)
		}
	case draw.KindRect, draw.KindEllipse:
		if shift {
			p = square(s.Points[0], p)
		}
	}
	s.Points[1] = p
	c.paint.dirty(old)
	c.paint.dirty(s.Bounds())
	c.paint.refresh()
}

func snap45(a, p draw.Point) draw.Point {
	dx, dy := p.X-a.X, p.Y-a.Y
	l := math.Hypot(dx, dy)
	ang := math.Round(math.Atan2(dy, dx)/(math.Pi/4)) * (math.Pi / 4)
	return draw.Point{X: a.X + l*math.Cos(ang), Y: a.Y + l*math.Sin(ang)}
}

func square(a, p draw.Point) draw.Point {
	dx, dy := p.X-a.X, p.Y-a.Y
	d := math.Max(math.Abs(dx), math.Abs(dy))
	return draw.Point{X: a.X + math.Copysign(d, dx), Y: a.Y + math.Copysign(d, dy)}
}

// resizeBox moves the edges of box that handle h holds to p; Shift on a corner keeps the
// proportions. The box never gets thinner than minSide.
func resizeBox(box draw.Rect, h int, p draw.Point, keep bool, minSide float64) draw.Rect {
	r := box
	left, right := h == 0 || h == 6 || h == 7, h == 2 || h == 3 || h == 4
	top, bottom := h == 0 || h == 1 || h == 2, h == 4 || h == 5 || h == 6
	if left {
		r.Min.X = math.Min(p.X, r.Max.X-minSide)
	}
	if right {
		r.Max.X = math.Max(p.X, r.Min.X+minSide)
	}
	if top {
		r.Min.Y = math.Min(p.Y, r.Max.Y-minSide)
	}
	if bottom {
		r.Max.Y = math.Max(p.Y, r.Min.Y+minSide)
	}
	if keep && (left || right) && (top || bottom) && box.Dx() > 0 && box.Dy() > 0 {
		k := math.Max(r.Dx()/box.Dx(), r.Dy()/box.Dy())
		w, hh := box.Dx()*k, box.Dy()*k
		if left {
			r.Min.X = r.Max.X - w
		} else {
			r.Max.X = r.Min.X + w
		}
		if top {
			r.Min.Y = r.Max.Y - hh
		} else {
			r.Max.Y = r.Min.Y + hh
		}
	}
	return r
}

// resizedInGroup maps s with the group: its box keeps its place and share of the group's box.
func resizedInGroup(s draw.Shape, from, to draw.Rect) draw.Shape {
	b := s.Box()
	mapX := func(v float64) float64 {
		if from.Dx() == 0 {
			return v - from.Min.X + to.Min.X
		}
		return to.Min.X + (v-from.Min.X)*to.Dx()/from.Dx()
	}
	mapY := func(v float64) float64 {
		if from.Dy() == 0 {
			return v - from.Min.Y + to.Min.Y
		}
		return to.Min.Y + (v-from.Min.Y)*to.Dy()/from.Dy()
	}
	nb := draw.Rect{Min: draw.Point{X: mapX(b.Min.X), Y: mapY(b.Min.Y)}, Max: draw.Point{X: mapX(b.Max.X), Y: mapY(b.Max.Y)}}
	pts, fs := s.Resized(nb)
	s.Points = pts
	if s.Kind == draw.KindText {
		s.FontSize = fs
	}
	return s
}

// setGhosts shows the dragged shapes transformed by f, repainting where they were and are.
func (c *Canvas) setGhosts(f func(draw.Shape) draw.Shape) {
	if c.ghosts == nil {
		c.ghosts = make(map[draw.ShapeID]draw.Shape, len(c.g.orig))
	}
	for _, s := range c.g.orig {
		if g, ok := c.ghosts[s.ID]; ok {
			c.paint.dirty(g.Bounds())
		} else {
			c.paint.dirty(s.Bounds())
		}
		g := f(s.Clone())
		c.ghosts[s.ID] = g
		c.paint.dirty(g.Bounds())
	}
	c.paint.refresh()
	c.updateOverlay()
}

// clearGhosts stops showing the drag; the model's own event repaints the result.
func (c *Canvas) clearGhosts() {
	for _, g := range c.ghosts {
		c.paint.dirty(g.Bounds())
	}
	c.ghosts = nil
	c.paint.refresh()
}

func (c *Canvas) finish() {
	g := c.g
	c.g = gesture{}
	ctx := context.Background()
	switch g.kind {
	case gestDraw:
		s := c.preview
		c.preview = nil
		c.paint.dirty(s.Bounds())
		c.paint.refresh()
		if c.d != nil && !tooSmall(s, 2/c.zoom) {
			_, err := c.d.Add(ctx, *s)
			c.fail(err)
		}
	case gestMove:
		c.clearGhosts()
		if g.dx != 0 || g.dy != 0 {
			c.fail(c.d.Move(ctx, ids(g.orig), g.dx, g.dy))
		}
	case gestResize:
		c.clearGhosts()
		if g.to != g.box {
			c.fail(c.resize(g.orig, g.box, g.to))
		}
	case gestBand:
		c.ov.band.Hide()
		r := draw.Canon(g.start, g.end)
		in := c.d.Within(r)
		if g.add {
			in = append(in, c.d.Selected()...)
		}
		c.d.Select(in...)
	}
	c.drain()
	c.updateOverlay()
}

func (c *Canvas) resize(orig []draw.Shape, from, to draw.Rect) error {
	ctx := context.Background()
	if len(orig) == 1 {
		r := resizedInGroup(orig[0], from, to)
		return c.d.Resize(ctx, orig[0].ID, r.Box())
	}
	ps := make(map[draw.ShapeID]draw.Patch, len(orig))
	for _, s := range orig {
		r := resizedInGroup(s, from, to)
		p := draw.Patch{Points: r.Points}
		if s.Kind == draw.KindText {
			p.FontSize = &r.FontSize
		}
		ps[s.ID] = p
	}
	return c.d.Update(ctx, ps)
}

func ids(ss []draw.Shape) []draw.ShapeID {
	out := make([]draw.ShapeID, len(ss))
	for i := range ss {
		out[i] = ss[i].ID
	}
	return out
}

// tooSmall is a drag that made no visible shape (a click with the rectangle tool).
func tooSmall(s *draw.Shape, min float64) bool {
	switch s.Kind {
	case draw.KindStroke:
		return false // a dot is a stroke too
	case draw.KindLine, draw.KindArrow:
		return math.Hypot(s.Points[1].X-s.Points[0].X, s.Points[1].Y-s.Points[0].Y) < min
	}
	b := s.Box()
	return b.Dx() < min || b.Dy() < min
}

func (c *Canvas) cancelGesture() {
	if c.g.kind == gestBand && c.ov.band != nil {
		c.ov.band.Hide()
	}
	if c.preview != nil {
		c.paint.dirty(c.preview.Bounds())
		c.preview = nil
		c.paint.refresh()
	}
	if c.ghosts != nil {
		c.clearGhosts()
	}
	c.g = gesture{}
	c.updateOverlay()
}

// Tapped implements fyne.Tappable: select with the select tool, a dot with the pen, a new or
// edited text with the text tool.
func (c *Canvas) Tapped(ev *fyne.PointEvent) {
	now := time.Now()
	prev := c.lastTap
	c.lastTap = lastTap{pos: ev.Position, at: now}
	double := now.Sub(prev.at) < doubleClick && abs32(prev.pos.X-ev.Position.X) < 5 && abs32(prev.pos.Y-ev.Position.Y) < 5
	if double {
		c.lastTap = lastTap{} // a third click is not another double click
		if c.tool == ToolSelect && c.editingText == nil && c.editTextAt(ev.Position) {
			c.lastDown.armed, c.pressMods = false, 0
			return
		}
	}
	c.focus()
	if c.commitText() || c.d == nil {
		return
	}
	p := c.ToDrawing(ev.Position)
	switch c.tool {
	case ToolSelect:
		id, hit := c.d.At(p, pickTol/c.zoom)
		switch {
		case hit && c.mods()&fyne.KeyModifierShift != 0:
			c.d.Toggle(id)
		case hit:
			c.d.Select(id)
		default:
			c.d.Select()
		}
		c.drain()
	case ToolPen:
		s := c.newShape(draw.KindStroke, p)
		_, err := c.d.Add(context.Background(), s)
		c.fail(err)
		c.drain()
	case ToolText:
		if !c.editTextAt(ev.Position) {
			c.startText(p, nil)
		}
	}
	c.lastDown.armed, c.pressMods = false, 0
}

// TappedSecondary implements fyne.SecondaryTappable: a menu for the shape under the pointer.
func (c *Canvas) TappedSecondary(ev *fyne.PointEvent) {
	c.focus()
	if c.d == nil {
		return
	}
	if id, ok := c.d.At(c.ToDrawing(ev.Position), pickTol/c.zoom); ok && !c.d.IsSelected(id) {
		c.d.Select(id)
		c.drain()
	}
	if len(c.d.Selected()) == 0 {
		return
	}
	cv := fyne.CurrentApp().Driver().CanvasForObject(c)
	if cv == nil {
		return
	}
	m := fyne.NewMenu("",
		fyne.NewMenuItem("Bring to front", c.BringToFront),
		fyne.NewMenuItem("Send to back", c.SendToBack),
		fyne.NewMenuItem("Duplicate", c.Duplicate),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Delete", c.DeleteSelection),
	)
	widget.ShowPopUpMenuAtPosition(m, cv, ev.AbsolutePosition)
}

// Scrolled implements fyne.Scrollable: the wheel pans (Shift: sideways); with Ctrl it zooms
// around the pointer, which is also what touchpad pinches arrive as on drivers that translate them.
func (c *Canvas) Scrolled(ev *fyne.ScrollEvent) {
	m := c.mods()
	switch {
	case m&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0:
		c.ZoomAt(c.zoom*math.Pow(1.0015, float64(ev.Scrolled.DY)*10), ev.Position)
	case m&fyne.KeyModifierShift != 0 && ev.Scrolled.DX == 0:
		c.Pan(ev.Scrolled.DY*3, 0)
	default:
		c.Pan(ev.Scrolled.DX*3, ev.Scrolled.DY*3)
	}
}

// MouseIn implements desktop.Hoverable.
func (c *Canvas) MouseIn(ev *desktop.MouseEvent) { c.MouseMoved(ev) }

// MouseMoved implements desktop.Hoverable: outline what a click would select.
func (c *Canvas) MouseMoved(ev *desktop.MouseEvent) {
	if c.tool != ToolSelect || c.d == nil || c.g.kind != gestNone {
		return
	}
	if id, ok := c.d.At(c.ToDrawing(ev.Position), pickTol/c.zoom); ok {
		if c.ov.hovered == nil || *c.ov.hovered != id {
			c.hover(&id)
		}
	} else if c.ov.hovered != nil {
		c.hover(nil)
	}
}

// MouseOut implements desktop.Hoverable.
func (c *Canvas) MouseOut() { c.hover(nil) }

// Cursor implements desktop.Cursorable.
func (c *Canvas) Cursor() desktop.Cursor {
	switch {
	case c.tool == ToolHand || c.spaceDown || c.g.kind == gestPan:
		return desktop.PointerCursor
	case c.tool == ToolText:
		return desktop.TextCursor
	case c.tool.drawsShapes():
		return desktop.CrosshairCursor
	}
	return desktop.DefaultCursor
}

// FocusGained implements fyne.Focusable.
func (c *Canvas) FocusGained() {}

// FocusLost implements fyne.Focusable.
func (c *Canvas) FocusLost() { c.spaceDown, c.heldMods = false, 0 }

// TypedRune implements fyne.Focusable: tool keys and zoom keys.
func (c *Canvas) TypedRune(r rune) {
	if t, ok := toolForKey(r); ok {
		c.SetTool(t)
		return
	}
	switch r {
	case '+', '=':
		c.ZoomIn()
	case '-', '_':
		c.ZoomOut()
	case '0':
		c.ZoomReset()
	case '1':
		c.Fit()
	}
}

// TypedKey implements fyne.Focusable: Delete, Escape, arrows, Return (edit a selected text).
func (c *Canvas) TypedKey(ev *fyne.KeyEvent) {
	step := 1.0
	if c.mods()&fyne.KeyModifierShift != 0 {
		step = 10
	}
	switch ev.Name {
	case fyne.KeyDelete, fyne.KeyBackspace:
		c.DeleteSelection()
	case fyne.KeyEscape:
		switch {
		case c.g.kind != gestNone:
			c.cancelGesture()
		case c.d != nil && len(c.d.Selected()) > 0:
			c.SelectNone()
		default:
			c.SetTool(ToolSelect)
		}
	case fyne.KeyLeft:
		c.Nudge(-step, 0)
	case fyne.KeyRight:
		c.Nudge(step, 0)
	case fyne.KeyUp:
		c.Nudge(0, -step)
	case fyne.KeyDown:
		c.Nudge(0, step)
	case fyne.KeyReturn, fyne.KeyEnter:
		if c.d != nil {
			if sel := c.d.Selected(); len(sel) == 1 {
				if s, ok := c.d.Shape(sel[0]); ok && s.Kind == draw.KindText {
					c.startText(s.Points[0], &s)
				}
			}
		}
	}
}

// KeyDown implements desktop.Keyable: Space held turns drags into pans; modifiers are tracked
// for drivers that cannot be asked.
func (c *Canvas) KeyDown(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeySpace:
		c.spaceDown = true
	case desktop.KeyShiftLeft, desktop.KeyShiftRight:
		c.heldMods |= fyne.KeyModifierShift
	case desktop.KeyControlLeft, desktop.KeyControlRight:
		c.heldMods |= fyne.KeyModifierControl
	case desktop.KeySuperLeft, desktop.KeySuperRight:
		c.heldMods |= fyne.KeyModifierSuper
	}
}

// KeyUp implements desktop.Keyable.
func (c *Canvas) KeyUp(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeySpace:
		c.spaceDown = false
	case desktop.KeyShiftLeft, desktop.KeyShiftRight:
		c.heldMods &^= fyne.KeyModifierShift
	case desktop.KeyControlLeft, desktop.KeyControlRight:
		c.heldMods &^= fyne.KeyModifierControl
	case desktop.KeySuperLeft, desktop.KeySuperRight:
		c.heldMods &^= fyne.KeyModifierSuper
	}
}
