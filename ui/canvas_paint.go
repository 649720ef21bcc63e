package ui

import (
	"cmp"
	"image"
	"image/color"
	imgdraw "image/draw"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2/canvas"

	"github.com/detrans/detrans/app/draw"
)

// paperColor is the drawing's background: white, like its PNG export.
var paperColor = color.RGBA{R: 255, G: 255, B: 255, A: 255}

// gridColor is the dot grid on the paper (not part of the drawing, never exported).
var gridColor = color.RGBA{R: 0xd4, G: 0xd8, B: 0xde, A: 255}

// maxDirty is how many separate dirty rectangles are painted one by one before they are merged
// into their union (many small rectangles cost more in per-rectangle overhead than they save).
const maxDirty = 24

// painter keeps the raster of the viewport. Between frames it collects the drawing-space
// rectangles that changed; when the driver asks for the image it repaints just those, or shifts the
// old image after a pan and paints the uncovered strips, or repaints everything after a zoom or
// resize.
type painter struct {
	raster *canvas.Raster
	img    *image.RGBA
	spare  *image.RGBA // second buffer for shifting after a pan
	origin draw.Point  // drawing point at pixel (0, 0) of img
	scale  float64     // img pixels per drawing unit
	pix    float64     // pixels per Fyne unit, learnt from the driver's first request
	full   bool
	rects  []draw.Rect
	bg     color.RGBA

	// Counters for tests and the benchmark: how much the last frames painted.
	fullPaints, partPaints int
	shapesPainted          atomic.Int64
}

func (p *painter) pixScale() float64 {
	if p.pix <= 0 {
		return 1
	}
	return p.pix
}

// invalidate asks for a full repaint at the next frame.
func (p *painter) invalidate() { p.full, p.rects = true, nil }

// dirty marks a drawing-space rectangle for repainting at the next frame.
func (p *painter) dirty(r draw.Rect) {
	if p.full {
		return
	}
	p.rects = append(p.rects, r)
}

// refresh asks the driver for a new frame of the raster.
func (p *painter) refresh() {
	if p.raster != nil {
		p.raster.Refresh()
	}
}

// generate is the raster's generator: it brings the image up to date for the current viewport
// and returns it. w and h are in pixels.
func (c *Canvas) generate(w, h int) image.Image {
	p := &c.paint
	if w <= 0 || h <= 0 {
		return image.NewRGBA(image.Rect(0, 0, 1, 1))
	}
	if sw := c.Size().Width; sw > 0 {
		p.pix = float64(w) / float64(sw)
	}
	scale := c.zoom * p.pixScale()
	switch {
	case p.img == nil || p.img.Rect.Dx() != w || p.img.Rect.Dy() != h || p.scale != scale:
		p.full = true
	case p.origin != c.origin:
		if !p.shift(c.origin) {
			p.full = true
		}
	}
	p.origin, p.scale = c.origin, scale
	if p.img == nil || p.img.Rect.Dx() != w || p.img.Rect.Dy() != h {
		p.img = image.NewRGBA(image.Rect(0, 0, w, h))
		p.spare = nil
	}
	if p.full {
		p.full, p.rects = false, nil
		p.fullPaints++
		c.paintBands(p.img.Rect)
		return p.img
	}
	rects := p.rects
	p.rects = nil
	if len(rects) > maxDirty {
		u := rects[0]
		for _, r := range rects[1:] {
			u = u.Union(r)
		}
		rects = []draw.Rect{u}
	}
	for _, r := range rects {
		if pr := p.toPixels(r).Intersect(p.img.Rect); !pr.Empty() {
			p.partPaints++
			c.paintRect(pr)
		}
	}
	return p.img
}

// toPixels is the pixel rectangle covering drawing rectangle r, grown by a pixel for antialiasing.
func (p *painter) toPixels(r draw.Rect) image.Rectangle {
	x0 := math.Floor((r.Min.X-p.origin.X)*p.scale) - 1
	y0 := math.Floor((r.Min.Y-p.origin.Y)*p.scale) - 1
	x1 := math.Ceil((r.Max.X-p.origin.X)*p.scale) + 1
	y1 := math.Ceil((r.Max.Y-p.origin.Y)*p.scale) + 1
	const lim = 1 << 24 // keeps far-away shapes from overflowing int conversions
	clamp := func(v float64) int { return int(math.Max(-lim, math.Min(lim, v))) }
	return image.Rect(clamp(x0), clamp(y0), clamp(x1), clamp(y1))
}

// toDrawing is the drawing rectangle a pixel rectangle shows.
func (p *painter) toDrawing(r image.Rectangle) draw.Rect {
	return draw.Rect{
		Min: draw.Point{X: p.origin.X + float64(r.Min.X)/p.scale, Y: p.origin.Y + float64(r.Min.Y)/p.scale},
		Max: draw.Point{X: p.origin.X + float64(r.Max.X)/p.scale, Y: p.origin.Y + float64(r.Max.Y)/p.scale},
	}
}

