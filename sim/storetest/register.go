package storetest

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/txn"
)

// Register is the linearizability workload: clients read and write a few keys. A write is what
// node.Put does under the hood — a quorum read of the version, then a commit whose op names
// that version — so a committed write is a compare-and-set on the version: it takes effect only
// if no other write came in between. The model is therefore a versioned register with CAS,
// which is stronger than a plain register: it also rejects two acknowledged writes based on
// the same version (a lost update) and a version that goes backwards, which a plain register
// would accept. The read that precedes each write is recorded as a read of its own.
type Register struct {
	Keys    []string
	Clients int
	Think   time.Duration // pause between a client's operations, uniform in [0, Think]

	w   *World
	ops []porcupine.Operation
	n   int // values written, for unique values
}

// regIn is an operation's input: a read, or a CAS write from version From to (Val, Del).
type regIn struct {
	Key   string
	Write bool
	From  uint64
	Val   string
	Del   bool
}

// regOut is an operation's output: what a read saw, or for a write whether its outcome is
// unknown (pending forever).
type regOut struct {
	Ver     uint64
	Val     string
	Found   bool
	Unknown bool
}

// regState is the model's state of one key.
type regState struct {
	Ver   uint64
	Val   string
	Found bool
}

// registerModel is the versioned CAS register, partitioned by key. It is nondeterministic only
// for writes of unknown outcome, which may or may not have taken effect.
var registerModel = (&porcupine.NondeterministicModel{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(regIn).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() []any { return []any{regState{}} },
	Step: func(state, input, output any) []any {
		st, in, out := state.(regState), input.(regIn), output.(regOut)
		if !in.Write {
			if st == (regState{Ver: out.Ver, Val: out.Val, Found: out.Found}) {
				return []any{st}
			}
			return nil
		}
		applied := regState{Ver: in.From + 1, Val: in.Val, Found: !in.Del}
		switch {
		case out.Unknown && st.Ver == in.From:
			return []any{applied, st}
		case out.Unknown:
			return []any{st}
		case st.Ver == in.From:
			return []any{applied}
		}
		return nil
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(regIn), output.(regOut)
		if !in.Write {
			if !out.Found {
				return fmt.Sprintf("read(%s) -> absent@v%d", in.Key, out.Ver)
			}
			return fmt.Sprintf("read(%s) -> %s@v%d", in.Key, out.Val, out.Ver)
		}
		what := in.Val
		if in.Del {
			what = "delete"
		}
		res := "ok"
		if out.Unknown {
			res = "unknown"
		}
		return fmt.Sprintf("cas(%s, v%d -> %s) %s", in.Key, in.From, what, res)
	},
	DescribeState: func(state any) string {
		st := state.(regState)
		if !st.Found {
			return fmt.Sprintf("absent@v%d", st.Ver)
		}
		return fmt.Sprintf("%s@v%d", st.Val, st.Ver)
	},
}).ToModel()

// Start launches the clients; they run until the world stops.
func (r *Register) Start(w *World) {
	r.w = w
	for range r.Clients {
		proc := w.NewProc()
		w.S.After(r.think(), func() { r.next(proc) })
	}
}

func (r *Register) think() time.Duration {
	return time.Duration(r.w.Rand.Int64N(int64(r.Think) + 1))
}

// next starts a client's next operation: a read, followed half of the time by a write.
func (r *Register) next(proc int) {
	w := r.w
	if w.Stopped() {
		return
	}
	addr, key := w.RandomLive(), r.Keys[w.Rand.IntN(len(r.Keys))]
	write := w.Rand.IntN(2) == 0
	call := w.S.Now()
	ok := addr != "" && w.Read(addr, []byte(key), func(ev txn.Event, lost bool) {
		if lost || ev.Err != nil {
			w.S.After(r.think(), func() { r.next(proc) })
			return
		}
		r.recordRead(proc, key, call, w.S.Now(), ev)
		if !write || w.Stopped() {
			w.S.After(r.think(), func() { r.next(proc) })
			return
		}
		r.write(proc, key, ev.Version)
	})
	if !ok {
		w.S.After(10*time.Millisecond, func() { r.next(proc) })
	}
}

