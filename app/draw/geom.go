package draw

import (
	"math"
	"strings"
	"unicode/utf8"
)

// Box is the shape's geometric box, without stroke width: the frame the UI puts resize handles on.
func (s *Shape) Box() Rect {
	if s.Kind == KindText {
		lines := strings.Split(s.Text, "\n")
		w := 0
		for _, l := range lines {
			w = max(w, utf8.RuneCountInString(l))
		}
		p := s.Points[0]
		return Rect{p, p.Add(float64(w)*textAdvance*s.FontSize, float64(len(lines))*textLineHeight*s.FontSize)}
	}
	r := Rect{s.Points[0], s.Points[0]}
	for _, p := range s.Points[1:] {
		r = r.Union(Rect{p, p})
	}
	return r
}

// Bounds is everything the shape paints: Box grown by half the stroke width and the arrowhead.
func (s *Shape) Bounds() Rect {
	if s.Kind == KindText {
		return s.Box()
	}
	pad := s.Width / 2
	if s.Kind == KindArrow {
		pad = math.Max(pad, arrowHeadLen(s.Width))
	}
	return s.Box().Inset(pad)
}

// Moved returns the shape's points translated by (dx, dy).
func (s *Shape) Moved(dx, dy float64) []Point {
	out := make([]Point, len(s.Points))
	for i, p := range s.Points {
		out[i] = p.Add(dx, dy)
	}
	return out
}

// Resized maps the shape's Box onto to: points scale with the box; a text shape keeps its
// proportions, so its font size follows the new height and its corner goes to to.Min. A box
// with no extent in one dimension (a horizontal line) is moved, not scaled, in that dimension.
func (s *Shape) Resized(to Rect) (pts []Point, fontSize float64) {
	from := s.Box()
	if s.Kind == KindText {
		f := s.FontSize
		if from.Dy() > 0 && to.Dy() > 0 {
			f = math.Min(MaxFontSize, math.Max(1, s.FontSize*to.Dy()/from.Dy()))
		}
		return []Point{to.Min}, f
	}
	scale := func(v, a0, a1, b0, b1 float64) float64 {
		if a1 == a0 {
			return v - a0 + b0
		}
		return b0 + (v-a0)*(b1-b0)/(a1-a0)
	}
	pts = make([]Point, len(s.Points))
	for i, p := range s.Points {
		pts[i] = Point{
			scale(p.X, from.Min.X, from.Max.X, to.Min.X, to.Max.X),
			scale(p.Y, from.Min.Y, from.Max.Y, to.Min.Y, to.Max.Y),
		}
	}
	return pts, 0
}

// Hit reports whether p touches the shape, within tol drawing units of its painted outline (or
// anywhere inside when filled, and anywhere in a text box). tol is in drawing units so the caller
// divides its pixel tolerance by the zoom; the test itself knows nothing of viewports.
func (s *Shape) Hit(p Point, tol float64) bool {
	reach := tol + s.Width/2
	if !s.Bounds().Inset(tol).Contains(p) {
		return false
	}
	switch s.Kind {
	case KindText:
		return s.Box().Inset(tol).Contains(p)
	case KindStroke, KindLine, KindArrow:
		if len(s.Points) == 1 {
			return dist(p, s.Points[0]) <= reach
		}
		for i := 1; i < len(s.Points); i++ {
			if segDist(p, s.Points[i-1], s.Points[i]) <= reach {
				return true
			}
		}
		return false
	case KindRect:
		b := s.Box()
		if s.Fill.A > 0 && b.Contains(p) {
			return true
		}
		c := [4]Point{b.Min, {b.Max.X, b.Min.Y}, b.Max, {b.Min.X, b.Max.Y}}
		for i := range c {
			if segDist(p, c[i], c[(i+1)%4]) <= reach {
				return true
			}
		}
		return false
	case KindEllipse:
		b := s.Box()
		rx, ry := b.Dx()/2, b.Dy()/2
		cx, cy := b.Min.X+rx, b.Min.Y+ry
		if rx == 0 || ry == 0 {
			return segDist(p, b.Min, b.Max) <= reach
		}
		// Radial distance to the outline, exact on circles and close enough on ellipses for picking.
		nx, ny := (p.X-cx)/rx, (p.Y-cy)/ry
		d := math.Hypot(nx, ny)
		if s.Fill.A > 0 && d <= 1 {
			return true
		}
		return math.Abs(d-1)*math.Min(rx, ry) <= reach
	}
	return false
}

func dist(a, b Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

// segDist is the distance from p to the segment ab.
func segDist(p, a, b Point) float64 {
	dx, dy := b.X-a.X, b.Y-a.Y
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return dist(p, a)
	}
	t := math.Max(0, math.Min(1, ((p.X-a.X)*dx+(p.Y-a.Y)*dy)/l2))
	return dist(p, Point{a.X + t*dx, a.Y + t*dy})
}

// arrowHeadLen scales the head with the line so thick arrows still show a head.
func arrowHeadLen(width float64) float64 { return 8 + 3*width }

// arrowHead returns the two barb ends of an arrow pointing from a to b.
func arrowHead(a, b Point, width float64) (Point, Point) {
	l := arrowHeadLen(width)
	ang := math.Atan2(b.Y-a.Y, b.X-a.X)
	const spread = math.Pi / 7
	return Point{b.X - l*math.Cos(ang-spread), b.Y - l*math.Sin(ang-spread)},
		Point{b.X - l*math.Cos(ang+spread), b.Y - l*math.Sin(ang+spread)}
}
