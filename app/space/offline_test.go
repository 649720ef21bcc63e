package space

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/detrans/detrans/app/draw"
	"github.com/detrans/detrans/node"
	"github.com/stretchr/testify/require"
)

// TestDrawConcurrentlyOfflineAndReconnect is the app's end-to-end case over real libp2p: Ana and
// Ben draw in one drawing at the same time; Ben goes offline (both peers block each other, which
// closes the connections) and both keep drawing, Ben also moving one of Ana's shapes that Ana
// recolours meanwhile and Ana deleting one of Ben's; on reconnect both drawings become
// identical and both outboxes drain to zero pending.
func TestDrawConcurrentlyOfflineAndReconnect(t *testing.T) {
	ctx := context.Background()
	ana := startSpaceWith(t, Options{Name: "Ana", AllowFaultInjection: true})
	ben := startSpaceWith(t, Options{Name: "Ben", AllowFaultInjection: true})
	ticket, err := ana.Ticket()
	require.NoError(t, err)
	require.NoError(t, ben.Join(ctx, ticket))

	libA, err := draw.NewLibrary(ana.DrawStore(), ana.Me().Author)
	require.NoError(t, err)
	info, err := libA.Create(ctx, "Plan")
	require.NoError(t, err)
	dA, err := draw.Open(ctx, ana.DrawStore(), info.ID, ana.Me().Author)
	require.NoError(t, err)
	defer dA.Close()
	libB, err := draw.NewLibrary(ben.DrawStore(), ben.Me().Author)
	require.NoError(t, err)
	eventually(t, "Ben sees the drawing", func() (bool, string) {
		infos, err := libB.List(ctx)
		return err == nil && len(infos) == 1, fmt.Sprint(infos, err)
	})
	dB, err := draw.Open(ctx, ben.DrawStore(), info.ID, ben.Me().Author)
	require.NoError(t, err)
	defer dB.Close()

	rect := func(i int) draw.Shape {
		x := float64(10 * i)
		return draw.Shape{Kind: draw.KindRect, Points: []draw.Point{{X: x, Y: x}, {X: x + 5, Y: x + 8}}, Stroke: draw.Color{A: 255}, Width: 2}
	}
	// Online, at the same time.
	var idsA, idsB []draw.ShapeID
	done := make(chan error, 1)
	go func() {
		for i := range 10 {
			id, err := dB.Add(ctx, rect(100+i))
			if err != nil {
				done <- err
				return
			}
			idsB = append(idsB, id)
		}
		done <- nil
	}()
	for i := range 10 {
		id, err := dA.Add(ctx, rect(i))
		require.NoError(t, err)
		idsA = append(idsA, id)
	}
	require.NoError(t, <-done)
	eventually(t, "both see 20 shapes", func() (bool, string) { return dA.Len() == 20 && dB.Len() == 20, fmt.Sprint(dA.Len(), dB.Len()) })

	// Replica groups move from Ana (the founder) to both; before that Ana alone holds every
	// group and rightly commits without Ben.
	eventually(t, "replica views follow the ring", func() (bool, string) {
		return node.GroupsFollowRing([]node.Status{ana.Node().Status(), ben.Node().Status()})
	})

	// Ben goes offline: each side blocks the other.
	require.NoError(t, ana.Node().Block(ben.Me().PeerID))
	require.NoError(t, ben.Node().Block(ana.Me().PeerID))
	for i := range 15 {
		_, err := dA.Add(ctx, rect(200+i))
		require.NoError(t, err)
		_, err = dB.Add(ctx, rect(300+i))
		require.NoError(t, err)
	}
	red := draw.Color{R: 220, A: 255}
	require.NoError(t, dA.Update(ctx, map[draw.ShapeID]draw.Patch{idsA[0]: {Stroke: &red}}))
	require.NoError(t, dB.Move(ctx, []draw.ShapeID{idsA[0]}, 7, 3))
	require.NoError(t, dA.Delete(ctx, []draw.ShapeID{idsB[0]}))
	require.Equal(t, 20+15-1, dA.Len(), "Ana's edits show at once, offline")
	require.Equal(t, 20+15, dB.Len(), "Ben's edits show at once, offline")
	// With two peers every group needs both, so neither side commits while they are apart.
	eventually(t, "both see they are offline, their edits pending", func() (bool, string) {
		a, b := dA.Status(), dB.Status()
		return !a.Online && !b.Online && a.Pending > 0 && b.Pending > 0, fmt.Sprintf("Ana %+v, Ben %+v", a, b)
	})
	require.Equal(t, 20+15-1, dA.Len(), "the local views keep the pending edits")
	require.Equal(t, 20+15, dB.Len())

	// Reconnect.
	require.NoError(t, ana.Node().Heal())
	require.NoError(t, ben.Node().Heal())
	eventually(t, "both outboxes drain", func() (bool, string) {
		a, b := dA.Status(), dB.Status()
		return a.Pending == 0 && b.Pending == 0, fmt.Sprintf("Ana %+v, Ben %+v", a, b)
	})
	eventually(t, "identical drawings", func() (bool, string) {
		a, b := dA.Shapes(), dB.Shapes()
		return slices.EqualFunc(a, b, sameShape), fmt.Sprintf("Ana %d shapes, Ben %d", len(a), len(b))
	})
	s, ok := dA.Shape(idsA[0])
	require.True(t, ok)
	require.Equal(t, red, s.Stroke, "Ana's recolour and Ben's move of the same shape both stay")
	require.Equal(t, rect(0).Points[0].X+7, s.Points[0].X)
	_, ok = dB.Shape(idsB[0])
	require.False(t, ok, "Ana's delete reaches Ben")
	require.Equal(t, 20+30-1, dA.Len())
}

func sameShape(a, b draw.Shape) bool {
	return a.ID == b.ID && a.Kind == b.Kind && slices.Equal(a.Points, b.Points) && a.Stroke == b.Stroke &&
		a.Width == b.Width && a.Z == b.Z && a.Text == b.Text
}
