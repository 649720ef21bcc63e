package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

func usageBench(w io.Writer) {
	fmt.Fprintf(w, `Usage: detrans-node bench [flags]

Measures the store. By default it starts --nodes peers of its own on 127.0.0.1 ('run' with
a temporary data dir each; the first founds a space, the others join it), waits for one
ring, writes "0" to --keys counters, runs --warmup and then --duration of load, checks the
counters, and stops the peers.

The load runs inside the peers, not through HTTP: bench asks every peer at once (POST
/v1/bench/run on its admin API) to run its share of --clients against the store through the
node's Go API, and adds up their answers. So the numbers are the store's, HTTP is off the hot
path, and the load generator costs no extra process (its CPU is counted with the peer's).

Modes:
  rmw    each client increments a random counter in a read-modify-write transaction
         (quorum read, then commit); conflicts are retried and counted as aborts
  read   each client reads a random key (a linearizable quorum read)
  local  the first peer makes --keys optimistic edits (Local), --interval apart, each to its
         own key, while the second watches those keys (Watch): Local's latency, and the time
         from Local returning to the committed change arriving at the other peer ("visible");
         --clients, --duration and --warmup do not apply

It prints committed tx/s (rmw) or reads/s (read), aborts, latency percentiles, and the CPU
time of all peer processes per committed transaction (or read) over the measured window.
With --json the output ends with one JSON line holding committed_per_s, reads_per_s,
ops_per_s, aborts, p50_ms, p90_ms, p99_ms, max_ms, cpu_ms_per_tx, cpu_ms_per_op and more.

Flags:
  --nodes N          peers to start (default 4)
  --clients C        concurrent clients in total, spread over the peers (default 64)
  --keys K           counters (default 1000)
  --duration D       measured time (default 10s)
  --warmup D         load before measuring, not counted (default 3s)
  --mode MODE        rmw, read or local (default rmw)
  --interval D       local mode: pause between two edits (default 10ms)
  --join MULTIADDR   the started peers join this existing space instead of founding one;
                     repeatable
  --api ADDR         start no peers: load these running peers instead (their admin API
                     addresses); repeatable
  --keep             keep the started peers' data dirs and logs
  --profile DIR      write a CPU profile of every peer over the measured window to
                     DIR/PEER.cpu.pprof (started peers get --pprof; with --api the peers
                     must run with --pprof); read with 'go tool pprof -top FILE'
  --log-level LEVEL  log level of the started peers (default warn)
  --json             end with one JSON line
`)
}

type benchOptions struct {
	nodes, clients, keys int
	duration, warmup     time.Duration
	mode                 string
	join, apis           stringList
	keep, json           bool
	logLevel             string
	profile              string
	interval             time.Duration // local mode
}

