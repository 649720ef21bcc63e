package storetest

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/sim"
	"github.com/detrans/detrans/txn"
)

// Scenario is one run: a space of peers, the three workloads side by side on disjoint keys,
// faults from a family during Faulty, then everything healed while the clients go on for Calm,
// then quiet, then final reads.
type Scenario struct {
	Faults Faults
	Config core.Config
	Base   sim.Link      // the healthy link
	Faulty time.Duration // how long faults are injected (virtual)
	Calm   time.Duration // clients keep going after the heal
	Trace  io.Writer     // optional text trace of the whole run

	// Mutate is passed to World.Mutate (the checkers' tests plant bugs with it).
	Mutate func(w *World) func(addr string, ev *txn.Event)
}

// DefaultScenario runs f with 16 replica groups of 3 on 5 ms ± 1 ms links, 8 s of faults and
// 2 s of calm.
func DefaultScenario(f Faults) Scenario {
	return Scenario{
		Faults: f,
		Config: core.Config{Txn: txn.Config{Placement: txn.Placement{Groups: 16, Replicas: 3}}},
		Base:   sim.Link{Latency: 5 * time.Millisecond, Jitter: time.Millisecond},
		Faulty: 8 * time.Second,
		Calm:   2 * time.Second,
	}
}

// Result is what a run did and found.
type Result struct {
	World    *World
	Register *Register
	Bank     *Bank
	Counter  *Counter
	Safety   error // a consistency violation (or a harness failure): always a test failure
	Liveness error // the space did not recover after the heal (not asserted for SafetyOnly)
}

// Summary is a few lines about the run, for logs.
func (r *Result) Summary() string {
	st := r.World.S.Stats()
	s := fmt.Sprintf("virtual %v, %d events, %d messages (%d dropped, %d duplicated); register: %d ops in %d processes; %s; %s; transaction reads: %d, %d from local replicas",
		time.Duration(r.World.S.Now()).Round(time.Millisecond), st.Events, st.Sent, st.Dropped, st.Duplicated,
		len(r.Register.Ops()), r.World.Procs(), r.Bank.Summary(), r.Counter.Summary(), r.World.TxReads, r.World.LocalTxReads)
	if l := r.World.Lazy; l != nil {
		s += fmt.Sprintf("; disk: %d writes, %d syncs, %d machine crashes lost %d unsynced batches, %d recovered by restarts",
			l.Writes, l.Syncs, r.World.MachineCrashes, l.Lost, l.Recovered)
		var kinds []string
		for k, n := range r.World.Struck {
			kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		}
		slices.Sort(kinds) // map order must not leak
		s += fmt.Sprintf("; struck right after writes holding %v", kinds)
	}
	return s
}

// requestTimeouts are the txn.Config.RequestTimeout values a seed picks from when the scenario
// does not fix one: short ones make partitions and crashes end operations with no quorum or an
// unknown outcome, and make the TM race the acceptors' own recovery.
var requestTimeouts = []time.Duration{700 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second}

// Run runs the scenario with seed. The error is a setup failure (the space never formed).
func (sc Scenario) Run(seed int64) (*Result, error) {
	cfg := sc.Config
	if cfg.Txn.RequestTimeout == 0 {
		cfg.Txn.RequestTimeout = requestTimeouts[uint64(seed)%uint64(len(requestTimeouts))]
	}
	w, err := newWorld(seed, sc.Faults.Peers(seed), cfg, sc.Base, sc.Trace, sc.Faults.LazyDisk)
	if err != nil {
		return nil, err
	}
	res := &Result{
		World:    w,
		Register: &Register{Keys: []string{"r0", "r1"}, Clients: 3, Think: 150 * time.Millisecond},
		Bank: &Bank{Accounts: 4, Initial: 100, Transferers: 2, Auditors: 1, Retries: 5,
			Think: 150 * time.Millisecond, AuditThink: 500 * time.Millisecond},
		Counter: &Counter{Key: "ctr", Clients: 2, Think: 150 * time.Millisecond, Retries: 10},
	}
	if sc.Mutate != nil {
		w.Mutate = sc.Mutate(w)
	}
	faulty := sc.Faulty
	if sc.Faults.Duration > 0 {
		faulty = sc.Faults.Duration
	}
	start := w.S.Now()
	res.Register.Start(w)
	res.Bank.Start(w)
	res.Counter.Start(w)
	sc.Faults.Schedule(w, start.Add(200*time.Millisecond), start.Add(faulty))

	w.S.RunTo(start.Add(faulty))
	if err := w.HealAll(sc.Base); err != nil {
		w.fail(err)
	}
	w.S.RunFor(sc.Calm)
	w.Stop()
	// Every operation ends within two request timeouts (a commit may recover once).
	w.S.RunUntil(func() bool { return w.InFlight() == 0 }, w.S.Now().Add(30*time.Second))

	var live []error
	if w.InFlight() != 0 {
		live = append(live, fmt.Errorf("%d operations still in flight 30 s after the clients stopped", w.InFlight()))
	}
	settle, finalWait := 2*time.Minute, 30*time.Second
	if sc.Faults.SafetyOnly {
		// Progress is not asserted: do not wait long for what may never come, but still try
		// the final operations, whose results join the histories.
		settle, finalWait = 10*time.Second, 5*time.Second
	}
	if err := w.WaitSettled(settle); err != nil {
		live = append(live, err)
	}
	live = append(live, res.Register.Final(finalWait), res.Bank.Final(finalWait), res.Counter.Final(finalWait))
	res.Liveness = errors.Join(live...)

	res.Safety = errors.Join(errors.Join(w.errs...), w.PeerErrors(),
		res.Register.Check(time.Minute), res.Bank.Check(), res.Counter.Check())
	return res, nil
}
