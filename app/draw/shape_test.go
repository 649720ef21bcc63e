package draw

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseColor(t *testing.T) {
	c, err := ParseColor("#102030")
	require.NoError(t, err)
	require.Equal(t, Color{0x10, 0x20, 0x30, 0xff}, c)
	c, err = ParseColor("#10203040")
	require.NoError(t, err)
	require.Equal(t, Color{0x10, 0x20, 0x30, 0x40}, c)
	require.Equal(t, "#10203040", c.String())
	for _, bad := range []string{"", "#", "102030", "#1020", "#10203g", "#+10203", "#1020304050", "red"} {
		_, err := ParseColor(bad)
		require.Error(t, err, bad)
	}
}

func TestShapeIDRoundTrip(t *testing.T) {
	id := ShapeID{"alice.p-1", 42}
	got, err := ParseShapeID(id.String())
	require.NoError(t, err)
	require.Equal(t, id, got)
	for _, bad := range []string{"alice", "alice/0", "alice/-1", "alice/x", "/1", "al ice/1", "a/b/1", strings.Repeat("a", 129) + "/1"} {
		_, err := ParseShapeID(bad)
		require.Error(t, err, bad)
	}
}

func validRect() Shape {
	return Shape{Kind: KindRect, Points: []Point{{0, 0}, {10, 20}}, Stroke: Black, Width: 2}
}

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Shape)
		want string
	}{
		{"kind", func(s *Shape) { s.Kind = "star" }, "kind:"},
		{"too few points", func(s *Shape) { s.Points = s.Points[:1] }, "points: a rect has 2 points, got 1"},
		{"nan", func(s *Shape) { s.Points[1].Y = math.NaN() }, "points[1].y"},
		{"far", func(s *Shape) { s.Points[0].X = 2e6 }, "points[0].x"},
		{"width", func(s *Shape) { s.Width = -1 }, "width:"},
		{"width nan", func(s *Shape) { s.Width = math.NaN() }, "width:"},
		{"z", func(s *Shape) { s.Z = math.Inf(1) }, "z:"},
		{"text on rect", func(s *Shape) { s.Text = "hi" }, "text: only a text shape"},
		{"font size", func(s *Shape) { s.Kind, s.Points, s.Text, s.FontSize = KindText, s.Points[:1], "x", 0 }, "size:"},
		{"empty text", func(s *Shape) { s.Kind, s.Points, s.Text, s.FontSize = KindText, s.Points[:1], " \n", 12 }, "text: a text shape needs"},
		{"bad utf8", func(s *Shape) { s.Kind, s.Points, s.Text, s.FontSize = KindText, s.Points[:1], "a\xff", 12 }, "UTF-8"},
		{"stroke points", func(s *Shape) { s.Kind, s.Points = KindStroke, nil }, "points: a stroke has 1 to"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := validRect()
			s.Points = append([]Point(nil), s.Points...)
			c.edit(&s)
			err := s.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
	s := validRect()
	require.NoError(t, s.Validate())
}

func TestCloneDoesNotAlias(t *testing.T) {
	s := validRect()
	c := s.Clone()
	c.Points[0].X = 99
	require.Equal(t, 0.0, s.Points[0].X)
}