func parseBenchFlags(args []string, stdout io.Writer) (*benchOptions, error) {
	o := &benchOptions{}
	fs := newFlagSet("bench")
	fs.IntVar(&o.nodes, "nodes", 4, "")
	fs.IntVar(&o.clients, "clients", 64, "")
	fs.IntVar(&o.keys, "keys", 1000, "")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "")
	fs.StringVar(&o.mode, "mode", benchRMW, "")
	fs.DurationVar(&o.interval, "interval", 10*time.Millisecond, "")
	fs.Var(&o.join, "join", "")
	fs.Var(&o.apis, "api", "")
	fs.BoolVar(&o.keep, "keep", false, "")
	fs.StringVar(&o.profile, "profile", "", "")
	fs.StringVar(&o.logLevel, "log-level", "warn", "")
	fs.BoolVar(&o.json, "json", false, "")
	pos, err := parseArgs(fs, args, usageBench, stdout)
	if err != nil {
		return nil, err
	}
	switch {
	case len(pos) > 0:
		return nil, usagef("unexpected argument %q", pos[0])
	case o.mode != benchRMW && o.mode != benchRead && o.mode != benchLocal:
		return nil, usagef("--mode %q: want rmw, read or local", o.mode)
	case o.mode == benchLocal && o.keys > maxLocalEdits:
		return nil, usagef("--mode local: --keys (the number of edits) must be at most %d", maxLocalEdits)
	case o.interval < 0 || o.interval > 10*time.Second:
		return nil, usagef("--interval must be in [0, 10s]")
	case o.nodes < 1 || o.nodes > 64:
		return nil, usagef("--nodes must be in [1, 64]")
	case o.clients < 1 || o.clients > maxBenchClients:
		return nil, usagef("--clients must be in [1, %d]", maxBenchClients)
	case o.keys < 1 || o.keys > maxBenchKeys:
		return nil, usagef("--keys must be in [1, %d]", maxBenchKeys)
	case o.duration <= 0 || o.duration > maxBenchDuration:
		return nil, usagef("--duration must be in (0, %s]", maxBenchDuration)
	case o.warmup < 0 || o.warmup > maxBenchDuration:
		return nil, usagef("--warmup must be in [0, %s]", maxBenchDuration)
	case len(o.apis) > 0 && len(o.join) > 0:
		return nil, usagef("give --api (use running peers) or --join (start peers that join), not both")
	}
	for i, a := range o.apis {
		if o.apis[i], err = loopbackAddr(a); err != nil {
			return nil, usageError{fmt.Errorf("--api: %w", err)}
		}
	}
	for _, a := range o.join {
		if err := checkJoinAddr(a); err != nil {
			return nil, usageError{err}
		}
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	return o, nil
}

// BenchResult is bench's JSON line.
type BenchResult struct {
	Mode          string  `json:"mode"`
	Nodes         int     `json:"nodes"`
	Clients       int     `json:"clients"`
	Keys          int     `json:"keys"`
	DurationS     float64 `json:"duration_s"` // measured window
	Committed     int64   `json:"committed"`  // rmw: committed transactions in the window
	CommittedPerS float64 `json:"committed_per_s"`
	Reads         int64   `json:"reads"` // read: quorum reads in the window
	ReadsPerS     float64 `json:"reads_per_s"`
	OpsPerS       float64 `json:"ops_per_s"` // committed_per_s or reads_per_s, by mode
	Aborts        int64   `json:"aborts"`    // conflict retries
	NoQuorum      int64   `json:"no_quorum"`
	Conflicts     int64   `json:"conflicts"` // transactions that gave up
	Unknown       int64   `json:"unknown"`
	Errors        int64   `json:"errors"`
	FirstError    string  `json:"first_error,omitempty"`
	P50MS         float64 `json:"p50_ms"`
	P90MS         float64 `json:"p90_ms"`
	P99MS         float64 `json:"p99_ms"`
	MaxMS         float64 `json:"max_ms"`
	CPUS          float64 `json:"cpu_s"`         // CPU time of all peers in the window, -1 if unknown
	CPUMSPerTx    float64 `json:"cpu_ms_per_tx"` // rmw: cpu per committed transaction
	CPUMSPerOp    float64 `json:"cpu_ms_per_op"` // per committed transaction or read
	Cores         int     `json:"cores"`
	MsgsPerOp     float64 `json:"msgs_per_op"`   // protocol messages all peers sent, per op
	BytesPerOp    float64 `json:"bytes_per_op"`  // their encoded bytes, per op
	SyncsPerOp    float64 `json:"fsyncs_per_op"` // store fsyncs in all peers, per op
	SyncMSAvg     float64 `json:"fsync_ms_avg"`  // mean duration of one fsync
	WritesPerOp   float64 `json:"writes_per_op"` // store records written in all peers, per op
	WriteBytesOp  float64 `json:"write_bytes_per_op"`
	ReadsPerOp    float64 `json:"quorum_reads_per_op"` // quorum reads started, per op
	LocalPerOp    float64 `json:"local_reads_per_op"`  // transaction reads a peer's own replica answered, per op
	// local mode: Local's latency is p50_ms..max_ms; visible_* is from Local returning on one
	// peer to the change arriving through Watch on another.
	Edits        int64   `json:"edits,omitempty"`
	Unseen       int64   `json:"unseen,omitempty"` // edits the watcher never saw
	VisibleP50MS float64 `json:"visible_p50_ms,omitempty"`
	VisibleP90MS float64 `json:"visible_p90_ms,omitempty"`
	VisibleP99MS float64 `json:"visible_p99_ms,omitempty"`
	VisibleMaxMS float64 `json:"visible_max_ms,omitempty"`
	CheckSum     uint64  `json:"check_sum"`       // rmw: sum of all counters at the end
	CheckCommits int64   `json:"check_committed"` // rmw: increments committed, warm-up included
	CheckOK      bool    `json:"check_ok"`        // committed <= sum <= committed + unknown
	Local        bool    `json:"local"`           // bench started the peers itself
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseBenchFlags(args, stdout)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	var apis []string
	local := len(o.apis) == 0
	if local {
		dir, err := os.MkdirTemp("", "detrans-bench-")
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		fmt.Fprintf(stderr, "bench: starting %d peers on 127.0.0.1 (data and logs in %s)\n", o.nodes, dir)
		var extra []string
		if o.profile != "" {
			extra = append(extra, "--pprof")
		}
		cl, err := startBenchCluster(ctx, dir, o.nodes, o.join, o.logLevel, extra, stderr)
		defer func() {
			if cl != nil {
				cl.stop()
			}
			if o.keep {
				fmt.Fprintf(stderr, "bench: kept %s\n", dir)
			} else {
				_ = os.RemoveAll(dir)
			}
		}()
		if err != nil {
			return err
		}
		for _, p := range cl.peers {
			apis = append(apis, p.api)
		}
	} else {
		apis = o.apis
	}
	res, err := runBenchOn(ctx, apis, o, stderr)
	if err != nil {
		return err
	}
	res.Local = local
	return printBench(stdout, o.json, res)
}

