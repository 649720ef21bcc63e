package draw

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
)

// Patch is a change to some properties of one shape; nil fields stay as they are. Properties are
// the unit of conflict: two users changing different properties of a shape both keep their change.
type Patch struct {
	Points   []Point // geometry (move, resize, reshape); nil: unchanged
	Stroke   *Color
	Width    *float64
	Fill     *Color // None removes the fill
	Z        *float64
	Text     *string
	FontSize *float64
}

// Property names, as used in patches, notices and queued operations.
const (
	propPoints = "points"
	propStroke = "stroke"
	propWidth  = "width"
	propFill   = "fill"
	propZ      = "z"
	propText   = "text"
	propSize   = "size"
)

// allProps fixes the order properties are applied and reported in.
var allProps = []string{propPoints, propStroke, propWidth, propFill, propZ, propText, propSize}

// props lists the properties p sets.
func (p *Patch) props() []string {
	var out []string
	for _, f := range allProps {
		if p.has(f) {
			out = append(out, f)
		}
	}
	return out
}

func (p *Patch) has(f string) bool {
	switch f {
	case propPoints:
		return p.Points != nil
	case propStroke:
		return p.Stroke != nil
	case propWidth:
		return p.Width != nil
	case propFill:
		return p.Fill != nil
	case propZ:
		return p.Z != nil
	case propText:
		return p.Text != nil
	case propSize:
		return p.FontSize != nil
	}
	return false
}

// only returns the part of p that sets the properties fs.
func (p *Patch) only(fs []string) Patch {
	var q Patch
	for _, f := range fs {
		q.take(f, p)
	}
	return q
}

// take copies property f from src.
func (p *Patch) take(f string, src *Patch) {
	switch f {
	case propPoints:
		p.Points = src.Points
	case propStroke:
		p.Stroke = src.Stroke
	case propWidth:
		p.Width = src.Width
	case propFill:
		p.Fill = src.Fill
	case propZ:
		p.Z = src.Z
	case propText:
		p.Text = src.Text
	case propSize:
		p.FontSize = src.FontSize
	}
}

// patchOf captures the current values of properties fs of s (the inverse of a patch).
func patchOf(s *Shape, fs []string) Patch {
	var p Patch
	for _, f := range fs {
		switch f {
		case propPoints:
			p.Points = s.Points
		case propStroke:
			c := s.Stroke
			p.Stroke = &c
		case propWidth:
			w := s.Width
			p.Width = &w
		case propFill:
			c := s.Fill
			p.Fill = &c
		case propZ:
			z := s.Z
			p.Z = &z
		case propText:
			t := s.Text
			p.Text = &t
		case propSize:
			v := s.FontSize
			p.FontSize = &v
		}
	}
	return p
}

// applyProp sets property f of s from p. Points are replaced, never written in place: shapes
// handed out share nothing mutable with the model.
func applyProp(s *Shape, p *Patch, f string) {
	switch f {
	case propPoints:
		s.Points = append([]Point(nil), p.Points...)
	case propStroke:
		s.Stroke = *p.Stroke
	case propWidth:
		s.Width = *p.Width
	case propFill:
		s.Fill = *p.Fill
		if s.Fill.A == 0 {
			s.Fill = None // a transparent fill is no fill, as stored
		}
	case propZ:
		s.Z = *p.Z
	case propText:
		s.Text = *p.Text
	case propSize:
		s.FontSize = *p.FontSize
	}
}

// propHash fingerprints one property of s. Queued operations carry these instead of old values
// (a stroke's points can be large) to detect that someone else changed the property meanwhile.
func propHash(s *Shape, f string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	num := func(v float64) {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	col := func(c Color) { h.Write([]byte{c.R, c.G, c.B, c.A}) }
	h.Write([]byte(f))
	switch f {
	case propPoints:
		for _, p := range s.Points {
			num(p.X)
			num(p.Y)
		}
	case propStroke:
		col(s.Stroke)
	case propWidth:
		num(s.Width)
	case propFill:
		col(s.Fill)
	case propZ:
		num(s.Z)
	case propText:
		h.Write([]byte(s.Text))
	case propSize:
		num(s.FontSize)
	}
	return h.Sum64()
}

// contentHash fingerprints everything a user sees of a shape (not who edited it last).
func contentHash(s *Shape) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s.Kind))
	var b [8]byte
	for _, f := range allProps {
		binary.LittleEndian.PutUint64(b[:], propHash(s, f))
		h.Write(b[:])
	}
	return h.Sum64()
}

// patchRec is a Patch as queued in an operation.
type patchRec struct {
	Points [][]float64 `json:"points,omitempty"`
	Stroke *string     `json:"stroke,omitempty"`
	Width  *float64    `json:"width,omitempty"`
	Fill   *string     `json:"fill,omitempty"`
	Z      *float64    `json:"z,omitempty"`
	Text   *string     `json:"text,omitempty"`
	Size   *float64    `json:"size,omitempty"`
}

func toPatchRec(p *Patch) *patchRec {
	r := &patchRec{Width: p.Width, Z: p.Z, Text: p.Text, Size: p.FontSize}
	if p.Points != nil {
		r.Points = make([][]float64, len(p.Points))
		for i, q := range p.Points {
			r.Points[i] = []float64{q.X, q.Y}
		}
	}
	if p.Stroke != nil {
		s := p.Stroke.String()
		r.Stroke = &s
	}
	if p.Fill != nil {
		s := p.Fill.String()
		r.Fill = &s
	}
	return r
}

// patch decodes a queued patch; values are checked again when the patched shape is validated.
func (r *patchRec) patch() (Patch, error) {
	p := Patch{Width: r.Width, Z: r.Z, Text: r.Text, FontSize: r.Size}
	if r.Points != nil {
		if len(r.Points) > MaxPoints {
			return Patch{}, fmt.Errorf("points: %d points, at most %d", len(r.Points), MaxPoints)
		}
		p.Points = make([]Point, len(r.Points))
		for i, q := range r.Points {
			if len(q) != 2 {
				return Patch{}, fmt.Errorf("points[%d]: want [x, y]", i)
			}
			p.Points[i] = Point{q[0], q[1]}
		}
	}
	if r.Stroke != nil {
		c, err := ParseColor(*r.Stroke)
		if err != nil {
			return Patch{}, fmt.Errorf("stroke: %w", err)
		}
		p.Stroke = &c
	}
	if r.Fill != nil {
		c, err := ParseColor(*r.Fill)
		if err != nil {
			return Patch{}, fmt.Errorf("fill: %w", err)
		}
		p.Fill = &c
	}
	return p, nil
}
