package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/detrans/detrans/local"
)

// The local mode measures optimistic edits as a user makes them (issue: edits show at once):
// one peer makes Keys edits with Local, one after another IntervalMS apart, each to its own key,
// and another peer watches those keys with Watch. Local's latency is measured where it returns;
// "visible" is from Local returning on the editor to the committed change arriving through
// Watch on the watcher. Both run in their own processes on one machine, so their wall clocks
// are the same clock.
const (
	benchLocal = "local" // the editor's part
	benchWatch = "watch" // the watcher's part
)

// runLocalEdits is the editor: it returns Local's latency histogram and, in Times, when each
// edit's Local returned (Unix nanoseconds).
func runLocalEdits(ctx context.Context, p peerAPI, req BenchRequest) BenchReply {
	rep := BenchReply{Mode: req.Mode, Times: make([]int64, req.Keys), CPUMS: -1}
	hist := newLatencyHist()
	t := &benchTally{hist: hist}
	tick := time.NewTicker(time.Duration(max(req.IntervalMS, 1)) * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for i := range req.Keys {
		key := req.KeyPrefix + strconv.Itoa(i)
		in := local.Intent{Kind: "bench", Op: []byte(key), Writes: []local.Write{{Key: key, Value: []byte(strconv.Itoa(i))}}}
		begin := time.Now()
		if err := p.Local(ctx, in); err != nil {
			t.fail(fmt.Errorf("local %q: %w", key, err))
		} else {
			end := time.Now()
			hist.add(end.Sub(begin))
			rep.Times[i] = end.UnixNano()
			t.ops++
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return rep
		}
	}
	rep.Ops, rep.Errors, rep.NoQuorum = t.ops, t.errs+t.conflicts+t.unknown, t.noQuorum
	if t.firstErr != nil {
		rep.FirstError = t.firstErr.Error()
	}
	rep.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	rep.Hist = hist.pairs()
	return rep
}

// runWatchKeys is the watcher: it subscribes to the keys, answers the subscription at once
// through ready (so the editor can start), and returns in Times when each key's first change
// arrived (Unix nanoseconds; 0: not within DurationMS).
func runWatchKeys(ctx context.Context, p peerAPI, req BenchRequest) BenchReply {
	rep := BenchReply{Mode: req.Mode, Times: make([]int64, req.Keys), CPUMS: -1}
	keys := make([][]byte, req.Keys)
	index := make(map[string]int, req.Keys)
	for i := range keys {
		k := req.KeyPrefix + strconv.Itoa(i)
		keys[i], index[k] = []byte(k), i
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(req.DurationMS)*time.Millisecond)
	defer cancel()
	ch, err := p.Watch(ctx, keys...)
	if err != nil {
		rep.Errors, rep.FirstError = 1, err.Error()
		return rep
	}
	start := time.Now()
	for rep.Ops < int64(req.Keys) {
		select {
		case c, ok := <-ch:
			if !ok {
				rep.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
				return rep
			}
			if i, ok := index[string(c.Key)]; ok && rep.Times[i] == 0 && c.Found {
				rep.Times[i] = time.Now().UnixNano()
				rep.Ops++
			}
		case <-ctx.Done():
			rep.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
			return rep
		}
	}
	rep.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	return rep
}

// runLocalBench drives the two parts on cs[0] (editor) and cs[1] (watcher).
func runLocalBench(ctx context.Context, cs []*client, o *benchOptions, prefix string, progress io.Writer) (*BenchResult, error) {
	if len(cs) < 2 {
		return nil, fmt.Errorf("bench: --mode local needs two peers (one edits, another watches)")
	}
	watch := BenchRequest{Mode: benchWatch, Clients: 1, Keys: o.keys, KeyPrefix: prefix,
		DurationMS: (o.duration + time.Duration(o.keys)*o.interval + 30*time.Second).Milliseconds()}
	type watchResult struct {
		rep BenchReply
		err error
	}
	watched := make(chan watchResult, 1)
	go func() {
		var rep BenchReply
		err := cs[1].do(ctx, "POST", "/v1/bench/run", nil, watch, &rep)
		watched <- watchResult{rep, err}
	}()
	// The watcher subscribes within milliseconds; a subscription that came late would only
	// make "visible" look slower (the change then arrives as the catch-up), never faster.
	select {
	case <-time.After(500 * time.Millisecond):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	fmt.Fprintf(progress, "bench: %d local edits on one peer, %s apart, watched on another\n", o.keys, o.interval)
	edit := BenchRequest{Mode: benchLocal, Clients: 1, Keys: o.keys, KeyPrefix: prefix, IntervalMS: o.interval.Milliseconds()}
	var ed BenchReply
	if err := cs[0].do(ctx, "POST", "/v1/bench/run", nil, edit, &ed); err != nil {
		return nil, fmt.Errorf("bench local on the peer at %s: %w", cs[0].addr, err)
	}
	w := <-watched
	if w.err != nil {
		return nil, fmt.Errorf("bench watch on the peer at %s: %w", cs[1].addr, w.err)
	}
	hist, err := histFromPairs(ed.Hist)
	if err != nil {
		return nil, fmt.Errorf("bench: the editor sent a bad histogram: %w", err)
	}
	var visible []time.Duration
	missing := 0
	for i := range min(len(ed.Times), len(w.rep.Times)) {
		switch {
		case ed.Times[i] == 0:
		case w.rep.Times[i] == 0:
			missing++
		default:
			visible = append(visible, time.Duration(max(0, w.rep.Times[i]-ed.Times[i])))
		}
	}
	slices.Sort(visible)
	q := func(p float64) float64 {
		if len(visible) == 0 {
			return 0
		}
		return ms(visible[int(p*float64(len(visible)-1))])
	}
	res := &BenchResult{
		Mode: benchLocal, Nodes: len(cs), Clients: 1, Keys: o.keys, DurationS: ed.ElapsedMS / 1000,
		Errors: ed.Errors + ed.NoQuorum + w.rep.Errors, FirstError: ed.FirstError + w.rep.FirstError,
		P50MS: ms(hist.quantile(0.50)), P90MS: ms(hist.quantile(0.90)), P99MS: ms(hist.quantile(0.99)),
		MaxMS: ms(hist.quantile(1)), CPUS: -1, Cores: runtime.NumCPU(),
		Edits: ed.Ops, Unseen: int64(missing),
		VisibleP50MS: q(0.5), VisibleP90MS: q(0.9), VisibleP99MS: q(0.99), VisibleMaxMS: q(1),
	}
	return res, nil
}
