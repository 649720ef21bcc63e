package ui

import (
	"image"
	"image/color"
	"math"

	"golang.org/x/image/vector"
)

// Logo draws the app's icon at size×size pixels: a white pen stroke on an indigo tile, joining
// three peers' dots. The same code makes Icon.png (internal/genicon) and the sidebar's logo, so
// they never drift apart.
func Logo(size int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	s := float32(size)
	z := vector.NewRasterizer(size, size)

	// Tile: a rounded square with a top-to-bottom indigo gradient.
	m, r := 0.04*s, 0.22*s
	roundRect(z, m, m, s-m, s-m, r)
	z.Draw(img, img.Bounds(), gradient{
		top:    color.NRGBA{R: 0x6d, G: 0x68, B: 0xf6, A: 0xff},
		bottom: color.NRGBA{R: 0x3f, G: 0x37, B: 0xc9, A: 0xff},
		h:      s,
	}, image.Point{})

	// The stroke: a cubic curve from lower left to upper right, drawn as a chain of discs.
	p0, p1, p2, p3 := [2]float32{0.25 * s, 0.70 * s}, [2]float32{0.42 * s, 0.18 * s}, [2]float32{0.55 * s, 0.88 * s}, [2]float32{0.75 * s, 0.33 * s}
	at := func(t float32) [2]float32 {
		u := 1 - t
		a, b, c, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
		return [2]float32{a*p0[0] + b*p1[0] + c*p2[0] + d*p3[0], a*p0[1] + b*p1[1] + c*p2[1] + d*p3[1]}
	}
	z.Reset(size, size)
	const steps = 240
	for i := 0; i <= steps; i++ {
		p := at(float32(i) / steps)
		circle(z, p[0], p[1], 0.045*s)
	}
	z.Draw(img, img.Bounds(), image.NewUniform(color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}), image.Point{})

	// Three peers on the stroke, each ringed in white.
	dots := []struct {
		t float32
		c color.NRGBA
	}{
		{0, color.NRGBA{R: 0xff, G: 0x6b, B: 0x6b, A: 0xff}},
		{0.5, color.NRGBA{R: 0xfc, G: 0xc4, B: 0x19, A: 0xff}},
		{1, color.NRGBA{R: 0x20, G: 0xc9, B: 0x97, A: 0xff}},
	}
	for _, d := range dots {
		p := at(d.t)
		z.Reset(size, size)
		circle(z, p[0], p[1], 0.095*s)
		z.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{})
		z.Reset(size, size)
		circle(z, p[0], p[1], 0.068*s)
		z.Draw(img, img.Bounds(), image.NewUniform(d.c), image.Point{})
	}
	return img
}

// gradient is a vertical two-colour gradient, as an image source for the rasteriser.
type gradient struct {
	top, bottom color.NRGBA
	h           float32
}

func (g gradient) ColorModel() color.Model { return color.NRGBAModel }
func (g gradient) Bounds() image.Rectangle {
	return image.Rect(-1e9, -1e9, 1e9, 1e9)
}
func (g gradient) At(_, y int) color.Color {
	t := math.Max(0, math.Min(1, float64(y)/float64(g.h)))
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*t)) }
	return color.NRGBA{R: mix(g.top.R, g.bottom.R), G: mix(g.top.G, g.bottom.G), B: mix(g.top.B, g.bottom.B), A: 0xff}
}

// circle adds a circle, always turning the same way so that overlapping circles unite.
func circle(z *vector.Rasterizer, cx, cy, r float32) {
	const n = 48
	z.MoveTo(cx+r, cy)
	for i := 1; i < n; i++ {
		a := 2 * math.Pi * float64(i) / n
		z.LineTo(cx+r*float32(math.Cos(a)), cy+r*float32(math.Sin(a)))
	}
	z.ClosePath()
}

// roundRect adds a rectangle with rounded corners of radius r.
func roundRect(z *vector.Rasterizer, x0, y0, x1, y1, r float32) {
	const k = 0.5523 // cubic approximation of a quarter circle
	z.MoveTo(x0+r, y0)
	z.LineTo(x1-r, y0)
	z.CubeTo(x1-r+k*r, y0, x1, y0+r-k*r, x1, y0+r)
	z.LineTo(x1, y1-r)
	z.CubeTo(x1, y1-r+k*r, x1-r+k*r, y1, x1-r, y1)
	z.LineTo(x0+r, y1)
	z.CubeTo(x0+r-k*r, y1, x0, y1-r+k*r, x0, y1-r)
	z.LineTo(x0, y0+r)
	z.CubeTo(x0, y0+r-k*r, x0+r-k*r, y0, x0+r, y0)
	z.ClosePath()
}
