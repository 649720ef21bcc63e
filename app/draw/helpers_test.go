package draw_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/app/draw"
	"github.com/detrans/detrans/app/draw/memstore"
)

var ctx = context.Background()

// user is one peer with the test drawing open.
type user struct {
	name string
	r    *memstore.Replica
	lib  *draw.Library
	d    *draw.Drawing

	mu     sync.Mutex
	events []draw.Event
}

func (u *user) takeEvents() []draw.Event {
	u.mu.Lock()
	defer u.mu.Unlock()
	evs := u.events
	u.events = nil
	return evs
}

func (u *user) notices() []string {
	var out []string
	for _, ev := range u.takeEvents() {
		out = append(out, ev.Notices...)
	}
	return out
}

// setup creates a network where names[0] creates a drawing and everyone opens it, all synced.
func setup(t *testing.T, names ...string) (*memstore.Network, []*user) {
	t.Helper()
	n := memstore.New()
	us := make([]*user, len(names))
	for i, name := range names {
		r := n.Replica(name)
		lib, err := draw.NewLibrary(r, name)
		require.NoError(t, err)
		us[i] = &user{name: name, r: r, lib: lib}
	}
	info, err := us[0].lib.Create(ctx, "test board")
	require.NoError(t, err)
	n.Sync()
	for _, u := range us {
		d, err := u.lib.Open(ctx, info.ID)
		require.NoError(t, err)
		u.d = d
		u := u
		u.d.Subscribe(func(ev draw.Event) {
			u.mu.Lock()
			u.events = append(u.events, ev)
			u.mu.Unlock()
		})
		t.Cleanup(d.Close)
	}
	return n, us
}

func rect(x, y, w, h float64) draw.Shape {
	return draw.Shape{Kind: draw.KindRect, Points: []draw.Point{{X: x, Y: y}, {X: x + w, Y: y + h}}, Stroke: draw.Black, Width: 2}
}

func line(x0, y0, x1, y1 float64) draw.Shape {
	return draw.Shape{Kind: draw.KindLine, Points: []draw.Point{{X: x0, Y: y0}, {X: x1, Y: y1}}, Stroke: draw.Black, Width: 1}
}

func text(x, y float64, s string) draw.Shape {
	return draw.Shape{Kind: draw.KindText, Points: []draw.Point{{X: x, Y: y}}, Stroke: draw.Black, Text: s, FontSize: 12}
}

func add(t *testing.T, u *user, s draw.Shape) draw.ShapeID {
	t.Helper()
	id, err := u.d.Add(ctx, s)
	require.NoError(t, err)
	return id
}

func get(t *testing.T, u *user, id draw.ShapeID) draw.Shape {
	t.Helper()
	s, ok := u.d.Shape(id)
	require.True(t, ok, "%s should see shape %s", u.name, id)
	return s
}

func gone(t *testing.T, u *user, id draw.ShapeID) {
	t.Helper()
	_, ok := u.d.Shape(id)
	require.False(t, ok, "%s should not see shape %s", u.name, id)
}

var (
	red  = draw.Color{R: 255, A: 255}
	blue = draw.Color{B: 255, A: 255}
)

func ptr[T any](v T) *T { return &v }

// sameEverywhere checks that every user paints the same picture.
func sameEverywhere(t *testing.T, us []*user) {
	t.Helper()
	want := strip(us[0].d.Shapes())
	for _, u := range us[1:] {
		require.Equal(t, want, strip(u.d.Shapes()), "%s differs from %s", u.name, us[0].name)
	}
}

// strip drops Version, which lags for one's own edits until they are read back.
func strip(ss []draw.Shape) []draw.Shape {
	for i := range ss {
		ss[i].Version = 0
	}
	return ss
}

func containsNotice(ns []string, sub string) bool {
	for _, n := range ns {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}