func (r *Register) write(proc int, key string, from uint64) {
	w := r.w
	r.n++
	in := regIn{Key: key, Write: true, From: from, Val: fmt.Sprintf("w%d", r.n), Del: w.Rand.IntN(10) == 0}
	if in.Del {
		in.Val = ""
	}
	addr := w.RandomLive()
	call := w.S.Now()
	op := txn.Op{Key: []byte(key), ReadVersion: from, Write: true, Value: []byte(in.Val), Delete: in.Del}
	ok := w.Commit(addr, txn.TxSpec{Ops: []txn.Op{op}}, func(ev txn.Event, lost bool) {
		switch {
		case lost || isUnknown(ev.Err):
			r.ops = append(r.ops, porcupine.Operation{ClientId: proc, Input: in, Call: int64(call), Output: regOut{Unknown: true}, Return: math.MaxInt64})
			proc = w.NewProc() // the old process is stuck in its unknown operation
		case ev.Err == nil:
			r.ops = append(r.ops, porcupine.Operation{ClientId: proc, Input: in, Call: int64(call), Output: regOut{}, Return: int64(w.S.Now())})
		}
		// Conflict and no-quorum: the write did not happen; leave it out.
		w.S.After(r.think(), func() { r.next(proc) })
	})
	if !ok {
		w.S.After(10*time.Millisecond, func() { r.next(proc) })
	}
}

func (r *Register) recordRead(proc int, key string, call, ret ring.Time, ev txn.Event) {
	r.ops = append(r.ops, porcupine.Operation{ClientId: proc, Input: regIn{Key: key}, Call: int64(call),
		Output: regOut{Ver: ev.Version, Val: string(ev.Value), Found: ev.Found}, Return: int64(ret)})
}

// Final reads every key once the world is quiet; the reads join the history. It fails when a
// key cannot be read within d.
func (r *Register) Final(d time.Duration) error {
	proc := r.w.NewProc()
	for _, k := range r.Keys {
		_, err := r.w.ReadSync(r.w.RandomLive(), []byte(k), d, func(call, ret ring.Time, ev txn.Event) {
			if ev.Err == nil {
				r.recordRead(proc, k, call, ret, ev)
			}
		})
		if err != nil {
			return fmt.Errorf("register final read: %w", err)
		}
	}
	return nil
}

// Ops is the recorded history.
func (r *Register) Ops() []porcupine.Operation { return r.ops }

// Check runs porcupine on the history. On a violation it writes porcupine's HTML visualization
// to a temporary file and names it in the error, with the first operations of the offending key.
func (r *Register) Check(timeout time.Duration) error {
	return CheckRegister(r.ops, timeout)
}

// CheckRegister checks a register history (exported for tests of the checker itself).
func CheckRegister(ops []porcupine.Operation, timeout time.Duration) error {
	res, info := porcupine.CheckOperationsVerbose(registerModel, ops, timeout)
	switch res {
	case porcupine.Ok:
		return nil
	case porcupine.Unknown:
		return fmt.Errorf("linearizability check of %d operations did not finish within %v", len(ops), timeout)
	}
	f, err := os.CreateTemp("", "detrans-linear-*.html")
	path := "(could not create a file: " + fmt.Sprint(err) + ")"
	if err == nil {
		path = f.Name()
		if verr := porcupine.Visualize(registerModel, info, f); verr != nil {
			path += " (incomplete: " + verr.Error() + ")"
		}
		f.Close()
	}
	var bad []porcupine.Operation
	for _, part := range registerModel.Partition(ops) {
		if !porcupine.CheckOperations(registerModel, part) {
			bad = part
			break
		}
	}
	return fmt.Errorf("history of %d operations is not linearizable; visualization: %s\noperations of the first offending key:\n%s", len(ops), path, excerpt(bad))
}

// excerpt lists the operations of the keys in time order, for a readable failure message.
func excerpt(ops []porcupine.Operation) string {
	sorted := append([]porcupine.Operation(nil), ops...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Call < sorted[j].Call })
	out := ""
	for i, op := range sorted {
		if i == 400 {
			out += fmt.Sprintf("... %d more\n", len(sorted)-i)
			break
		}
		ret := "∞"
		if op.Return != math.MaxInt64 {
			ret = time.Duration(op.Return).String()
		}
		out += fmt.Sprintf("  p%-3d [%v, %s] %s\n", op.ClientId, time.Duration(op.Call), ret, registerModel.DescribeOperation(op.Input, op.Output))
	}
	return out
}

func isUnknown(err error) bool { return errors.Is(err, txn.ErrUnknownOutcome) }
