package ring

import (
	"slices"
	"time"
)

// detector is the failure detector for this node's direct neighbours (successor and
// predecessor). Every message from a neighbour counts as a heartbeat; the stabilisation exchange
// with the successor every StabilizePeriod keeps both directions busy, so explicit pings are sent
// only after a period of silence. A probe that is not answered within the adaptive timeout
// (srtt + 4·rttvar, clamped) is a miss; SuspectAfter misses in a row make the node suspected, and
// a suspect that stays silent for SuspectPeriod is removed.
//
// Lifeguard's lesson (memberlist): when this node itself is slow, all its probes time out and it
// would accuse everyone. A local-health score counts recent misses and stretches every timeout
// and suspicion period by (1 + score); answers bring it back down.
//
// Backups: when a neighbour is suspected, the rest of the list behind it (successor or
// predecessor list) is pinged at once. A partition usually takes a whole run of neighbours, and
// checking them one after the other (each only once it became the first) cost a dozen seconds
// each; in parallel the dead ones are suspected and removed together, and the live ones, having
// answered, are not watched any more. Their misses do not raise the health score: they follow
// from the neighbour's failure and say nothing about this node's own speed.
type detector struct {
	cfg    Config
	probes []*probe // deterministic order
	health int      // local health score, 0 (healthy) .. maxHealth
}

const maxHealth = 8

type probe struct {
	ref         NodeRef
	lastHeard   Time
	outstanding bool
	deadline    Time
	misses      int
	suspectedAt Time // 0: not suspected
	srtt        time.Duration
	rttvar      time.Duration
	samples     int
	backup      bool // checked because a neighbour in front of it was suspected; not a neighbour
}

func (d *detector) init(cfg Config) { d.cfg = cfg }

func (d *detector) find(addr string) *probe {
	for _, p := range d.probes {
		if p.ref.Addr == addr {
			return p
		}
	}
	return nil
}

// monitor starts watching ref (no-op if already watched).
func (d *detector) monitor(now Time, ref NodeRef) {
	if p := d.find(ref.Addr); p != nil {
		p.ref = ref
		p.backup = false
		return
	}
	d.probes = append(d.probes, &probe{ref: ref, lastHeard: now})
}

// check pings ref now as a backup (see the type's comment), unless it is watched already.
func (d *detector) check(now Time, ref NodeRef) {
	if ref.IsZero() || d.find(ref.Addr) != nil {
		return
	}
	d.probes = append(d.probes, &probe{ref: ref, lastHeard: now.Add(-d.cfg.StabilizePeriod), backup: true})
}

// unmonitor stops watching addr unless it is still a neighbour.
func (d *detector) unmonitor(addr string, stillNeeded bool) {
	if stillNeeded {
		return
	}
	d.forget(addr)
}

func (d *detector) forget(addr string) {
	d.probes = slices.DeleteFunc(d.probes, func(p *probe) bool { return p.ref.Addr == addr })
}

// heard records any message from addr: it is alive.
func (d *detector) heard(now Time, addr string) {
	p := d.find(addr)
	if p == nil {
		return
	}
	if p.backup {
		d.forget(addr) // alive: it stays in our lists, and only neighbours are watched
		return
	}
	p.lastHeard = now
	p.outstanding = false
	d.better() // a neighbour got through to us: we are not the slow one
	p.misses = 0
	p.suspectedAt = 0
}

// answered feeds a round-trip sample from a reply that echoes our send time.
func (d *detector) answered(now Time, addr string, sent Time) {
	p := d.find(addr)
	if p == nil || sent <= 0 || sent > now {
		return
	}
	rtt := now.Sub(sent)
	if p.samples == 0 {
		p.srtt, p.rttvar = rtt, rtt/2
	} else {
		diff := p.srtt - rtt
		if diff < 0 {
			diff = -diff
		}
		p.rttvar = (3*p.rttvar + diff) / 4
		p.srtt = (7*p.srtt + rtt) / 8
	}
	p.samples++
	d.better()
}

func (d *detector) better() {
	if d.health > 0 {
		d.health--
	}
}

func (d *detector) timeout(p *probe) time.Duration {
	t := d.cfg.MinTimeout
	if p.samples > 0 {
		t = max(t, p.srtt+4*p.rttvar)
	}
	t = min(t, d.cfg.MaxTimeout)
	return t * time.Duration(1+d.health)
}

func (d *detector) isSuspect(addr string) bool {
	p := d.find(addr)
	return p != nil && p.suspectedAt != 0
}

func (d *detector) suspects() []NodeRef {
	var out []NodeRef
	for _, p := range d.probes {
		if p.suspectedAt != 0 {
			out = append(out, p.ref)
		}
	}
	return out
}

// tick sends probes, counts misses, raises suspicions and removes suspects that stayed silent.
func (d *detector) tick(now Time, n *Node) {
	var remove []NodeRef
	// By index: checkBehind appends backups, which must be pinged in this same tick (their
	// lastHeard is a period ago, so a later tick would be asked for at now: a timer spin).
	for i := 0; i < len(d.probes); i++ {
		p := d.probes[i]
		if p.outstanding && now >= p.deadline {
			p.outstanding = false
			p.misses++
			if !p.backup {
				d.health = min(d.health+1, maxHealth)
			}
			if p.misses >= d.cfg.SuspectAfter && p.suspectedAt == 0 {
				p.suspectedAt = now
				n.emit(Event{Kind: EvSuspected, Node: p.ref})
				if !p.backup {
					n.checkBehind(now, p.ref)
				}
			}
		}
		if p.suspectedAt != 0 && now.Sub(p.suspectedAt) >= d.cfg.SuspectPeriod*time.Duration(1+d.health) {
			remove = append(remove, p.ref)
			continue
		}
		silent := now.Sub(p.lastHeard) >= d.cfg.StabilizePeriod
		if !p.outstanding && (silent || p.misses > 0) {
			p.outstanding = true
			p.deadline = now.Add(d.timeout(p))
			n.send(Message{Type: MsgPing, To: p.ref, Sent: now})
		}
	}
	for _, r := range remove {
		n.drop(now, r, true)
	}
}

// wake is the earliest time tick has something to do.
func (d *detector) wake() Time {
	var w Time
	at := func(t Time) {
		if w == 0 || t < w {
			w = t
		}
	}
	for _, p := range d.probes {
		switch {
		case p.outstanding:
			at(p.deadline)
		case p.misses > 0:
			at(p.lastHeard + 1) // probe again at once
		default:
			at(p.lastHeard.Add(d.cfg.StabilizePeriod))
		}
		if p.suspectedAt != 0 {
			at(p.suspectedAt.Add(d.cfg.SuspectPeriod * time.Duration(1+d.health)))
		}
	}
	return w
}
