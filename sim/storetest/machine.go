package storetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/sim"
	"github.com/detrans/detrans/txn"
)

// MachineCrash is a power loss at addr (running or down after a process crash): the operations
// in flight on it are lost as with Crash, and so are its writes not yet synced, except the first
// keep of them. It needs a world on lazy disks (Faults.LazyDisk).
func (w *World) MachineCrash(addr string, keep int) error {
	if w.Lazy == nil {
		return fmt.Errorf("machine crash %s: the peers do not run on lazy disks", addr)
	}
	if w.S.Machine(addr) != nil {
		if err := w.Crash(addr); err != nil {
			return err
		}
	}
	w.MachineCrashes++
	_, err := w.Lazy.MachineCrash(addr, keep)
	return err
}

// powerCycle power-cycles addr now (a process crash instead when process is set) and restarts
// it after d, unless everything was healed already. A quarter of the power losses keep a random
// prefix of the unsynced writes (the kernel had written some back).
func (w *World) powerCycle(addr string, d time.Duration, process bool) {
	if addr == "" || w.down[addr] || w.healed {
		return
	}
	if process {
		w.crashFor(addr, d)
		return
	}
	keep := 0
	if w.chance(0.25) {
		keep = w.Rand.IntN(w.Lazy.Unsynced(addr) + 1)
	}
	if err := w.MachineCrash(addr, keep); err != nil {
		w.fail(err)
		return
	}
	w.S.After(d, func() {
		if w.down[addr] && !w.healed {
			if err := w.Restart(addr); err != nil {
				w.fail(err)
			}
			// The restart moves replicas back: strike a peer as it writes a view-change step.
			if w.chance(0.5) {
				w.armPowerLossAt(w.RandomLive(), w.between(50*time.Millisecond, time.Second), 3*time.Second, (len(w.Addrs)-1)/2, viewChange)
			}
		}
	})
}

// armedLoss is a power loss that strikes at a peer's next write (of a kind).
type armedLoss struct {
	gen   uint64
	down  time.Duration // how long the peer stays off
	limit int           // the loss waits while limit or more peers are unavailable
	only  func(txn.MsgType) bool
}

// armPowerLoss powers addr off right after its next write (before that write can be synced:
// the most damaging moment, when what the write promises may already have left as an unbound
// message) and restarts it after down. If addr writes nothing within wait, it loses power then.
func (w *World) armPowerLoss(addr string, down, wait time.Duration, limit int) {
	w.armPowerLossAt(addr, down, wait, limit, nil)
}

// armPowerLossAt is armPowerLoss for a write whose output carries a transaction message of a
// type only accepts (nil: any write).
func (w *World) armPowerLossAt(addr string, down, wait time.Duration, limit int, only func(txn.MsgType) bool) {
	if addr == "" || w.down[addr] || w.healed {
		return
	}
	if w.armed == nil {
		w.armed = map[string]armedLoss{}
	}
	w.armGen++
	gen := w.armGen
	w.armed[addr] = armedLoss{gen: gen, down: down, limit: limit, only: only}
	w.S.After(wait, func() {
		if a, ok := w.armed[addr]; ok && a.gen == gen {
			delete(w.armed, addr)
			w.strike(addr, a)
		}
	})
}

func (w *World) onWrite(addr string, msgs []core.Msg) {
	a, ok := w.armed[addr]
	if !ok {
		return
	}
	if a.only != nil && !slices.ContainsFunc(msgs, func(m core.Msg) bool { return m.Txn != nil && a.only(m.Txn.Type) }) {
		return
	}
	delete(w.armed, addr)
	if w.Struck == nil {
		w.Struck = map[string]int{}
	}
	for _, m := range msgs {
		if m.Txn != nil && !m.Txn.Unbound() && m.Dst() != addr {
			w.Struck[m.Txn.Type.String()]++
		}
	}
	// Right after the Ready that wrote, before anything else happens: inside Ready the peer
	// must not be crashed.
	w.S.At(w.S.Now(), func() { w.strike(addr, a) })
}

func (w *World) strike(addr string, a armedLoss) {
	if w.Unavailable() < a.limit {
		w.powerCycle(addr, a.down, false)
	}
}

// promises is true for the transaction messages that show or promise replica, acceptor or
// view state (every one node/ holds for the sync).
func promises(t txn.MsgType) bool { return !(txn.Message{Type: t}).Unbound() }

// viewChange is true for the messages of a view change: promises, acceptances, the chosen view
// and the state transfer's replies.
func viewChange(t txn.MsgType) bool {
	switch t {
	case txn.MsgVPromise, txn.MsgVAccepted, txn.MsgVChosen, txn.MsgPullReply:
		return true
	}
	return false
}

// groupMembers lists the distinct members of group g as the first running peer that serves it
// has installed them (nil if none does).
func (w *World) groupMembers(g int) []string {
	for _, a := range w.Live() {
		p, ok := w.S.Machine(a).(*sim.Peer)
		if !ok || p.P == nil {
			continue
		}
		v, ready := p.P.Txn.Installed(g)
		if !ready {
			continue
		}
		var out []string
		for _, s := range v.Slots {
			if !slices.Contains(out, s.Addr) {
				out = append(out, s.Addr)
			}
		}
		return out
	}
	return nil
}

// placement is the space's replica placement.
func (w *World) placement() (txn.Placement, bool) {
	for _, a := range w.Live() {
		if p, ok := w.S.Machine(a).(*sim.Peer); ok && p.P != nil {
			return p.P.Txn.Placement(), true
		}
	}
	return txn.Placement{}, false
}