// shift moves the painted image for a pan to origin and marks the uncovered strips dirty. It
// reports false when the pan is not a whole number of pixels (or nothing would survive it).
func (p *painter) shift(origin draw.Point) bool {
	fx, fy := (origin.X-p.origin.X)*p.scale, (origin.Y-p.origin.Y)*p.scale
	dx, dy := math.Round(fx), math.Round(fy)
	if math.Abs(fx-dx) > 1e-3 || math.Abs(fy-dy) > 1e-3 {
		return false
	}
	b := p.img.Rect
	ix, iy := int(dx), int(dy)
	if abs(ix) >= b.Dx() || abs(iy) >= b.Dy() {
		return false
	}
	if p.spare == nil || p.spare.Rect != b {
		p.spare = image.NewRGBA(b)
	}
	// New pixel (x, y) shows what old pixel (x+ix, y+iy) showed.
	imgdraw.Draw(p.spare, b, p.img, image.Pt(ix, iy), imgdraw.Src)
	p.img, p.spare = p.spare, p.img
	p.origin = origin
	if ix > 0 {
		p.rects = append(p.rects, p.toDrawing(image.Rect(b.Dx()-ix-1, 0, b.Dx(), b.Dy())))
	} else if ix < 0 {
		p.rects = append(p.rects, p.toDrawing(image.Rect(0, 0, -ix+1, b.Dy())))
	}
	if iy > 0 {
		p.rects = append(p.rects, p.toDrawing(image.Rect(0, b.Dy()-iy-1, b.Dx(), b.Dy())))
	} else if iy < 0 {
		p.rects = append(p.rects, p.toDrawing(image.Rect(0, 0, b.Dx(), -iy+1)))
	}
	return true
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// paintBands repaints a large rectangle as horizontal bands on all cores: bands cover disjoint
// pixels, draw.Render is pure, and the model answers Visible under its own lock.
func (c *Canvas) paintBands(pr image.Rectangle) {
	n := min(runtime.GOMAXPROCS(0), 8, pr.Dy()/64)
	if n <= 1 {
		c.paintRect(pr)
		return
	}
	var wg sync.WaitGroup
	for i := range n {
		band := image.Rect(pr.Min.X, pr.Min.Y+pr.Dy()*i/n, pr.Max.X, pr.Min.Y+pr.Dy()*(i+1)/n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.paintRect(band)
		}()
	}
	wg.Wait()
}

// paintRect repaints one pixel rectangle of the image: paper, grid, then every shape that reaches
// into it, each rasterised by draw.Render clipped to the part of its box inside the rectangle.
func (c *Canvas) paintRect(pr image.Rectangle) {
	p := &c.paint
	imgdraw.Draw(p.img, pr, image.NewUniform(p.bg), image.Point{}, imgdraw.Src)
	p.grid(pr)
	area := p.toDrawing(pr)
	for _, s := range c.visible(area) {
		sb := p.toPixels(s.Bounds()).Intersect(pr)
		if sb.Empty() {
			continue
		}
		out, err := draw.Render([]draw.Shape{s}, draw.ExportOptions{Area: p.toDrawing(sb), Scale: p.scale})
		if err != nil {
			continue // a preview beyond the model's limits; the model never holds one
		}
		p.shapesPainted.Add(1)
		imgdraw.Draw(p.img, sb, out, image.Point{}, imgdraw.Over)
	}
}

// grid dots the paper every 20 drawing units, or every 100 when zoomed far out.
func (p *painter) grid(pr image.Rectangle) {
	step := 20.0
	if step*p.scale < 12 {
		step = 100
	}
	if step*p.scale < 12 {
		return
	}
	dot := max(1, int(math.Round(p.pixScale())))
	area := p.toDrawing(pr)
	for gy := math.Ceil(area.Min.Y/step) * step; gy <= area.Max.Y; gy += step {
		y := int(math.Round((gy - p.origin.Y) * p.scale))
		for gx := math.Ceil(area.Min.X/step) * step; gx <= area.Max.X; gx += step {
			x := int(math.Round((gx - p.origin.X) * p.scale))
			r := image.Rect(x, y, x+dot, y+dot).Intersect(pr)
			for yy := r.Min.Y; yy < r.Max.Y; yy++ {
				for xx := r.Min.X; xx < r.Max.X; xx++ {
					p.img.SetRGBA(xx, yy, gridColor)
				}
			}
		}
	}
}

// visible is what the canvas shows inside a drawing rectangle, bottom to top: the model's shapes,
// with those being dragged shown where the drag has them, and the shape being drawn on top.
func (c *Canvas) visible(area draw.Rect) []draw.Shape {
	var list []draw.Shape
	if c.d != nil {
		list = c.d.Visible(area)
	}
	if len(c.ghosts) > 0 {
		list = slices.DeleteFunc(list, func(s draw.Shape) bool { _, moved := c.ghosts[s.ID]; return moved })
		for _, g := range c.ghosts {
			if overlaps(g.Bounds(), area) {
				list = append(list, g)
			}
		}
		slices.SortFunc(list, zOrder)
	}
	if c.preview != nil && overlaps(c.preview.Bounds(), area) {
		list = append(list, *c.preview)
	}
	return list
}

// zOrder is the model's paint order: by Z, ties broken by id the same way on every peer.
func zOrder(a, b draw.Shape) int {
	if c := cmp.Compare(a.Z, b.Z); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ID.Author, b.ID.Author); c != 0 {
		return c
	}
	return cmp.Compare(a.ID.N, b.ID.N)
}

func overlaps(a, b draw.Rect) bool {
	return a.Min.X <= b.Max.X && b.Min.X <= a.Max.X && a.Min.Y <= b.Max.Y && b.Min.Y <= a.Max.Y
}
