package storetest

import (
	"fmt"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/sim"
)

// Faults is a family of fault scenarios; Schedule draws one member of the family from the
// world's seeded randomness and schedules it in [from, to] of virtual time. Everything it
// breaks is repaired by World.HealAll after to.
type Faults struct {
	Name string
	// Peers is the size of the space for a seed.
	Peers func(seed int64) int
	// SafetyOnly: faults after which the space need not recover (only safety is asserted).
	// No family needs it since the partition layer merges split rings.
	SafetyOnly bool
	// Duration, when set, replaces the scenario's Faulty: how long faults are injected.
	Duration time.Duration
	// LazyDisk, when set, runs the peers on lazily synced disks (sim.UseLazyDisk), as node/
	// runs them, so that World.MachineCrash can take unsynced writes back.
	LazyDisk *sim.LazyDiskConfig
	Schedule func(w *World, from, to ring.Time)
}

// between is a uniform random duration in [lo, hi].
func (w *World) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(w.Rand.Int64N(int64(hi-lo)+1))
}

// chance is true with probability p.
func (w *World) chance(p float64) bool { return w.Rand.Float64() < p }

// SetLinkBoth overrides both directions between a and b until HealAll.
func (w *World) SetLinkBoth(a, b string, l sim.Link) error {
	w.overrides = append(w.overrides, [2]string{a, b}, [2]string{b, a})
	return w.S.SetLinkBoth(a, b, l)
}

// SetLink overrides the directed link a→b until HealAll.
func (w *World) SetLink(a, b string, l sim.Link) error {
	w.overrides = append(w.overrides, [2]string{a, b})
	return w.S.SetLink(a, b, l)
}

// HealAll ends every fault: partitions, link overrides, the faulty default link (back to
// base), crashed peers (restarted) and commit-time crash injection (OnCommit, OnCommitted).
func (w *World) HealAll(base sim.Link) error {
	w.healed = true
	w.OnCommit = nil
	w.OnCommitted = nil
	w.S.Heal()
	for _, o := range w.overrides {
		w.S.ClearLink(o[0], o[1])
	}
	w.overrides = nil
	if err := w.S.SetDefaultLink(base); err != nil {
		return err
	}
	return w.RestartAll()
}

// crashFor crashes addr now and restarts it after d (unless everything was healed already).
func (w *World) crashFor(addr string, d time.Duration) {
	if addr == "" || w.down[addr] || w.healed {
		return
	}
	if err := w.Crash(addr); err != nil {
		w.fail(err)
		return
	}
	w.S.After(d, func() {
		if w.down[addr] && !w.healed {
			if err := w.Restart(addr); err != nil {
				w.fail(err)
			}
		}
	})
}

// split partitions the peers into two random sides of sizes k and n-k.
func (w *World) split(k int) [][]string {
	side := w.pick(w.Addrs, len(w.Addrs))
	return [][]string{side[:k], side[k:]}
}

// Crashes: peers crash and restart, some for less than failure detection, some for longer
// (their replicas move and come back); 5% of commits also crash their transaction manager
// 0–20 ms after it started, i.e. mid-commit. A crash happens only while fewer than two peers
// are unavailable (down, or restarted and not yet back in the ring), so that a majority of
// the ring stays joined: with every peer restarted before any rejoined, the ring could not
// re-form (restarted peers join through contacts; they never found a ring again).
func Crashes() Faults {
	return Faults{
		Name:  "crashes",
		Peers: func(int64) int { return 5 },
		Schedule: func(w *World, from, to ring.Time) {
			const maxDown = 2
			for t := from; ; {
				t = t.Add(w.between(300*time.Millisecond, 2*time.Second))
				if t >= to {
					break
				}
				w.S.At(t, func() {
					if w.Unavailable() < maxDown {
						w.crashFor(w.RandomLive(), w.between(200*time.Millisecond, 6*time.Second))
					}
				})
			}
			w.S.At(from, func() {
				w.OnCommit = func(addr string) {
					if w.S.Now() >= to || w.Unavailable() >= maxDown || !w.chance(0.05) {
						return
					}
					w.S.After(w.between(0, 20*time.Millisecond), func() {
						if w.Unavailable() < maxDown {
							w.crashFor(addr, w.between(200*time.Millisecond, 5*time.Second))
						}
					})
				}
			})
		},
	}
}

