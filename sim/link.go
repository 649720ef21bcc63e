package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Dist is the shape of a link's latency distribution.
type Dist uint8

const (
	// Uniform: delay is uniform in [Latency-Jitter, Latency+Jitter] (never below zero).
	Uniform Dist = iota
	// LogNormal: delay is Latency·e^(σZ) with Z standard normal and σ = Jitter/Latency: the
	// median is Latency, the tail is long on the slow side, and it is never negative. Capped at
	// MaxDelay when that is set.
	LogNormal
)

// Link is the model of one directed link (or the default for all links).
type Link struct {
	Latency  time.Duration // base one-way delay (median)
	Jitter   time.Duration // spread around Latency; its meaning depends on Dist
	Dist     Dist
	MaxDelay time.Duration // cap for LogNormal samples; 0: no cap

	Loss float64 // probability that a message is dropped
	Dup  float64 // probability that a message is delivered twice (each copy has its own delay)

	// Reorder is the probability that a message gets an extra delay uniform in
	// [0, ReorderDelay], so that it overtakes or is overtaken by its neighbours. Jitter alone
	// already reorders messages whose send times are closer than the spread.
	Reorder      float64
	ReorderDelay time.Duration

	// Down drops every message on this link (a directed cut).
	Down bool
	// FlapPeriod > 0 makes the link go down for FlapDown at the start of every FlapPeriod of
	// virtual time (phase 0 at time 0): a flapping link.
	FlapPeriod time.Duration
	FlapDown   time.Duration
}

// DefaultLink is a LAN-ish link: 5 ms ± 1 ms, no loss, no duplication, 20 ms of extra delay for
// reordered messages when Reorder is set.
func DefaultLink() Link {
	return Link{Latency: 5 * time.Millisecond, Jitter: time.Millisecond, ReorderDelay: 20 * time.Millisecond}
}

// Validate reports what is wrong with l, if anything.
func (l Link) Validate() error {
	prob := func(name string, p float64) error {
		if math.IsNaN(p) || p < 0 || p > 1 {
			return fmt.Errorf("link %s probability %v: want 0..1", name, p)
		}
		return nil
	}
	for _, c := range []struct {
		name string
		p    float64
	}{{"loss", l.Loss}, {"dup", l.Dup}, {"reorder", l.Reorder}} {
		if err := prob(c.name, c.p); err != nil {
			return err
		}
	}
	switch {
	case l.Latency < 0 || l.Jitter < 0 || l.MaxDelay < 0 || l.ReorderDelay < 0:
		return fmt.Errorf("link durations must not be negative: %+v", l)
	case l.Dist > LogNormal:
		return fmt.Errorf("link distribution %d: unknown", l.Dist)
	case l.FlapPeriod < 0 || l.FlapDown < 0 || l.FlapDown > l.FlapPeriod:
		return fmt.Errorf("link flapping: want 0 <= FlapDown (%v) <= FlapPeriod (%v)", l.FlapDown, l.FlapPeriod)
	}
	return nil
}

// up reports whether the link carries traffic at virtual time now (ns).
func (l *Link) up(now int64) bool {
	if l.Down {
		return false
	}
	if l.FlapPeriod > 0 && l.FlapDown > 0 {
		phase := now % int64(l.FlapPeriod)
		if phase < 0 {
			phase += int64(l.FlapPeriod)
		}
		return phase >= int64(l.FlapDown)
	}
	return true
}

// delay draws one message's delay.
func (l *Link) delay(r *rand.Rand) time.Duration {
	d := l.Latency
	if l.Jitter > 0 {
		switch l.Dist {
		case Uniform:
			d += time.Duration(r.Int64N(2*int64(l.Jitter)+1)) - l.Jitter
		case LogNormal:
			if l.Latency > 0 {
				sigma := float64(l.Jitter) / float64(l.Latency)
				d = time.Duration(float64(l.Latency) * math.Exp(sigma*r.NormFloat64()))
				if l.MaxDelay > 0 && d > l.MaxDelay {
					d = l.MaxDelay
				}
			}
		}
	}
	if l.Reorder > 0 && r.Float64() < l.Reorder {
		d += time.Duration(r.Int64N(int64(l.ReorderDelay) + 1))
	}
	return max(d, 0)
}
