package draw

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// ExportOptions chooses what an export covers and how.
type ExportOptions struct {
	// Area is the part of the drawing to export. Zero: the shapes' extent grown by Margin (an empty
	// drawing exports a blank 100×100 area at the origin).
	Area   Rect
	Margin float64
	// Scale is PNG pixels per drawing unit (0 means 1). SVG stays in drawing units.
	Scale float64
	// Background fills the area first; A == 0 leaves it transparent.
	Background Color
}

// MaxExportPixels bounds a PNG export (a drawing's extent can be huge).
const MaxExportPixels = 64 << 20

// White is an opaque white, the usual export background.
var White = Color{255, 255, 255, 255}

// area resolves the exported area for shapes.
func (o ExportOptions) area(shapes []Shape) (Rect, error) {
	if o.Area != (Rect{}) {
		r := Canon(o.Area.Min, o.Area.Max)
		if !(r.Dx() > 0 && r.Dy() > 0) || validCoord(r.Min.X) != nil || validCoord(r.Min.Y) != nil ||
			validCoord(r.Max.X) != nil || validCoord(r.Max.Y) != nil {
			return Rect{}, errors.New("export: the area must be a finite box with some width and height")
		}
		return r, nil
	}
	if !(o.Margin >= 0 && o.Margin <= MaxCoord) {
		return Rect{}, fmt.Errorf("export: margin %v is outside 0..%g", o.Margin, MaxCoord)
	}
	if len(shapes) == 0 {
		return Rect{Max: Point{100, 100}}, nil
	}
	r := shapes[0].Bounds()
	for i := range shapes[1:] {
		r = r.Union(shapes[i+1].Bounds())
	}
	r = r.Inset(o.Margin)
	// Whole units keep the output stable under tiny float differences.
	return Rect{Point{math.Floor(r.Min.X), math.Floor(r.Min.Y)}, Point{math.Ceil(r.Max.X), math.Ceil(r.Max.Y)}}, nil
}

func (o ExportOptions) scale() (float64, error) {
	if o.Scale == 0 {
		return 1, nil
	}
	if !(o.Scale > 0 && o.Scale <= 100) {
		return 0, fmt.Errorf("export: scale %v is outside (0, 100]", o.Scale)
	}
	return o.Scale, nil
}

// num formats a coordinate for SVG: at most 3 decimals, no exponent, no "-0".
func num(v float64) string {
	v = math.Round(v*1000) / 1000
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// ExportSVG writes the drawing as SVG.
func (d *Drawing) ExportSVG(w io.Writer, o ExportOptions) error { return WriteSVG(w, d.Shapes(), o) }

// ExportPNG writes the drawing as PNG.
func (d *Drawing) ExportPNG(w io.Writer, o ExportOptions) error { return WritePNG(w, d.Shapes(), o) }
