package integration

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/detrans/detrans/integration/harness"
	"github.com/stretchr/testify/require"
)

// A write load through the admin API and the checker of what it was told: every acknowledged
// write must be readable afterwards with its value. Each key is written once, so "its value" is
// exact; a write with an unknown outcome may or may not be there, but if it is, with its value.

const (
	opTimeout    = 5 * time.Second // what the peer may spend on one store operation
	failedPacing = 50 * time.Millisecond
)

type ack struct{ start, end time.Time }

type writeLog struct {
	mu      sync.Mutex
	acked   map[string]string // key → value, acknowledged
	unknown map[string]string // outcome unknown
	acks    map[int][]ack     // writer → its acknowledged writes, in order
	fails   map[harness.Outcome]int
	changed chan struct{} // signalled (not closed) after every outcome
}

func newWriteLog() *writeLog {
	return &writeLog{acked: map[string]string{}, unknown: map[string]string{}, acks: map[int][]ack{},
		fails: map[harness.Outcome]int{}, changed: make(chan struct{}, 1)}
}

func (l *writeLog) record(w int, key, value string, a ack, o harness.Outcome) {
	l.mu.Lock()
	switch o {
	case harness.OK:
		l.acked[key] = value
		l.acks[w] = append(l.acks[w], a)
	case harness.Unknown:
		l.unknown[key] = value
	default:
		l.fails[o]++
	}
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// waitFor blocks until cond (called under the log's lock) holds, re-checking after every
// recorded outcome; it fails the test after timeout.
func (l *writeLog) waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		ok := cond()
		l.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-l.changed:
		case <-deadline.C:
			t.Fatalf("%s: not reached within %s", what, timeout)
		}
	}
}

// snapshot copies the acknowledged and unknown writes.
func (l *writeLog) snapshot() (acked, unknown map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	acked, unknown = map[string]string{}, map[string]string{}
	for k, v := range l.acked {
		acked[k] = v
	}
	for k, v := range l.unknown {
		unknown[k] = v
	}
	return acked, unknown
}

// startWriters starts one closed-loop writer per entry of via: writer i writes fresh keys
// prefix/w<i>/<n> through peer via[i] (whatever address its current run has) until stop is
// called, which waits for them.
func startWriters(via []*harness.Peer, prefix string, l *writeLog) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for i, p := range via {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-quit:
					return
				default:
				}
				key, value := fmt.Sprintf("%s/w%d/%d", prefix, i, n), fmt.Sprintf("v%d.%d", i, n)
				ctx, cancel := context.WithTimeout(context.Background(), opTimeout+5*time.Second)
				start := time.Now()
				o, _ := p.Put(ctx, key, value, opTimeout)
				cancel()
				l.record(i, key, value, ack{start, time.Now()}, o)
				if o != harness.OK && o != harness.Unknown {
					// The peer is down or cut off: do not spin on refused connections.
					t := time.NewTimer(failedPacing)
					select {
					case <-quit:
						t.Stop()
						return
					case <-t.C:
					}
				}
			}
		}()
	}
	var once sync.Once
	return func() { once.Do(func() { close(quit); wg.Wait() }) }
}

// checkWrites reads every acknowledged write through every peer and fails the test for any that
// is missing or has another value. A read that gets no quorum is retried until timeout: right
// after a repair or a heal, groups may still be settling their views. Writes with an unknown
// outcome may be absent but must not have another value.
func checkWrites(t *testing.T, peers []*harness.Peer, acked, unknown map[string]string, timeout time.Duration) {
	t.Helper()
	keys := make([]string, 0, len(acked)+len(unknown))
	for k := range acked {
		keys = append(keys, k)
	}
	for k := range unknown {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	type job struct {
		p   *harness.Peer
		key string
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var problems []string
	retries := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				for {
					v, found, o, err := j.p.Get(ctx, j.key, opTimeout)
					if o == harness.OK {
						want, isAcked := acked[j.key]
						if !isAcked {
							want = unknown[j.key]
						}
						if (isAcked && !found) || (found && v != want) {
							mu.Lock()
							problems = append(problems, fmt.Sprintf("%s reads %q as found=%v %q, want %q (acknowledged=%v)", j.p.Name, j.key, found, v, want, isAcked))
							mu.Unlock()
						}
						break
					}
					if ctx.Err() != nil {
						mu.Lock()
						problems = append(problems, fmt.Sprintf("%s cannot read %q: %v", j.p.Name, j.key, err))
						mu.Unlock()
						break
					}
					mu.Lock()
					retries++
					mu.Unlock()
					pause := time.NewTimer(failedPacing)
					select {
					case <-ctx.Done():
					case <-pause.C:
					}
					pause.Stop()
				}
			}
		}()
	}
	for _, k := range keys {
		for _, p := range peers {
			jobs <- job{p, k}
		}
	}
	close(jobs)
	wg.Wait()
	t.Logf("checked %d acknowledged and %d unknown-outcome writes on %d peers (%d reads retried)", len(acked), len(unknown), len(peers), retries)
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("... and %d more", len(problems)-20))
		}
		require.Empty(t, problems, "acknowledged writes must be readable with their value from every peer")
	}
}
