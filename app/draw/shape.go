package draw

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind is a shape's type.
type Kind string

// The shape kinds. Geometry is always a list of points so move and resize work the same way for
// all of them: a stroke is a polyline; line and arrow are two points (from, to); rect and ellipse
// are two opposite corners (in any order); text is one point, the top-left corner of its box.
const (
	KindStroke  Kind = "stroke"
	KindLine    Kind = "line"
	KindArrow   Kind = "arrow"
	KindRect    Kind = "rect"
	KindEllipse Kind = "ellipse"
	KindText    Kind = "text"
)

// Limits on what a shape may hold; a file or a peer asking for more is rejected, not trusted.
const (
	MaxPoints   = 20000
	MaxCoord    = 1e6
	MaxWidth    = 500
	MaxFontSize = 1000
	MaxTextLen  = 10000
)

// Text metrics shared by bounds, hit testing, SVG and PNG (a monospace face, Go Mono, whose advance
// is 0.6 em), so a text box selects where it is drawn.
const (
	textAdvance    = 0.6  // em per rune
	textLineHeight = 1.2  // em per line
	textAscent     = 0.95 // em from the box top to the first baseline
)

// Point is a position in drawing coordinates (independent of any viewport).
type Point struct{ X, Y float64 }

// Add returns p translated by (dx, dy).
func (p Point) Add(dx, dy float64) Point { return Point{p.X + dx, p.Y + dy} }

// Rect is an axis-aligned box; Min ≤ Max.
type Rect struct{ Min, Max Point }

// Dx is the box's width.
func (r Rect) Dx() float64 { return r.Max.X - r.Min.X }

// Dy is the box's height.
func (r Rect) Dy() float64 { return r.Max.Y - r.Min.Y }

// Contains reports whether p lies inside r (edges included).
func (r Rect) Contains(p Point) bool {
	return p.X >= r.Min.X && p.X <= r.Max.X && p.Y >= r.Min.Y && p.Y <= r.Max.Y
}

// Inset grows r by d on every side (shrinks for d < 0).
func (r Rect) Inset(d float64) Rect {
	return Rect{Point{r.Min.X - d, r.Min.Y - d}, Point{r.Max.X + d, r.Max.Y + d}}
}

// Union is the smallest box containing both.
func (r Rect) Union(o Rect) Rect {
	return Rect{
		Point{math.Min(r.Min.X, o.Min.X), math.Min(r.Min.Y, o.Min.Y)},
		Point{math.Max(r.Max.X, o.Max.X), math.Max(r.Max.Y, o.Max.Y)},
	}
}

// Canon orders two corners into a Rect.
func Canon(a, b Point) Rect {
	return Rect{Point{math.Min(a.X, b.X), math.Min(a.Y, b.Y)}, Point{math.Max(a.X, b.X), math.Max(a.Y, b.Y)}}
}

// Color is 8-bit sRGB with straight alpha. A zero alpha means "none" (used for fill).
type Color struct{ R, G, B, A uint8 }

// None is the absent fill.
var None = Color{}

// Black is the default stroke.
var Black = Color{0, 0, 0, 255}

// String formats as #rrggbbaa, the form used in files and records.
func (c Color) String() string { return fmt.Sprintf("#%02x%02x%02x%02x", c.R, c.G, c.B, c.A) }

// ParseColor accepts #rrggbb (opaque) and #rrggbbaa.
func ParseColor(s string) (Color, error) {
	if len(s) != 7 && len(s) != 9 || s[0] != '#' {
		return Color{}, fmt.Errorf("colour %q: want #rrggbb or #rrggbbaa", s)
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return Color{}, fmt.Errorf("colour %q: not hexadecimal", s)
	}
	if len(s) == 7 {
		v = v<<8 | 0xff
	}
	return Color{uint8(v >> 24), uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
}

// ShapeID names a shape for its whole life: the creating peer and that peer's counter in the
// drawing. Counters are never reused, so an ID never refers to two different shapes.
type ShapeID struct {
	Author string
	N      uint64
}

// String formats as author/n (the suffix of the shape's key).
func (id ShapeID) String() string { return id.Author + "/" + strconv.FormatUint(id.N, 10) }

// ParseShapeID parses author/n.
func ParseShapeID(s string) (ShapeID, error) {
	a, n, ok := strings.Cut(s, "/")
	if !ok {
		return ShapeID{}, fmt.Errorf("shape id %q: want author/counter", s)
	}
	if err := validName(a); err != nil {
		return ShapeID{}, fmt.Errorf("shape id %q: %w", s, err)
	}
	c, err := strconv.ParseUint(n, 10, 64)
	if err != nil || c == 0 {
		return ShapeID{}, fmt.Errorf("shape id %q: counter must be a positive integer", s)
	}
	return ShapeID{a, c}, nil
}

// validName checks author and drawing names used inside keys.
func validName(s string) error {
	if s == "" || len(s) > 128 {
		return errors.New("must be 1 to 128 characters")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("character %q not allowed (letters, digits, - _ .)", r)
		}
	}
	return nil
}

