package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/detrans/detrans/node"
	"github.com/detrans/detrans/txn"
)

// POST /v1/bench/run runs a load generator inside this peer against the store through the
// node's Go API, and answers when it is done with counts, a latency histogram and the CPU time
// this process used meanwhile. `detrans-node bench` calls it on every peer of a cluster at once
// and adds the replies up: the measurement is of the store, not of HTTP, and the clients cost
// no extra process. It touches only keys KeyPrefix+"0" .. KeyPrefix+(Keys-1).

// Bench modes.
const (
	benchRMW  = "rmw"  // read-modify-write: increment a random counter in one transaction
	benchRead = "read" // quorum read of a random key
	benchFill = "fill" // write "0" to this peer's share of the keys, once each
	benchSum  = "sum"  // read this peer's share of the keys and add up the counters
)

const (
	maxBenchClients  = 4096
	maxBenchKeys     = 10_000_000
	maxBenchDuration = 10 * time.Minute
	maxLocalEdits    = 100_000
	benchOpTimeout   = 5 * time.Second
)

// BenchRequest is the body of POST /v1/bench/run.
type BenchRequest struct {
	Mode       string `json:"mode"`
	Clients    int    `json:"clients"`
	Keys       int    `json:"keys"`
	KeyPrefix  string `json:"key_prefix"`
	DurationMS int64  `json:"duration_ms"` // rmw and read
	// fill and sum work on the keys i with i % Stride == Offset (Stride 0 means 1).
	Offset int    `json:"offset"`
	Stride int    `json:"stride"`
	Seed   uint64 `json:"seed"`
	// local: the pause between two edits
	IntervalMS int64 `json:"interval_ms"`
}

// BenchReply is the answer of POST /v1/bench/run.
type BenchReply struct {
	Mode       string     `json:"mode"`
	Ops        int64      `json:"ops"`       // committed transactions (rmw, fill) or reads (read, sum)
	Aborts     int64      `json:"aborts"`    // conflict retries (attempts that lost a race)
	NoQuorum   int64      `json:"no_quorum"` // operations that failed with no quorum
	Conflicts  int64      `json:"conflicts"` // transactions that gave up after conflicts
	Unknown    int64      `json:"unknown"`   // commits with an unknown outcome
	Errors     int64      `json:"errors"`    // other failures (time-outs among them)
	FirstError string     `json:"first_error,omitempty"`
	ElapsedMS  float64    `json:"elapsed_ms"`
	CPUMS      float64    `json:"cpu_ms"`    // CPU time of this peer process during the run, -1 if unknown
	MsgsSent   uint64     `json:"msgs_sent"` // protocol messages this peer sent during the run
	BytesSent  uint64     `json:"bytes_sent"`
	Syncs      uint64     `json:"syncs"`       // store fsyncs during the run
	SyncMS     float64    `json:"sync_ms"`     // time spent in them
	Writes     uint64     `json:"writes"`      // records written to the store during the run
	WriteSize  uint64     `json:"write_size"`  // their key and value bytes
	Reads      uint64     `json:"reads"`       // quorum reads this peer started
	LocalReads uint64     `json:"local_reads"` // transaction reads its own replicas answered
	Hist       [][2]int64 `json:"latency_hist"`
	Sum        uint64     `json:"sum"` // sum mode: total of the counters read
	// local: when each edit's Local returned; watch: when each key's change arrived (Unix ns, 0: never)
	Times []int64 `json:"times,omitempty"`
}

func (r *BenchRequest) check() error {
	switch r.Mode {
	case benchRMW, benchRead:
		if r.DurationMS <= 0 || time.Duration(r.DurationMS)*time.Millisecond > maxBenchDuration {
			return errorf(http.StatusBadRequest, "duration_ms must be in (0, %d]", maxBenchDuration.Milliseconds())
		}
	case benchFill, benchSum:
	case benchLocal:
		if r.Keys > maxLocalEdits || r.IntervalMS < 0 || r.IntervalMS > 10_000 {
			return errorf(http.StatusBadRequest, "local: keys must be at most %d and interval_ms in [0, 10000]", maxLocalEdits)
		}
	case benchWatch:
		if r.Keys > maxLocalEdits || r.DurationMS <= 0 || time.Duration(r.DurationMS)*time.Millisecond > 2*maxBenchDuration {
			return errorf(http.StatusBadRequest, "watch: keys must be at most %d and duration_ms positive", maxLocalEdits)
		}
	default:
		return errorf(http.StatusBadRequest, "mode %q: want rmw, read, fill, sum, local or watch", r.Mode)
	}
	// A timed run (rmw, read) may have no clients of its own: the peer then only measures its
	// share of the work the other peers' clients cause, so "all peers" figures include it.
	minClients := 1
	if r.Mode == benchRMW || r.Mode == benchRead {
		minClients = 0
	}
	if r.Clients < minClients || r.Clients > maxBenchClients {
		return errorf(http.StatusBadRequest, "clients must be in [%d, %d]", minClients, maxBenchClients)
	}
	if r.Keys < 1 || r.Keys > maxBenchKeys {
		return errorf(http.StatusBadRequest, "keys must be in [1, %d]", maxBenchKeys)
	}
	if r.KeyPrefix == "" || len(r.KeyPrefix) > 256 {
		return errorf(http.StatusBadRequest, "key_prefix must be 1 to 256 bytes")
	}
	if r.Stride == 0 {
		r.Stride = 1
	}
	if r.Stride < 0 || r.Offset < 0 || r.Offset >= r.Stride {
		return errorf(http.StatusBadRequest, "want 0 <= offset < stride")
	}
	return nil
}