// benchClients returns one API client per peer with a deadline longer than any bench request.
func benchClients(apis []string, o *benchOptions) []*client {
	cs := make([]*client, len(apis))
	for i, a := range apis {
		cs[i] = newClient(a, o.warmup+o.duration+2*time.Minute)
	}
	return cs
}

func runBenchOn(ctx context.Context, apis []string, o *benchOptions, progress io.Writer) (*BenchResult, error) {
	cs := benchClients(apis, o)
	t0 := time.Now()
	// Peers bench founded form a ring of their own; others are part of a larger one.
	joinedOnly := len(o.apis) > 0 || len(o.join) > 0
	if err := waitRing(ctx, cs, joinedOnly, benchStartTimeout); err != nil {
		return nil, err
	}
	var id [4]byte
	_, _ = crand.Read(id[:])
	prefix := "bench/" + hex.EncodeToString(id[:]) + "/"
	seed := uint64(time.Now().UnixNano())
	if err := waitStore(ctx, cs, prefix, benchStartTimeout); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "bench: %d peers in the ring, store ready after %.1fs; keys %s0..%d\n", len(cs), time.Since(t0).Seconds(), prefix, o.keys-1)
	if o.mode == benchLocal {
		return runLocalBench(ctx, cs, o, prefix, progress)
	}

	base := BenchRequest{Keys: o.keys, KeyPrefix: prefix, Seed: seed}
	fill := base
	fill.Mode, fill.Clients = benchFill, max(1, min(16, o.keys/len(cs)))
	reps, err := benchAll(ctx, cs, fill, nil)
	if err != nil {
		return nil, err
	}
	if tot := sumReplies(reps); tot.Ops != int64(o.keys) {
		return nil, fmt.Errorf("bench: writing the %d counters failed for %d of them: %s", o.keys, int64(o.keys)-tot.Ops, tot.FirstError)
	}
	load := base
	load.Mode = o.mode
	var warm []BenchReply
	if o.warmup > 0 {
		fmt.Fprintf(progress, "bench: warm-up %s\n", o.warmup)
		load.DurationMS = o.warmup.Milliseconds()
		if warm, err = benchAll(ctx, cs, load, splitClients(o.clients, len(cs))); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(progress, "bench: measuring %s, %s mode, %d clients\n", o.duration, o.mode, o.clients)
	load.DurationMS = o.duration.Milliseconds()
	load.Seed++
	profiled := make(chan error, 1)
	if o.profile != "" {
		go func() { profiled <- collectProfiles(ctx, apis, o.profile, o.duration) }()
	} else {
		profiled <- nil
	}
	reps, err = benchAll(ctx, cs, load, splitClients(o.clients, len(cs)))
	if perr := <-profiled; perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return nil, err
	}
	if o.profile != "" {
		fmt.Fprintf(progress, "bench: CPU profiles in %s\n", o.profile)
	}
	res, err := summarize(reps, o, len(cs))
	if err != nil {
		return nil, err
	}
	if o.mode == benchRMW {
		sum := base
		sum.Mode, sum.Clients = benchSum, max(1, min(16, o.keys/len(cs)))
		sreps, err := benchAll(ctx, cs, sum, nil)
		if err != nil {
			return nil, err
		}
		st := sumReplies(sreps)
		if st.Ops != int64(o.keys) {
			return nil, fmt.Errorf("bench: reading the counters back failed for %d of them: %s", int64(o.keys)-st.Ops, st.FirstError)
		}
		wt := sumReplies(warm)
		res.CheckSum = st.Sum
		res.CheckCommits = res.Committed + wt.Ops
		unknown := res.Unknown + wt.Unknown
		res.CheckOK = uint64(res.CheckCommits) <= st.Sum && st.Sum <= uint64(res.CheckCommits+unknown)
	}
	return res, nil
}

