package storetest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
)

// Counter is the lost-update workload: clients increment one counter (read n at version v,
// commit n+1 from v, retry on conflict). Since every committed write bumps the version by one
// and the value by one, the value always equals the version. No two acknowledged increments
// may have replaced the same value, and at the end the counter lies between the acknowledged
// increments and those plus the increments of unknown outcome.
type Counter struct {
	Key     string
	Clients int
	Think   time.Duration
	Retries int

	w        *World
	ver      *versions
	replaced map[int64]bool // values replaced by acknowledged increments
	maxSeen  int64
	final    int64
	haveFin  bool
	errs     []string

	Acked, Unknown, Conflicts, GaveUp int
}

// Start launches the clients.
func (c *Counter) Start(w *World) {
	c.w, c.ver, c.replaced = w, newVersions(), map[int64]bool{}
	for range c.Clients {
		w.S.After(c.think(), func() { c.increment(c.Retries) })
	}
}

func (c *Counter) think() time.Duration { return time.Duration(c.w.Rand.Int64N(int64(c.Think) + 1)) }

func (c *Counter) value(ev txn.Event) (int64, bool) {
	if !ev.Found {
		if ev.Version != 0 {
			c.errs = append(c.errs, fmt.Sprintf("counter absent at version %d", ev.Version))
		}
		return 0, ev.Version == 0
	}
	n, err := strconv.ParseInt(string(ev.Value), 10, 64)
	if err != nil {
		c.errs = append(c.errs, fmt.Sprintf("counter holds %q", ev.Value))
		return 0, false
	}
	if uint64(n) != ev.Version {
		c.errs = append(c.errs, fmt.Sprintf("counter is %d at version %d: a write was lost or applied twice", n, ev.Version))
	}
	c.ver.read(c.Key, ev.Version, string(ev.Value), ev.Found)
	c.maxSeen = max(c.maxSeen, n)
	return n, true
}

// increment runs one increment with up to left retries, then schedules the next.
func (c *Counter) increment(left int) {
	w := c.w
	if w.Stopped() {
		return
	}
	next := func() { w.S.After(c.think(), func() { c.increment(c.Retries) }) }
	addr := w.RandomLive()
	// The first attempt reads the local replica, as node.Tx does; a retry reads a quorum.
	ok := w.TxRead(addr, []byte(c.Key), left == c.Retries, func(ev txn.Event, lost bool) {
		if lost || ev.Err != nil {
			next()
			return
		}
		n, valid := c.value(ev)
		if !valid {
			next()
			return
		}
		val := strconv.FormatInt(n+1, 10)
		spec := txn.TxSpec{Ops: []txn.Op{{Key: []byte(c.Key), ReadVersion: ev.Version, Write: true, Value: []byte(val)}}}
		call := w.S.Now()
		if !w.Commit(addr, spec, func(res txn.Event, lost bool) {
			switch {
			case lost || isUnknown(res.Err):
				c.Unknown++
				c.ver.maybe(c.Key, ev.Version+1, val)
			case res.Err == nil:
				c.Acked++
				c.ver.ack(c.Key, ev.Version+1, val)
				if c.replaced[n] {
					c.errs = append(c.errs, fmt.Sprintf("two acknowledged increments replaced the value %d", n))
				}
				c.replaced[n] = true
			case errors.Is(res.Err, txn.ErrConflict):
				c.Conflicts++
				c.ver.fail(c.Key, ev.Version+1, attempt(addr, val, call, w, res))
				if left > 0 && !w.Stopped() {
					c.increment(left - 1)
					return
				}
				c.GaveUp++
			case errors.Is(res.Err, txn.ErrNoQuorum):
				c.GaveUp++
				c.ver.fail(c.Key, ev.Version+1, attempt(addr, val, call, w, res))
			default:
				c.errs = append(c.errs, fmt.Sprintf("increment: unexpected error %v", res.Err))
			}
			next()
		}) {
			next()
		}
	})
	if !ok {
		w.S.After(10*time.Millisecond, func() { c.increment(left) })
	}
}

// Final reads the counter once the world is quiet.
func (c *Counter) Final(d time.Duration) error {
	ev, err := c.w.ReadSync(c.w.RandomLive(), []byte(c.Key), d, nil)
	if err != nil {
		return fmt.Errorf("counter final read: %w", err)
	}
	n, ok := c.value(ev)
	if ok {
		c.final, c.haveFin = n, true
	}
	return nil
}

// Check reports every violation seen; the final-value bounds only when Final succeeded.
func (c *Counter) Check() error {
	errs := append(append([]string(nil), c.errs...), c.ver.check()...)
	if hi := int64(c.Acked + c.Unknown); c.maxSeen > hi {
		errs = append(errs, fmt.Sprintf("counter reached %d, but only %d increments were acknowledged or unknown", c.maxSeen, hi))
	}
	if c.haveFin && (c.final < int64(c.Acked) || c.final > int64(c.Acked+c.Unknown)) {
		errs = append(errs, fmt.Sprintf("final counter %d, want between %d acknowledged and %d acknowledged+unknown", c.final, c.Acked, c.Acked+c.Unknown))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("counter: %d violations:\n  %s", len(errs), strings.Join(errs, "\n  "))
}

// Summary is a one-line account of the workload.
func (c *Counter) Summary() string {
	fin := "none"
	if c.haveFin {
		fin = strconv.FormatInt(c.final, 10)
	}
	return fmt.Sprintf("counter: %d acknowledged, %d unknown, %d conflicts, %d given up, final %s", c.Acked, c.Unknown, c.Conflicts, c.GaveUp, fin)
}

// attempt describes a commit for diagnostics: value, peer, tx id, call and return times, error.
func attempt(addr, val string, call ring.Time, w *World, res txn.Event) string {
	return fmt.Sprintf("%q by %s tx %x [%v, %v] %v", val, addr, res.Tx[:], time.Duration(call), time.Duration(w.S.Now()), res.Err)
}
