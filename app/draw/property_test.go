package draw_test

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/detrans/detrans/app/draw"
	"github.com/detrans/detrans/app/draw/memstore"
)

// TestRandomInterleavingsConverge runs random edits, undos, commits, pulls and disconnections of
// three users and checks, after every step, that each model mirrors its store's local view and
// that tombstones stay bounded; and at the end, that everyone converges to the same drawing.
func TestRandomInterleavingsConverge(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := memstore.New()
		names := []string{"ann", "ben", "cid"}
		type peer struct {
			r   *memstore.Replica
			lib *draw.Library
			d   *draw.Drawing
		}
		ps := make([]*peer, len(names))
		for i, name := range names {
			r := n.Replica(name)
			lib, err := draw.NewLibrary(r, name)
			if err != nil {
				rt.Fatal(err)
			}
			ps[i] = &peer{r: r, lib: lib}
		}
		info, err := ps[0].lib.Create(ctx, "prop")
		if err != nil {
			rt.Fatal(err)
		}
		n.Sync()
		for _, p := range ps {
			if p.d, err = p.lib.Open(ctx, info.ID); err != nil {
				rt.Fatal(err)
			}
			defer p.d.Close()
		}
		pick := func(rt *rapid.T) *peer { return rapid.SampledFrom(ps).Draw(rt, "peer") }
		target := func(rt *rapid.T, p *peer) ([]draw.ShapeID, bool) {
			all := p.d.Shapes()
			if len(all) == 0 {
				return nil, false
			}
			return []draw.ShapeID{rapid.SampledFrom(all).Draw(rt, "shape").ID}, true
		}
		must := func(err error) {
			if err != nil {
				rt.Fatal(err)
			}
		}
		colors := []draw.Color{red, blue, draw.Black}

		rt.Repeat(map[string]func(*rapid.T){
			"add": func(rt *rapid.T) {
				p := pick(rt)
				x := rapid.Float64Range(0, 100).Draw(rt, "x")
				_, err := p.d.Add(ctx, rect(x, x, 10, 10))
				must(err)
			},
			"move": func(rt *rapid.T) {
				p := pick(rt)
				if ids, ok := target(rt, p); ok {
					must(p.d.Move(ctx, ids, rapid.Float64Range(-5, 5).Draw(rt, "dx"), 1))
				}
			},
			"recolour": func(rt *rapid.T) {
				p := pick(rt)
				if ids, ok := target(rt, p); ok {
					c := rapid.SampledFrom(colors).Draw(rt, "colour")
					must(p.d.Restyle(ctx, ids, draw.Style{Stroke: &c}))
				}
			},
			"front": func(rt *rapid.T) {
				p := pick(rt)
				if ids, ok := target(rt, p); ok {
					must(p.d.BringToFront(ctx, ids))
				}
			},
			"delete": func(rt *rapid.T) {
				p := pick(rt)
				if ids, ok := target(rt, p); ok {
					must(p.d.Delete(ctx, ids))
				}
			},
			"undo": func(rt *rapid.T) {
				if _, err := pick(rt).d.Undo(ctx); err != nil && err != draw.ErrNothingToUndo {
					rt.Fatal(err)
				}
			},
			"redo": func(rt *rapid.T) {
				if _, err := pick(rt).d.Redo(ctx); err != nil && err != draw.ErrNothingToRedo {
					rt.Fatal(err)
				}
			},
			"flush":   func(rt *rapid.T) { pick(rt).r.Flush() },
			"pull":    func(rt *rapid.T) { pick(rt).r.Pull() },
			"offline": func(rt *rapid.T) { pick(rt).r.SetOnline(rapid.Bool().Draw(rt, "online")) },
			"": func(rt *rapid.T) {
				for i, p := range ps {
					fresh, err := p.lib.Open(ctx, info.ID)
					must(err)
					want, got := strip(fresh.Shapes()), strip(p.d.Shapes())
					fresh.Close()
					if fmt.Sprint(want) != fmt.Sprint(got) {
						rt.Fatalf("%s's model differs from its local view:\nmodel %v\nview  %v", names[i], got, want)
					}
					for who, k := range p.d.Tombstones() {
						if k > draw.MaxTombstones {
							rt.Fatalf("%s sees %d tombstones of %s", names[i], k, who)
						}
					}
				}
			},
		})

		for _, p := range ps {
			p.r.SetOnline(true)
		}
		n.Sync()
		n.Sync()
		want := fmt.Sprint(strip(ps[0].d.Shapes()))
		for i, p := range ps {
			if p.r.Status().Pending != 0 {
				rt.Fatalf("%s still has %d pending", names[i], p.r.Status().Pending)
			}
			if got := fmt.Sprint(strip(p.d.Shapes())); got != want {
				rt.Fatalf("%s did not converge:\n%s\nvs\n%s", names[i], got, want)
			}
		}
	})
}
