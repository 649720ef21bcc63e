package ui

import (
	"image/color"

	"github.com/detrans/detrans/app/draw"
)

// FillMode is how the shape tools fill rectangles, ellipses and text backgrounds.
type FillMode int

// Fill modes.
const (
	FillNone  FillMode = iota
	FillTint           // the stroke colour, translucent
	FillSolid          // the stroke colour
)

// Style is the look new shapes get (and what palette clicks apply to the selection).
type Style struct {
	Stroke draw.Color
	Width  float64 // line width in drawing units; text size follows it (textSize)
	Fill   FillMode
}

// DefaultStyle is dark ink, medium width, no fill.
var DefaultStyle = Style{Stroke: swatches[0].c, Width: widths[1], Fill: FillNone}

// swatches is the colour palette: readable on white paper, distinct from each other.
var swatches = []struct {
	name string
	c    draw.Color
}{
	{"Ink", draw.Color{R: 0x1e, G: 0x1e, B: 0x24, A: 255}},
	{"Grey", draw.Color{R: 0x86, G: 0x8e, B: 0x96, A: 255}},
	{"Red", draw.Color{R: 0xe0, G: 0x31, B: 0x31, A: 255}},
	{"Orange", draw.Color{R: 0xf0, G: 0x8c, B: 0x00, A: 255}},
	{"Green", draw.Color{R: 0x2f, G: 0x9e, B: 0x44, A: 255}},
	{"Blue", draw.Color{R: 0x19, G: 0x71, B: 0xc2, A: 255}},
	{"Violet", draw.Color{R: 0x70, G: 0x48, B: 0xe8, A: 255}},
	{"Pink", draw.Color{R: 0xd6, G: 0x33, B: 0x6c, A: 255}},
}

// widths are the line widths the palette offers (thin, medium, bold).
var widths = []float64{2, 4, 8}

// fillColor is the fill a new shape gets.
func (s Style) fillColor() draw.Color {
	switch s.Fill {
	case FillTint:
		c := s.Stroke
		c.A = 0x38
		return c
	case FillSolid:
		return s.Stroke
	}
	return draw.None
}

// textSize is the font size for new text: it follows the width choice, so the palette needs no
// separate size control.
func (s Style) textSize() float64 {
	switch {
	case s.Width <= widths[0]:
		return 18
	case s.Width <= widths[1]:
		return 26
	}
	return 40
}

// styleOf is the palette state that reproduces a shape's look (for picking up a selected shape).
func styleOf(sh draw.Shape) Style {
	st := Style{Stroke: sh.Stroke, Width: sh.Width}
	if sh.Kind == draw.KindText {
		switch {
		case sh.FontSize <= 18:
			st.Width = widths[0]
		case sh.FontSize <= 26:
			st.Width = widths[1]
		default:
			st.Width = widths[2]
		}
	}
	switch {
	case sh.Fill.A == 0:
		st.Fill = FillNone
	case sh.Fill.A == 255:
		st.Fill = FillSolid
	default:
		st.Fill = FillTint
	}
	return st
}

func nrgba(c draw.Color) color.NRGBA { return color.NRGBA{R: c.R, G: c.G, B: c.B, A: c.A} }