// Shape is one element of a drawing as the UI sees it.
type Shape struct {
	ID       ShapeID
	Kind     Kind
	Points   []Point
	Stroke   Color
	Width    float64
	Fill     Color // A == 0: no fill
	Z        float64
	Text     string
	FontSize float64
	EditedBy string // peer of the last edit (committed, or pending here)
	// Version is the committed version of the shape's key as last read from the store (0: not
	// read committed yet). Informative only: the store does not echo one's own commits, so it
	// lags after one's own edits until the next remote change of the shape or a reopen.
	Version uint64
}

// Author is the peer that created the shape.
func (s *Shape) Author() string { return s.ID.Author }

// Clone returns a deep copy (shapes handed to the UI must not alias the model's).
func (s Shape) Clone() Shape {
	s.Points = append([]Point(nil), s.Points...)
	return s
}

// pointCounts is the allowed number of points per kind (min, max).
var pointCounts = map[Kind][2]int{
	KindStroke: {1, MaxPoints}, KindLine: {2, 2}, KindArrow: {2, 2},
	KindRect: {2, 2}, KindEllipse: {2, 2}, KindText: {1, 1},
}

// Validate checks a shape's content; the error names the field and what is wrong.
func (s *Shape) Validate() error {
	n, ok := pointCounts[s.Kind]
	if !ok {
		return fmt.Errorf("kind: %q is not one of stroke, line, arrow, rect, ellipse, text", s.Kind)
	}
	if len(s.Points) < n[0] || len(s.Points) > n[1] {
		if n[0] == n[1] {
			return fmt.Errorf("points: a %s has %d points, got %d", s.Kind, n[0], len(s.Points))
		}
		return fmt.Errorf("points: a %s has %d to %d points, got %d", s.Kind, n[0], n[1], len(s.Points))
	}
	for i, p := range s.Points {
		if err := validCoord(p.X); err != nil {
			return fmt.Errorf("points[%d].x: %w", i, err)
		}
		if err := validCoord(p.Y); err != nil {
			return fmt.Errorf("points[%d].y: %w", i, err)
		}
	}
	if !(s.Width >= 0 && s.Width <= MaxWidth) {
		return fmt.Errorf("width: %v is outside 0..%d", s.Width, MaxWidth)
	}
	if math.IsNaN(s.Z) || math.IsInf(s.Z, 0) {
		return errors.New("z: not a finite number")
	}
	if s.Kind == KindText {
		if !(s.FontSize >= 1 && s.FontSize <= MaxFontSize) {
			return fmt.Errorf("size: font size %v is outside 1..%d", s.FontSize, MaxFontSize)
		}
		if strings.TrimSpace(s.Text) == "" {
			return errors.New("text: a text shape needs some text (an empty one could not be seen or selected)")
		}
	} else if s.Text != "" || s.FontSize != 0 {
		return fmt.Errorf("text: only a text shape has text and size, not a %s", s.Kind)
	}
	if len(s.Text) > MaxTextLen {
		return fmt.Errorf("text: %d bytes, at most %d", len(s.Text), MaxTextLen)
	}
	if !utf8.ValidString(s.Text) {
		return errors.New("text: not valid UTF-8")
	}
	return nil
}

func validCoord(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return errors.New("not a finite number")
	}
	if math.Abs(v) > MaxCoord {
		return fmt.Errorf("%v is beyond ±%g", v, MaxCoord)
	}
	return nil
}

// MarshalText writes the id as author/n, so ids are plain strings in JSON.
func (id ShapeID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses author/n.
func (id *ShapeID) UnmarshalText(b []byte) error {
	v, err := ParseShapeID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}