// MachineCrashes: power losses on lazily synced disks (sim.UseLazyDisk: node/'s group commit,
// where a write is synced a little later and only the messages that depend on nothing wait for
// nothing), so that whatever a peer let out before its writes were durable is contradicted by
// the state it restarts with. The faults:
//   - random peers lose power (a quarter of them crash only their process instead, and some of
//     those then also lose power while down) and restart 50 ms–4 s later;
//   - 5% of commits power off their transaction manager 0–10 ms after it started (mid-commit);
//   - 8% of acknowledged commits power off one or two members of a written key's replica group
//     0–2 ms after the client was told (right after the commit);
//   - every 0.5–2 s a random peer loses power right after its next write whose output holds a
//     promise (a vote, an acceptance, a decision, a reply that shows state, a view-change
//     step), and after half the restarts a random peer right after its next view-change write
//     (a restart moves replicas back);
//   - storms: one, two or (of 7 peers) all three members of a random replica group are
//     power-cycled 2–5 times in a row (down 20–400 ms, up 100–800 ms).
//
// Odd seeds run 7 peers, even seeds 5. As in Crashes, a peer goes down only while fewer than
// half the peers are unavailable (down, or restarted and not yet back in the ring), so that a
// majority of the ring stays joined.
func MachineCrashes() Faults {
	return Faults{
		Name:     "machine-crashes",
		Peers:    func(seed int64) int { return 5 + 2*int(seed%2) },
		LazyDisk: &sim.LazyDiskConfig{SyncMin: 200 * time.Microsecond, SyncMax: 8 * time.Millisecond},
		Schedule: func(w *World, from, to ring.Time) {
			maxDown := (len(w.Addrs) - 1) / 2
			for t := from; ; {
				t = t.Add(w.between(300*time.Millisecond, 2*time.Second))
				if t >= to {
					break
				}
				w.S.At(t, func() {
					if w.Unavailable() >= maxDown {
						return
					}
					addr, d := w.RandomLive(), w.between(50*time.Millisecond, 4*time.Second)
					process := w.chance(0.25)
					if !process && w.chance(0.6) {
						w.armPowerLoss(addr, d, time.Second, maxDown)
						return
					}
					w.powerCycle(addr, d, process)
					if process && w.chance(0.5) {
						w.S.After(w.between(0, d), func() {
							if w.down[addr] && !w.healed {
								if err := w.MachineCrash(addr, 0); err != nil {
									w.fail(err)
								}
							}
						})
					}
				})
			}
			for t := from; ; {
				t = t.Add(w.between(500*time.Millisecond, 2*time.Second))
				if t >= to {
					break
				}
				w.S.At(t, func() {
					w.armPowerLossAt(w.RandomLive(), w.between(50*time.Millisecond, 2*time.Second), time.Second, maxDown, promises)
				})
			}
			for t := from; ; {
				t = t.Add(w.between(time.Second, 4*time.Second))
				if t >= to {
					break
				}
				k := 1 + w.Rand.IntN(min(3, maxDown))
				w.S.At(t, func() { w.storm(k, maxDown) })
			}
			w.S.At(from, func() {
				w.OnCommit = func(addr string) {
					if w.S.Now() >= to || w.Unavailable() >= maxDown || !w.chance(0.05) {
						return
					}
					w.loseOrCycle(addr, w.between(100*time.Millisecond, 3*time.Second), 10*time.Millisecond, maxDown)
				}
				w.OnCommitted = func(addr string, spec txn.TxSpec) {
					if w.S.Now() >= to || len(spec.Ops) == 0 || !w.chance(0.08) {
						return
					}
					pl, ok := w.placement()
					if !ok {
						return
					}
					op := spec.Ops[w.Rand.IntN(len(spec.Ops))]
					members := w.pick(w.groupMembers(pl.GroupOf(op.Key)), 1+w.Rand.IntN(2))
					for _, m := range members {
						w.loseOrCycle(m, w.between(50*time.Millisecond, 2*time.Second), 2*time.Millisecond, maxDown)
					}
				}
			})
		},
	}
}

// storm power-cycles k members of a random replica group several times in a row; a round is
// skipped while that would leave more than maxDown peers unavailable.
func (w *World) storm(k, maxDown int) {
	pl, ok := w.placement()
	if !ok || w.healed {
		return
	}
	victims := w.pick(w.groupMembers(w.Rand.IntN(pl.Groups)), k)
	rounds := 2 + w.Rand.IntN(4)
	var round func()
	round = func() {
		if rounds == 0 || w.healed {
			return
		}
		rounds--
		down := w.between(20*time.Millisecond, 400*time.Millisecond)
		if w.Unavailable()+len(victims) <= maxDown {
			armed := w.chance(0.5)
			for _, v := range victims {
				if w.S.Machine(v) != nil && w.joined(v) {
					if armed {
						w.armPowerLoss(v, down, 200*time.Millisecond, maxDown)
					} else {
						w.powerCycle(v, down, false)
					}
				}
			}
		}
		w.S.After(down+w.between(100*time.Millisecond, 800*time.Millisecond), round)
	}
	round()
}

// loseOrCycle takes addr down for d, by a coin toss either with a power loss armed for its next
// write or with a power cycle within jitter (unless maxDown peers are down by then).
func (w *World) loseOrCycle(addr string, d, jitter time.Duration, maxDown int) {
	if w.chance(0.5) {
		w.armPowerLoss(addr, d, 50*time.Millisecond, maxDown)
		return
	}
	w.S.After(w.between(0, jitter), func() {
		if w.Unavailable() < maxDown {
			w.powerCycle(addr, d, false)
		}
	})
}
