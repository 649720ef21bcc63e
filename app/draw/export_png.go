package draw

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strings"
	"sync"

	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// WritePNG renders shapes (bottom to top) to an antialiased PNG, in pure Go: polygons through
// x/image/vector, text in Go Mono (the face whose metrics the model's text boxes use).
func WritePNG(w io.Writer, shapes []Shape, o ExportOptions) error {
	img, err := Render(shapes, o)
	if err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("export PNG: %w", err)
	}
	return nil
}

// Render rasterises shapes into an image (what WritePNG encodes).
func Render(shapes []Shape, o ExportOptions) (*image.RGBA, error) {
	area, err := o.area(shapes)
	if err != nil {
		return nil, err
	}
	scale, err := o.scale()
	if err != nil {
		return nil, err
	}
	wpx, hpx := math.Ceil(area.Dx()*scale), math.Ceil(area.Dy()*scale)
	if wpx*hpx > MaxExportPixels {
		return nil, fmt.Errorf("export PNG: %.0f×%.0f pixels is more than %d; export a smaller area or scale", wpx, hpx, MaxExportPixels)
	}
	for i := range shapes {
		if err := shapes[i].Validate(); err != nil {
			return nil, fmt.Errorf("export: shape %s: %w", shapes[i].ID, err)
		}
	}
	c := &canvas{
		img:   image.NewRGBA(image.Rect(0, 0, int(wpx), int(hpx))),
		area:  area,
		scale: scale,
	}
	c.z = vector.NewRasterizer(int(wpx), int(hpx))
	if o.Background.A > 0 {
		c.fill([][]pt{c.rectPoly(area)}, o.Background)
	}
	for i := range shapes {
		if err := c.shape(&shapes[i]); err != nil {
			return nil, err
		}
	}
	return c.img, nil
}

// pt is a point in pixel space.
type pt struct{ x, y float64 }

type canvas struct {
	img   *image.RGBA
	z     *vector.Rasterizer
	area  Rect
	scale float64
}

func (c *canvas) px(p Point) pt {
	return pt{(p.X - c.area.Min.X) * c.scale, (p.Y - c.area.Min.Y) * c.scale}
}

func (c *canvas) rectPoly(r Rect) []pt {
	a, b := c.px(r.Min), c.px(r.Max)
	return []pt{{a.x, a.y}, {b.x, a.y}, {b.x, b.y}, {a.x, b.y}}
}

// fill paints the union of polys in one pass, so overlapping parts are not painted twice (a
// translucent stroke stays even). Every polygon is turned the same way: the rasteriser adds up
// signed coverage and clamps it, so like-turned polygons unite. holes are turned the other way.
func (c *canvas) fillWithHoles(polys, holes [][]pt, col Color) {
	if col.A == 0 {
		return
	}
	c.z.Reset(c.img.Rect.Dx(), c.img.Rect.Dy())
	for _, p := range polys {
		c.addPoly(p, true)
	}
	for _, p := range holes {
		c.addPoly(p, false)
	}
	src := image.NewUniform(color.NRGBA{col.R, col.G, col.B, col.A})
	c.z.Draw(c.img, c.img.Bounds(), src, image.Point{})
}

func (c *canvas) fill(polys [][]pt, col Color) { c.fillWithHoles(polys, nil, col) }

func (c *canvas) addPoly(p []pt, positive bool) {
	if len(p) < 3 {
		return
	}
	area := 0.0
	for i := range p {
		j := (i + 1) % len(p)
		area += p[i].x*p[j].y - p[j].x*p[i].y
	}
	if area == 0 {
		return
	}
	rev := (area > 0) != positive
	at := func(i int) pt {
		if rev {
			return p[len(p)-1-i]
		}
		return p[i]
	}
	c.z.MoveTo(float32(at(0).x), float32(at(0).y))
	for i := 1; i < len(p); i++ {
		c.z.LineTo(float32(at(i).x), float32(at(i).y))
	}
	c.z.ClosePath()
}

// ellipsePoly approximates an ellipse finely enough that the error stays under ~0.1 pixel.
func ellipsePoly(cx, cy, rx, ry float64) []pt {
	r := math.Max(rx, ry)
	n := 8
	if r > 0.5 {
		n = int(math.Ceil(math.Pi / math.Acos(1-0.1/r)))
	}
	n = min(max(n, 8), 720)
	out := make([]pt, n)
	for i := range out {
		a := 2 * math.Pi * float64(i) / float64(n)
		out[i] = pt{cx + rx*math.Cos(a), cy + ry*math.Sin(a)}
	}
	return out
}

// strokePolys outlines a polyline of half-width h in pixels: a quad per segment and a disc at
// every vertex (round joins and caps, as the SVG export asks for).
func strokePolys(ps []pt, h float64) [][]pt {
	var out [][]pt
	for i, p := range ps {
		out = append(out, ellipsePoly(p.x, p.y, h, h))
		if i == 0 {
			continue
		}
		a := ps[i-1]
		dx, dy := p.x-a.x, p.y-a.y
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		nx, ny := -dy/l*h, dx/l*h
		out = append(out, []pt{{a.x + nx, a.y + ny}, {p.x + nx, p.y + ny}, {p.x - nx, p.y - ny}, {a.x - nx, a.y - ny}})
	}
	return out
}