// collectProfiles fetches a CPU profile of each peer over d (whole seconds, at least one) into
// dir/pN.cpu.pprof.
func collectProfiles(ctx context.Context, apis []string, dir string, d time.Duration) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bench --profile: %w", err)
	}
	secs := max(1, int(d.Seconds()))
	errs := make([]error, len(apis))
	var wg sync.WaitGroup
	for i, a := range apis {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fetchProfile(ctx, a, secs, filepath.Join(dir, fmt.Sprintf("p%d.cpu.pprof", i)))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func fetchProfile(ctx context.Context, api string, secs int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+time.Minute)
	defer cancel()
	u := fmt.Sprintf("http://%s%sprofile?seconds=%d", api, pprofPrefix, secs)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("bench --profile: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("bench --profile: peer at %s: %w", api, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bench --profile: peer at %s answers HTTP %d (is it running with --pprof?)", api, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("bench --profile: peer at %s: %w", api, err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("bench --profile: %w", err)
	}
	return nil
}

// waitStore writes a probe key through every peer until each write commits: after the joins,
// replica groups still move to their new members for a moment.
func waitStore(ctx context.Context, cs []*client, prefix string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for i, c := range cs {
		for {
			_, err := c.Put(ctx, PutRequest{Key: fmt.Sprintf("%sprobe-%d", prefix, i), Value: "1"}, 5*time.Second)
			if err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("bench: the store did not accept writes within %s: %w", timeout, err)
			case <-tick.C:
			}
		}
	}
	return nil
}

// splitClients deals total clients out to n peers as evenly as possible.
func splitClients(total, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = total / n
		if i < total%n {
			out[i]++
		}
	}
	return out
}