// benchTally is one client's counts; merged at the end, so clients share nothing while running.
type benchTally struct {
	ops, aborts, noQuorum, conflicts, unknown, errs int64
	sum                                             uint64
	firstErr                                        error
	hist                                            *latencyHist
}

func (t *benchTally) fail(err error) {
	switch {
	case errors.Is(err, txn.ErrUnknownOutcome):
		t.unknown++
	case errors.Is(err, node.ErrNoQuorum):
		t.noQuorum++
	case errors.Is(err, node.ErrConflict):
		t.conflicts++
	default:
		t.errs++
	}
	if t.firstErr == nil {
		t.firstErr = err
	}
}

func handleBenchRun(r *http.Request, p peerAPI) (any, error) {
	var req BenchRequest
	if err := decodeBody(r, 64<<10, &req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	switch req.Mode {
	case benchLocal:
		return runLocalEdits(r.Context(), p, req), nil
	case benchWatch:
		return runWatchKeys(r.Context(), p, req), nil
	}
	return runBench(r.Context(), p, req), nil
}

// runBench runs req's clients until the duration passes (rmw, read) or the keys are done (fill,
// sum). An operation started before the end runs to completion, bounded by benchOpTimeout.
func runBench(ctx context.Context, p peerAPI, req BenchRequest) BenchReply {
	keys := make([][]byte, req.Keys)
	for i := range keys {
		keys[i] = []byte(req.KeyPrefix + strconv.Itoa(i))
	}
	var share []int // fill and sum: this peer's keys, dealt out to the clients
	for i := req.Offset; i < req.Keys; i += req.Stride {
		share = append(share, i)
	}
	var stop <-chan time.Time
	if req.Mode == benchRMW || req.Mode == benchRead {
		t := time.NewTimer(time.Duration(req.DurationMS) * time.Millisecond)
		defer t.Stop()
		stop = t.C
	}
	var (
		stopped = make(chan struct{})
		once    sync.Once
		wg      sync.WaitGroup
	)
	go func() {
		select {
		case <-stop:
		case <-ctx.Done():
		case <-stopped:
		}
		once.Do(func() { close(stopped) })
	}()
	tallies := make([]*benchTally, req.Clients)
	cpu0, cpuOK := processCPU()
	cnt0 := p.Counters()
	start := time.Now()
	for c := range req.Clients {
		t := &benchTally{hist: newLatencyHist()}
		tallies[c] = t
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(req.Seed, uint64(c)))
			for i := 0; ; i++ {
				select {
				case <-stopped:
					return
				default:
				}
				var key []byte
				if req.Mode == benchFill || req.Mode == benchSum {
					j := c + i*req.Clients
					if j >= len(share) {
						return
					}
					key = keys[share[j]]
				} else {
					key = keys[rng.IntN(len(keys))]
				}
				benchOp(ctx, p, req.Mode, key, t)
			}
		}()
	}
	wg.Wait()
	if req.Clients == 0 {
		<-stopped // a measuring peer: its window is the run's duration
	}
	elapsed := time.Since(start)
	cpu1, _ := processCPU()
	cnt := p.Counters().Sub(cnt0)
	once.Do(func() { close(stopped) })

	rep := BenchReply{Mode: req.Mode, ElapsedMS: float64(elapsed.Microseconds()) / 1000, CPUMS: -1,
		MsgsSent: cnt.MsgsSent, BytesSent: cnt.BytesSent, Syncs: cnt.Syncs, SyncMS: ms(cnt.SyncTime),
		Writes: cnt.Writes, WriteSize: cnt.WriteSize, Reads: cnt.Reads, LocalReads: cnt.LocalReads}
	if cpuOK {
		rep.CPUMS = float64((cpu1 - cpu0).Microseconds()) / 1000
	}
	hist := newLatencyHist()
	for _, t := range tallies {
		rep.Ops += t.ops
		rep.Aborts += t.aborts
		rep.NoQuorum += t.noQuorum
		rep.Conflicts += t.conflicts
		rep.Unknown += t.unknown
		rep.Errors += t.errs
		rep.Sum += t.sum
		if t.firstErr != nil && rep.FirstError == "" {
			rep.FirstError = t.firstErr.Error()
		}
		hist.merge(t.hist)
	}
	rep.Hist = hist.pairs()
	return rep
}

// benchOp runs one operation of mode on key and records it in t.
func benchOp(ctx context.Context, p peerAPI, mode string, key []byte, t *benchTally) {
	ctx, cancel := context.WithTimeout(ctx, benchOpTimeout)
	defer cancel()
	begin := time.Now()
	var err error
	switch mode {
	case benchRMW:
		var attempts int
		attempts, err = p.Increment(ctx, key)
		if attempts > 1 {
			t.aborts += int64(attempts - 1)
		}
	case benchRead:
		_, err = p.Get(ctx, key)
	case benchFill:
		err = p.Put(ctx, key, []byte("0"))
	case benchSum:
		var it node.Item
		if it, err = p.Get(ctx, key); err == nil {
			var v uint64
			if v, err = parseCounter(it.Value, it.Found); err == nil {
				t.sum += v
			}
		}
	}
	if err != nil {
		t.fail(fmt.Errorf("%s %q: %w", mode, key, err))
		return
	}
	t.ops++
	t.hist.add(time.Since(begin))
}
