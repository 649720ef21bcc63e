package space

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/detrans/detrans/app/draw"
	"github.com/stretchr/testify/require"
)

func startSpace(t *testing.T, name string) *Space {
	t.Helper()
	return startSpaceWith(t, Options{Name: name})
}

// startSpaceWith starts a space from o in a fresh directory on loopback (a quick reconnect),
// with the drawing rules registered, and closes it at the end of the test.
func startSpaceWith(t *testing.T, o Options) *Space {
	t.Helper()
	o.Root, o.Listen, o.Reconnect = t.TempDir(), []string{"/ip4/127.0.0.1/tcp/0"}, 200*time.Millisecond
	sp := New(o)
	draw.Register(sp.DrawStore())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, sp.Start(ctx))
	t.Cleanup(func() { _ = sp.Close() })
	return sp
}

func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, why)
		}
		<-tick.C
	}
}

// TestInviteJoinAndDrawTogether: Ana draws alone, invites Ben; Ben joins with the ticket and
// sees Ana's drawing; both draw and see each other's shapes; each sees the other in People.
func TestInviteJoinAndDrawTogether(t *testing.T) {
	ctx := context.Background()
	ana := startSpace(t, "Ana")
	ben := startSpace(t, "Ben")
	require.NotEqual(t, ana.ID(), ben.ID(), "everyone starts with a space of their own")

	libA, err := draw.NewLibrary(ana.DrawStore(), ana.Me().Author)
	require.NoError(t, err)
	info, err := libA.Create(ctx, "Plan")
	require.NoError(t, err)
	dA, err := draw.Open(ctx, ana.DrawStore(), info.ID, ana.Me().Author)
	require.NoError(t, err)
	_, err = dA.Add(ctx, draw.Shape{Kind: draw.KindRect, Points: []draw.Point{{X: 0, Y: 0}, {X: 10, Y: 10}}, Stroke: draw.Color{A: 255}, Width: 2})
	require.NoError(t, err)

	ticket, err := ana.Ticket()
	require.NoError(t, err)
	benAuthor := ben.Me().Author
	require.NotEqual(t, ana.Me().Author, benAuthor)
	require.NoError(t, ben.Join(ctx, ticket))
	require.Equal(t, ana.ID(), ben.ID())
	require.Equal(t, benAuthor, ben.Me().Author, "the author name stays across a switch of spaces")

	libB, err := draw.NewLibrary(ben.DrawStore(), ben.Me().Author)
	require.NoError(t, err)
	eventually(t, "Ben sees Ana's drawing", func() (bool, string) {
		list, err := libB.List(ctx)
		if err != nil || len(list) != 1 {
			return false, fmt.Sprintf("%v %v", list, err)
		}
		return true, ""
	})
	dB, err := draw.Open(ctx, ben.DrawStore(), info.ID, ben.Me().Author)
	require.NoError(t, err)
	eventually(t, "Ben sees Ana's shape", func() (bool, string) { return dB.Len() == 1, fmt.Sprint(dB.Len()) })
	_, err = dB.Add(ctx, draw.Shape{Kind: draw.KindEllipse, Points: []draw.Point{{X: 5, Y: 5}, {X: 20, Y: 20}}, Stroke: draw.Color{A: 255}, Width: 1})
	require.NoError(t, err)
	eventually(t, "Ana sees Ben's shape", func() (bool, string) { return dA.Len() == 2, fmt.Sprint(dA.Len()) })
	eventually(t, "people", func() (bool, string) {
		pa, pb := ana.People(ctx), ben.People(ctx)
		ok := len(pa) == 1 && pa[0].Name == "Ben" && pa[0].Online && len(pb) == 1 && pb[0].Name == "Ana"
		return ok, fmt.Sprintf("%+v / %+v", pa, pb)
	})
	eventually(t, "synced", func() (bool, string) {
		a, b := ana.DrawStore().Status(), ben.DrawStore().Status()
		return a.Pending == 0 && b.Pending == 0, fmt.Sprintf("%+v %+v", a, b)
	})
}

// TestRestartKeepsTheSpaceAndItsDrawings: the app restarts into the same space, offline-capable.
func TestRestartKeepsTheSpaceAndItsDrawings(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	open := func() *Space {
		sp := New(Options{Root: root, Name: "Ana", Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
		draw.Register(sp.DrawStore())
		require.NoError(t, sp.Start(ctx))
		return sp
	}
	sp := open()
	id := sp.ID()
	author := sp.Me().Author
	lib, err := draw.NewLibrary(sp.DrawStore(), sp.Me().Author)
	require.NoError(t, err)
	_, err = lib.Create(ctx, "Kept")
	require.NoError(t, err)
	require.NoError(t, sp.Close())
	sp = open()
	defer sp.Close()
	require.Equal(t, id, sp.ID())
	require.Equal(t, author, sp.Me().Author)
	lib, err = draw.NewLibrary(sp.DrawStore(), sp.Me().Author)
	require.NoError(t, err)
	list, err := lib.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "Kept", list[0].Name)
}

func TestJoinRejectsBadTicketAndKeepsTheSpace(t *testing.T) {
	sp := startSpace(t, "Ana")
	id := sp.ID()
	require.ErrorIs(t, sp.Join(context.Background(), "detrans1-zzzz"), ErrTicketDamaged)
	require.Equal(t, id, sp.ID())
}

func TestDamagedAuthorFileIsAClearError(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "author"), []byte("not an author!\n"), 0o600))
	sp := New(Options{Root: root, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	err := sp.Start(context.Background())
	require.ErrorContains(t, err, "not an author name")
	b, rerr := os.ReadFile(filepath.Join(root, "author"))
	require.NoError(t, rerr)
	require.Equal(t, "not an author!\n", string(b), "the file is left as it was")
}