// benchAll sends req to every peer at once (with clients[i] clients to peer i, possibly none, or
// req.Clients and peer i's share of the keys when clients is nil) and returns their replies.
func benchAll(ctx context.Context, cs []*client, req BenchRequest, clients []int) ([]BenchReply, error) {
	reps := make([]BenchReply, len(cs))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		r := req
		if clients != nil {
			r.Clients = clients[i] // 0: the peer measures its counters and CPU over the run
		} else {
			r.Offset, r.Stride = i, len(cs)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.do(ctx, http.MethodPost, "/v1/bench/run", nil, r, &reps[i])
			if errs[i] != nil {
				errs[i] = fmt.Errorf("bench %s on the peer at %s: %w", r.Mode, c.addr, errs[i])
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return reps, nil
}

func sumReplies(reps []BenchReply) BenchReply {
	var t BenchReply
	for _, r := range reps {
		t.Ops += r.Ops
		t.Aborts += r.Aborts
		t.NoQuorum += r.NoQuorum
		t.Conflicts += r.Conflicts
		t.Unknown += r.Unknown
		t.Errors += r.Errors
		t.Sum += r.Sum
		if t.FirstError == "" {
			t.FirstError = r.FirstError
		}
		t.ElapsedMS = max(t.ElapsedMS, r.ElapsedMS)
		t.MsgsSent += r.MsgsSent
		t.BytesSent += r.BytesSent
		t.Syncs += r.Syncs
		t.SyncMS += r.SyncMS
		t.Writes += r.Writes
		t.WriteSize += r.WriteSize
		t.Reads += r.Reads
		t.LocalReads += r.LocalReads
		if r.CPUMS < 0 || t.CPUMS < 0 {
			t.CPUMS = -1
		} else {
			t.CPUMS += r.CPUMS
		}
	}
	return t
}

func summarize(reps []BenchReply, o *benchOptions, nodes int) (*BenchResult, error) {
	t := sumReplies(reps)
	hist := newLatencyHist()
	for _, r := range reps {
		h, err := histFromPairs(r.Hist)
		if err != nil {
			return nil, fmt.Errorf("bench: a peer sent a bad histogram: %w", err)
		}
		hist.merge(h)
	}
	secs := t.ElapsedMS / 1000
	res := &BenchResult{
		Mode: o.mode, Nodes: nodes, Clients: o.clients, Keys: o.keys, DurationS: secs,
		Aborts: t.Aborts, NoQuorum: t.NoQuorum, Conflicts: t.Conflicts, Unknown: t.Unknown,
		Errors: t.Errors, FirstError: t.FirstError,
		P50MS: ms(hist.quantile(0.50)), P90MS: ms(hist.quantile(0.90)), P99MS: ms(hist.quantile(0.99)),
		MaxMS: ms(hist.quantile(1)), CPUS: -1, Cores: runtime.NumCPU(),
	}
	if secs > 0 {
		res.OpsPerS = float64(t.Ops) / secs
	}
	if o.mode == benchRMW {
		res.Committed, res.CommittedPerS = t.Ops, res.OpsPerS
	} else {
		res.Reads, res.ReadsPerS = t.Ops, res.OpsPerS
	}
	if t.Ops > 0 {
		res.MsgsPerOp = float64(t.MsgsSent) / float64(t.Ops)
		res.BytesPerOp = float64(t.BytesSent) / float64(t.Ops)
		res.SyncsPerOp = float64(t.Syncs) / float64(t.Ops)
		res.WritesPerOp = float64(t.Writes) / float64(t.Ops)
		res.WriteBytesOp = float64(t.WriteSize) / float64(t.Ops)
		res.ReadsPerOp = float64(t.Reads) / float64(t.Ops)
		res.LocalPerOp = float64(t.LocalReads) / float64(t.Ops)
	}
	if t.Syncs > 0 {
		res.SyncMSAvg = t.SyncMS / float64(t.Syncs)
	}
	if t.CPUMS >= 0 {
		res.CPUS = t.CPUMS / 1000
		if t.Ops > 0 {
			res.CPUMSPerOp = t.CPUMS / float64(t.Ops)
			if o.mode == benchRMW {
				res.CPUMSPerTx = res.CPUMSPerOp
			}
		}
	}
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func printBench(w io.Writer, asJSON bool, r *BenchResult) error {
	var b strings.Builder
	where := "running peers"
	if r.Local {
		where = "local peers on 127.0.0.1"
	}
	if r.Mode == benchLocal {
		fmt.Fprintf(&b, "detrans-node bench: local mode, %d %s, %d edits by one peer in %.1fs, watched by another, %d cores\n",
			r.Nodes, where, r.Edits, r.DurationS, r.Cores)
		fmt.Fprintf(&b, "failed      %d edits, %d never seen by the watcher\n", r.Errors, r.Unseen)
		if r.FirstError != "" {
			fmt.Fprintf(&b, "first error %s\n", r.FirstError)
		}
		fmt.Fprintf(&b, "local       p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms  (Local returns)\n", r.P50MS, r.P90MS, r.P99MS, r.MaxMS)
		fmt.Fprintf(&b, "visible     p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  (committed, delivered by Watch on the other peer)\n",
			r.VisibleP50MS, r.VisibleP90MS, r.VisibleP99MS, r.VisibleMaxMS)
	} else {
		fmt.Fprintf(&b, "detrans-node bench: %s mode, %d %s, %d clients, %d keys, %.1fs measured, %d cores\n",
			r.Mode, r.Nodes, where, r.Clients, r.Keys, r.DurationS, r.Cores)
	}
	switch r.Mode {
	case benchRMW:
		fmt.Fprintf(&b, "committed   %d tx = %.0f tx/s\n", r.Committed, r.CommittedPerS)
		per := 0.0
		if r.Committed > 0 {
			per = 100 * float64(r.Aborts) / float64(r.Committed)
		}
		fmt.Fprintf(&b, "aborts      %d conflict retries (%.1f per 100 committed)\n", r.Aborts, per)
	case benchRead:
		fmt.Fprintf(&b, "reads       %d = %.0f reads/s\n", r.Reads, r.ReadsPerS)
	}
	if r.Mode != benchLocal {
		fmt.Fprintf(&b, "failed      %d no quorum, %d conflict, %d unknown outcome, %d other\n", r.NoQuorum, r.Conflicts, r.Unknown, r.Errors)
		if r.FirstError != "" {
			fmt.Fprintf(&b, "first error %s\n", r.FirstError)
		}
		fmt.Fprintf(&b, "latency     p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n", r.P50MS, r.P90MS, r.P99MS, r.MaxMS)
		fmt.Fprintf(&b, "work        %.1f messages (%.0f bytes) and %.2f fsyncs (%.2f ms each) per op, all peers\n", r.MsgsPerOp, r.BytesPerOp, r.SyncsPerOp, r.SyncMSAvg)
		fmt.Fprintf(&b, "store       %.1f records written (%.0f bytes) per op, all peers\n", r.WritesPerOp, r.WriteBytesOp)
		fmt.Fprintf(&b, "read path   %.2f quorum reads and %.2f local replica reads per op\n", r.ReadsPerOp, r.LocalPerOp)
	}
	if r.CPUS >= 0 {
		unit := "committed tx"
		if r.Mode == benchRead {
			unit = "read"
		}
		fmt.Fprintf(&b, "cpu         %.2f s in all peers = %.3f ms per %s\n", r.CPUS, r.CPUMSPerOp, unit)
	}
	if r.Mode == benchRMW {
		verdict := "ok"
		if !r.CheckOK {
			verdict = "MISMATCH"
		}
		fmt.Fprintf(&b, "check       sum of counters %d, increments committed %d (+ %d unknown): %s\n", r.CheckSum, r.CheckCommits, r.Unknown, verdict)
	}
	if asJSON {
		j, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if r.Mode == benchRMW && !r.CheckOK {
		return fmt.Errorf("bench: the counters add up to %d but %d increments committed: lost or duplicated writes", r.CheckSum, r.CheckCommits)
	}
	return nil
}
