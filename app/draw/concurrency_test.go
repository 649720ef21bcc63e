package draw_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/detrans/detrans/app/draw"
)

// TestUIAndStoreGoroutinesRace drives edits from "UI" goroutines while another goroutine plays the
// store's committer, delivering remote changes; run with -race.
func TestUIAndStoreGoroutinesRace(t *testing.T) {
	n, us := setup(t, "alice", "bob")
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the committer
		defer wg.Done()
		for !stop.Load() {
			n.Sync()
		}
	}()
	var seen atomic.Int64
	for _, u := range us {
		u.d.Subscribe(func(ev draw.Event) {
			seen.Add(1)
			for _, id := range ev.Changed {
				u.d.Shape(id) // subscribers may call back into the model
			}
		})
	}
	var editors sync.WaitGroup
	for i, u := range us {
		editors.Add(1)
		go func() {
			defer editors.Done()
			var mine []draw.ShapeID
			for k := 0; k < 150; k++ {
				switch {
				case k%5 == 0 || len(mine) == 0:
					id, err := u.d.Add(ctx, rect(float64(k), float64(i*100), 10, 10))
					assert.NoError(t, err)
					mine = append(mine, id)
				case k%5 == 1:
					err := u.d.Move(ctx, mine[len(mine)-1:], 1, 1)
					if err != nil {
						assert.ErrorIs(t, err, draw.ErrNoShape) // deleted meanwhile by the other
					}
				case k%5 == 2:
					// Edit the other user's shapes too, to make conflicts.
					if all := u.d.Shapes(); len(all) > 0 {
						err := u.d.Restyle(ctx, []draw.ShapeID{all[k%len(all)].ID}, draw.Style{Stroke: &red})
						if err != nil {
							assert.ErrorIs(t, err, draw.ErrNoShape)
						}
					}
				case k%5 == 3:
					_, err := u.d.Undo(ctx)
					if err != nil {
						assert.ErrorIs(t, err, draw.ErrNothingToUndo)
					}
				default:
					if all := u.d.Shapes(); len(all) > 0 {
						assert.NoError(t, u.d.Delete(ctx, []draw.ShapeID{all[0].ID}))
					}
				}
				u.d.Visible(draw.Rect{Max: draw.Point{X: 100, Y: 100}})
				u.d.At(draw.Point{X: 5, Y: 5}, 1)
			}
		}()
	}
	editors.Wait()
	stop.Store(true)
	wg.Wait()
	n.Sync()
	n.Sync()
	sameEverywhere(t, us)
	require.Positive(t, seen.Load())
	for _, u := range us {
		require.Zero(t, u.r.Status().Pending)
		fresh, err := u.lib.Open(context.Background(), u.d.ID())
		require.NoError(t, err)
		require.Equal(t, strip(fresh.Shapes()), strip(u.d.Shapes()), "%s's model mirrors the store", u.name)
		fresh.Close()
	}
}
