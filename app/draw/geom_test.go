package draw

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBoxAndBounds(t *testing.T) {
	s := Shape{Kind: KindStroke, Points: []Point{{5, 5}, {0, 10}, {20, 0}}, Width: 4}
	require.Equal(t, Rect{Point{0, 0}, Point{20, 10}}, s.Box())
	require.Equal(t, Rect{Point{-2, -2}, Point{22, 12}}, s.Bounds())

	a := Shape{Kind: KindArrow, Points: []Point{{0, 0}, {100, 0}}, Width: 2}
	require.Equal(t, -arrowHeadLen(2), a.Bounds().Min.Y, "the head is inside the bounds")

	txt := Shape{Kind: KindText, Points: []Point{{10, 10}}, Text: "ab\nlonger", FontSize: 10}
	b := txt.Box()
	require.InDelta(t, 10+6*textAdvance*10, b.Max.X, 1e-9)
	require.InDelta(t, 10+2*textLineHeight*10, b.Max.Y, 1e-9)
	require.Equal(t, b, txt.Bounds())
}

func TestHit(t *testing.T) {
	line := Shape{Kind: KindLine, Points: []Point{{0, 0}, {100, 0}}, Width: 2}
	require.True(t, line.Hit(Point{50, 1.5}, 1))
	require.False(t, line.Hit(Point{50, 3}, 1))
	require.False(t, line.Hit(Point{103, 0}, 1))

	rect := Shape{Kind: KindRect, Points: []Point{{0, 0}, {100, 50}}, Width: 2}
	require.True(t, rect.Hit(Point{100, 25}, 0.5))
	require.False(t, rect.Hit(Point{50, 25}, 0.5), "an unfilled rect is hit on its outline only")
	rect.Fill = Color{255, 0, 0, 255}
	require.True(t, rect.Hit(Point{50, 25}, 0.5))

	ell := Shape{Kind: KindEllipse, Points: []Point{{0, 0}, {100, 100}}, Width: 2}
	require.True(t, ell.Hit(Point{100, 50}, 0.5))
	require.True(t, ell.Hit(Point{50, 0.5}, 0.5))
	require.False(t, ell.Hit(Point{50, 50}, 0.5))
	require.False(t, ell.Hit(Point{3, 3}, 0.5), "the corner of the box is outside the ellipse")
	ell.Fill = Color{0, 0, 255, 128}
	require.True(t, ell.Hit(Point{50, 50}, 0.5))

	flat := Shape{Kind: KindEllipse, Points: []Point{{0, 10}, {100, 10}}, Width: 2}
	require.True(t, flat.Hit(Point{50, 10}, 0.5))

	dot := Shape{Kind: KindStroke, Points: []Point{{5, 5}}, Width: 4}
	require.True(t, dot.Hit(Point{6, 6}, 0))
	require.False(t, dot.Hit(Point{9, 9}, 0))

	txt := Shape{Kind: KindText, Points: []Point{{0, 0}}, Text: "hello", FontSize: 10}
	require.True(t, txt.Hit(Point{20, 5}, 0))
	require.False(t, txt.Hit(Point{40, 5}, 0))
}

func TestResized(t *testing.T) {
	r := Shape{Kind: KindRect, Points: []Point{{0, 0}, {10, 20}}}
	pts, fs := r.Resized(Rect{Point{100, 100}, Point{120, 110}})
	require.Equal(t, []Point{{100, 100}, {120, 110}}, pts)
	require.Zero(t, fs)

	h := Shape{Kind: KindLine, Points: []Point{{0, 5}, {10, 5}}}
	pts, _ = h.Resized(Rect{Point{0, 50}, Point{30, 60}})
	require.Equal(t, []Point{{0, 50}, {30, 50}}, pts, "a flat box moves, not scales, in its flat dimension")

	txt := Shape{Kind: KindText, Points: []Point{{0, 0}}, Text: "x", FontSize: 10}
	pts, fs = txt.Resized(Rect{Point{5, 5}, Point{50, 5 + 2*txt.Box().Dy()}})
	require.Equal(t, []Point{{5, 5}}, pts)
	require.InDelta(t, 20, fs, 1e-9)

	moved := r.Moved(3, -1)
	require.Equal(t, []Point{{3, -1}, {13, 19}}, moved)
	require.Equal(t, Point{0, 0}, r.Points[0], "Moved does not touch the shape")
}