// Partitions: repeated splits shorter than failure detection — 2|3 and 1|4 of 5 peers, 3|4,
// 2|5 and 1|6 of 7 — with healed gaps between them.
func Partitions() Faults {
	return Faults{
		Name:  "partitions",
		Peers: func(seed int64) int { return 5 + 2*int(seed%2) },
		Schedule: func(w *World, from, to ring.Time) {
			for t := from; ; {
				t = t.Add(w.between(300*time.Millisecond, 2500*time.Millisecond))
				d := w.between(200*time.Millisecond, 1500*time.Millisecond)
				if t.Add(d) >= to {
					break
				}
				k := 1 + w.Rand.IntN(len(w.Addrs)/2) // minority side size
				groups := w.split(k)
				w.S.At(t, func() { w.S.Partition(groups...) })
				t = t.Add(d)
				w.S.At(t, w.S.Heal)
			}
		},
	}
}

// lossyLink is base with 1–5% loss, up to 5% duplication, more jitter and up to 20% of
// messages delayed by up to 100 ms more (reordering).
func (w *World) lossyLink(base sim.Link) sim.Link {
	l := base
	l.Loss = 0.01 + 0.04*w.Rand.Float64()
	l.Dup = 0.05 * w.Rand.Float64()
	l.Jitter = w.between(time.Millisecond, 5*time.Millisecond)
	l.Reorder = 0.2 * w.Rand.Float64()
	l.ReorderDelay = w.between(10*time.Millisecond, 100*time.Millisecond)
	return l
}

// Network: loss, duplication, jitter and reordering on every link, a few flapping links (down
// for 100–600 ms of every 1–4 s) and short one-way cuts.
func Network(base sim.Link) Faults {
	return Faults{
		Name:  "network",
		Peers: func(int64) int { return 5 },
		Schedule: func(w *World, from, to ring.Time) {
			lossy := w.lossyLink(base)
			w.S.At(from, func() {
				if err := w.S.SetDefaultLink(lossy); err != nil {
					w.fail(err)
				}
			})
			for range 1 + w.Rand.IntN(3) {
				pair := w.pick(w.Addrs, 2)
				fl := lossy
				fl.FlapPeriod = w.between(time.Second, 4*time.Second)
				fl.FlapDown = w.between(100*time.Millisecond, 600*time.Millisecond)
				w.S.At(from, func() {
					if err := w.SetLinkBoth(pair[0], pair[1], fl); err != nil {
						w.fail(err)
					}
				})
			}
			for t := from; ; {
				t = t.Add(w.between(time.Second, 4*time.Second))
				d := w.between(100*time.Millisecond, time.Second)
				if t.Add(d) >= to {
					break
				}
				pair := w.pick(w.Addrs, 2)
				cut := lossy
				cut.Down = true
				w.S.At(t, func() {
					if err := w.SetLink(pair[0], pair[1], cut); err != nil {
						w.fail(err)
					}
				})
				w.S.At(t.Add(d), func() { w.S.ClearLink(pair[0], pair[1]) })
			}
		},
	}
}

// SplitBrain: everything at once, including one partition longer than failure detection
// (majority|minority for 4–12 s), which splits the ring in two. The partition layer merges the
// rings after the heal, so recovery is asserted too.
func SplitBrain(base sim.Link) Faults {
	net := Network(base)
	return Faults{
		Name:     "split-brain",
		Peers:    func(seed int64) int { return 5 + 2*int(seed%2) },
		Duration: 15 * time.Second,
		Schedule: func(w *World, from, to ring.Time) {
			net.Schedule(w, from, to)
			d := w.between(4*time.Second, 12*time.Second)
			start := from.Add(w.between(0, max(0, to.Sub(from)-d)))
			groups := w.split(1 + w.Rand.IntN(len(w.Addrs)/2))
			w.S.At(start, func() { w.S.Partition(groups...) })
			w.S.At(start.Add(d), w.S.Heal)
			for t := from; ; {
				t = t.Add(w.between(time.Second, 5*time.Second))
				if t >= to {
					break
				}
				w.S.At(t, func() {
					if w.Unavailable() == 0 {
						w.crashFor(w.RandomLive(), w.between(200*time.Millisecond, 8*time.Second))
					}
				})
			}
		},
	}
}

// fail records a harness error (a fault that could not be applied).
func (w *World) fail(err error) { w.errs = append(w.errs, fmt.Errorf("harness: %w", err)) }
