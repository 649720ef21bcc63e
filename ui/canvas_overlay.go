package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"

	"github.com/detrans/detrans/app/draw"
)

// handleSize is the side of a resize handle, and grab is how far from one a press still takes it
// (Fyne units: the same on screen whatever the zoom).
const (
	handleSize = 9
	grab       = 7
	maxOutline = 64 // selected shapes that get their own outline; beyond, only the group box shows
)

// overlay is drawn with Fyne primitives above the raster: it changes on every pointer move, and
// moving a rectangle is cheaper than repainting pixels under it.
type overlay struct {
	hover    *canvas.Rectangle
	band     *canvas.Rectangle
	box      *canvas.Rectangle
	handles  [8]*canvas.Rectangle
	outlines []*canvas.Rectangle
	hovered  *draw.ShapeID
	entry    *textEntry
	all      []fyne.CanvasObject
}

func accent() color.Color { return theme.Color(theme.ColorNamePrimary) }

func (o *overlay) build() {
	if o.box != nil {
		return
	}
	a := accent()
	o.hover = &canvas.Rectangle{StrokeColor: withAlpha(a, 0x90), StrokeWidth: 1.5, CornerRadius: 2}
	o.band = &canvas.Rectangle{FillColor: withAlpha(a, 0x1c), StrokeColor: withAlpha(a, 0xb0), StrokeWidth: 1}
	o.box = &canvas.Rectangle{StrokeColor: a, StrokeWidth: 1.5}
	o.all = []fyne.CanvasObject{o.hover, o.band, o.box}
	o.outlines = make([]*canvas.Rectangle, maxOutline)
	for i := range o.outlines {
		o.outlines[i] = &canvas.Rectangle{StrokeColor: withAlpha(a, 0x80), StrokeWidth: 1}
		o.all = append(o.all, o.outlines[i])
	}
	for i := range o.handles {
		o.handles[i] = &canvas.Rectangle{FillColor: color.White, StrokeColor: a, StrokeWidth: 1.5, CornerRadius: 2}
		o.all = append(o.all, o.handles[i])
	}
	for _, obj := range o.all {
		obj.Hide()
	}
}

func (o *overlay) objects() []fyne.CanvasObject { return o.all }

func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}

// place shows rect r over drawing rectangle dr, grown by pad Fyne units.
func (c *Canvas) place(r *canvas.Rectangle, dr draw.Rect, pad float32) {
	a, b := c.ToCanvas(dr.Min), c.ToCanvas(dr.Max)
	r.Move(fyne.NewPos(a.X-pad, a.Y-pad))
	r.Resize(fyne.NewSize(b.X-a.X+2*pad, b.Y-a.Y+2*pad))
	if !r.Visible() {
		r.Show()
	}
	r.Refresh()
}

// handlePos is the centre of handle i of box b on the canvas: 0 top-left, then clockwise.
func (c *Canvas) handlePos(b draw.Rect, i int) fyne.Position { return c.ToCanvas(handlePoint(b, i)) }

// handlePoint is the point of box b that handle i holds.
func handlePoint(b draw.Rect, i int) draw.Point {
	xs := [8]float64{b.Min.X, (b.Min.X + b.Max.X) / 2, b.Max.X, b.Max.X, b.Max.X, (b.Min.X + b.Max.X) / 2, b.Min.X, b.Min.X}
	ys := [8]float64{b.Min.Y, b.Min.Y, b.Min.Y, (b.Min.Y + b.Max.Y) / 2, b.Max.Y, b.Max.Y, b.Max.Y, (b.Min.Y + b.Max.Y) / 2}
	return draw.Point{X: xs[i], Y: ys[i]}
}

// selectionBox is the box the handles sit on: the selection's, or where a drag has it now.
func (c *Canvas) selectionBox() (draw.Rect, bool) {
	if c.d == nil {
		return draw.Rect{}, false
	}
	if len(c.ghosts) > 0 {
		var r draw.Rect
		first := true
		for _, g := range c.ghosts {
			if first {
				r, first = g.Box(), false
			} else {
				r = r.Union(g.Box())
			}
		}
		return r, true
	}
	return c.d.SelectionBox()
}

// updateOverlay puts the selection frame, handles and hover outline where the model and the
// viewport say; cheap enough to run after every change.
func (c *Canvas) updateOverlay() {
	o := &c.ov
	if o.box == nil {
		return
	}
	var sel []draw.ShapeID
	if c.d != nil {
		sel = c.d.Selected()
	}
	box, ok := c.selectionBox()
	if !ok || len(sel) == 0 {
		o.box.Hide()
		for _, h := range o.handles {
			h.Hide()
		}
	} else {
		c.place(o.box, box, 4)
		for i, h := range o.handles {
			p := c.handlePos(box.Inset(4/c.zoom), i)
			h.Move(fyne.NewPos(p.X-handleSize/2, p.Y-handleSize/2))
			h.Resize(fyne.NewSize(handleSize, handleSize))
			h.Show()
			h.Refresh()
		}
	}
	n := 0
	if len(sel) > 1 && len(sel) <= maxOutline {
		for _, id := range sel {
			s, ok := c.ghosts[id]
			if !ok {
				s, ok = c.d.Shape(id)
			}
			if ok {
				c.place(o.outlines[n], s.Box(), 2)
				n++
			}
		}
	}
	for _, r := range o.outlines[n:] {
		if r.Visible() {
			r.Hide()
		}
	}
	c.showHover()
}

// hover outlines the shape the select tool would pick under the pointer.
func (c *Canvas) hover(id *draw.ShapeID) {
	c.ov.hovered = id
	c.showHover()
}

func (c *Canvas) showHover() {
	o := &c.ov
	if o.hover == nil {
		return
	}
	if o.hovered == nil || c.d == nil || c.g.kind != gestNone || c.d.IsSelected(*o.hovered) {
		o.hover.Hide()
		return
	}
	s, ok := c.d.Shape(*o.hovered)
	if !ok {
		o.hover.Hide()
		return
	}
	c.place(o.hover, s.Bounds(), 3)
}

// hitHandle is the handle of the selection under pos, or -1.
func (c *Canvas) hitHandle(pos fyne.Position) int {
	if c.d == nil || len(c.d.Selected()) == 0 {
		return -1
	}
	box, ok := c.d.SelectionBox()
	if !ok {
		return -1
	}
	for i := range 8 {
		h := c.handlePos(box.Inset(4/c.zoom), i)
		if abs32(h.X-pos.X) <= grab && abs32(h.Y-pos.Y) <= grab {
			return i
		}
	}
	return -1
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