func (c *canvas) line(ps []Point, s *Shape) {
	if s.Width <= 0 {
		return
	}
	px := make([]pt, len(ps))
	for i, p := range ps {
		px[i] = c.px(p)
	}
	c.fill(strokePolys(px, s.Width*c.scale/2), s.Stroke)
}

func (c *canvas) shape(s *Shape) error {
	switch s.Kind {
	case KindStroke, KindLine:
		c.line(s.Points, s)
	case KindArrow:
		a, b := s.Points[0], s.Points[1]
		l, r := arrowHead(a, b, s.Width)
		if s.Width > 0 {
			h := s.Width * c.scale / 2
			polys := strokePolys([]pt{c.px(a), c.px(b)}, h)
			polys = append(polys, strokePolys([]pt{c.px(l), c.px(b), c.px(r)}, h)...)
			c.fill(polys, s.Stroke) // one pass: the head and shaft overlap without a darker seam
		}
	case KindRect:
		b := s.Box()
		c.fill([][]pt{c.rectPoly(b)}, s.Fill)
		if s.Width > 0 {
			h := s.Width / 2
			var holes [][]pt
			if in := b.Inset(-h); in.Dx() > 0 && in.Dy() > 0 {
				holes = [][]pt{c.rectPoly(in)}
			}
			c.fillWithHoles([][]pt{c.rectPoly(b.Inset(h))}, holes, s.Stroke)
		}
	case KindEllipse:
		b := s.Box()
		ctr := c.px(Point{(b.Min.X + b.Max.X) / 2, (b.Min.Y + b.Max.Y) / 2})
		rx, ry := b.Dx()/2*c.scale, b.Dy()/2*c.scale
		c.fill([][]pt{ellipsePoly(ctr.x, ctr.y, rx, ry)}, s.Fill)
		if s.Width > 0 {
			h := s.Width * c.scale / 2
			var holes [][]pt
			if rx > h && ry > h {
				holes = [][]pt{ellipsePoly(ctr.x, ctr.y, rx-h, ry-h)}
			}
			c.fillWithHoles([][]pt{ellipsePoly(ctr.x, ctr.y, rx+h, ry+h)}, holes, s.Stroke)
		}
	case KindText:
		return c.text(s)
	}
	return nil
}

var goMono = sync.OnceValues(func() (*sfnt.Font, error) { return sfnt.Parse(gomono.TTF) })

// text draws glyph outlines through the same image-sized rasteriser as the shapes, so a huge font
// size costs no more memory than the image (a glyph mask at 1000 pt × scale would not fit).
func (c *canvas) text(s *Shape) error {
	b := s.Box()
	c.fill([][]pt{c.rectPoly(b)}, s.Fill)
	if s.Stroke.A == 0 {
		return nil
	}
	f, err := goMono()
	if err != nil {
		return fmt.Errorf("export PNG: font: %w", err)
	}
	var buf sfnt.Buffer
	ppem := fixed.Int26_6(math.Round(s.FontSize * c.scale * 64))
	c.z.Reset(c.img.Rect.Dx(), c.img.Rect.Dy())
	for i, ln := range strings.Split(s.Text, "\n") {
		o := c.px(Point{b.Min.X, b.Min.Y + (textAscent+float64(i)*textLineHeight)*s.FontSize})
		x := o.x
		for _, r := range ln {
			gi, err := f.GlyphIndex(&buf, r)
			if err != nil || gi == 0 {
				gi, _ = f.GlyphIndex(&buf, '\uFFFD') // draw what the font has for "missing"
			}
			segs, err := f.LoadGlyph(&buf, gi, ppem, nil)
			if err != nil {
				return fmt.Errorf("export PNG: glyph %q: %w", r, err)
			}
			c.glyph(segs, x, o.y)
			// Every Go Mono glyph advances 0.6 em: the model's text box depends on it.
			x += textAdvance * s.FontSize * c.scale
		}
	}
	col := s.Stroke
	c.z.Draw(c.img, c.img.Bounds(), image.NewUniform(color.NRGBA{col.R, col.G, col.B, col.A}), image.Point{})
	return nil
}

func (c *canvas) glyph(segs sfnt.Segments, ox, oy float64) {
	p := func(q fixed.Point26_6) (float32, float32) {
		return float32(ox + float64(q.X)/64), float32(oy + float64(q.Y)/64)
	}
	for _, sg := range segs {
		switch sg.Op {
		case sfnt.SegmentOpMoveTo:
			c.z.ClosePath()
			c.z.MoveTo(p(sg.Args[0]))
		case sfnt.SegmentOpLineTo:
			c.z.LineTo(p(sg.Args[0]))
		case sfnt.SegmentOpQuadTo:
			x1, y1 := p(sg.Args[0])
			x2, y2 := p(sg.Args[1])
			c.z.QuadTo(x1, y1, x2, y2)
		case sfnt.SegmentOpCubeTo:
			x1, y1 := p(sg.Args[0])
			x2, y2 := p(sg.Args[1])
			x3, y3 := p(sg.Args[2])
			c.z.CubeTo(x1, y1, x2, y2, x3, y3)
		}
	}
	c.z.ClosePath()
}
