package local

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/store"
	"github.com/detrans/detrans/txn"
)

// Store is what the outbox needs from the transactional store (txn.Machine satisfies it): the
// results come back as txn events, which the driver hands to OnEvent.
type Store interface {
	Read(now ring.Time, key []byte) uint64
	Commit(now ring.Time, spec txn.TxSpec) uint64
	Subscribe(now ring.Time, g int)
	Placement() txn.Placement
}

// Config configures the layer.
type Config struct {
	Self       string        // this peer's address: names its outbox marker key
	Mirror     bool          // keep a full local copy of the space (apps); off for headless peers
	MaxRebases int           // an intent rebased this often without committing is dropped (default 8)
	RetryMin   time.Duration // first wait after a failed attempt (default 200 ms)
	RetryMax   time.Duration // longest wait between attempts while offline (default 5 s)
}

// ReservedPrefix is the key space the layer uses itself; Scan hides it.
const ReservedPrefix = "_detrans/"

// Output is what the layer asks the driver to do: persist (before answering Local and before
// anything else of this output), and tell the app's watchers about Changes.
type Output struct {
	Persist *store.Batch
	Changes []Change
	Wake    ring.Time
}

type phase uint8

const (
	idle       phase = iota
	readMarker       // reading the outbox marker (start-up, unknown outcome)
	committing       // the head's commit is in flight
	readFresh        // reading fresh values of the head's keys after a conflict
	waiting          // backing off until `until`
)

type entry struct {
	Seq     uint64
	In      Intent
	Deps    map[string]dep // every key the intent reads or writes
	Stale   bool           // an earlier intent it built on was rebased or dropped: rebase first
	Rebases int
}

// dep is what the intent's author saw of a key: a committed version, or the write of an earlier
// pending intent (After = its Seq) whose commit will tell the version.
type dep struct {
	Ver   uint64
	After uint64
}

// Machine is the layer of one peer. Not safe for concurrent use: the driver owns it.
type Machine struct {
	cfg Config
	st  Store
	rng *rand.Rand

	mirror  map[string]Value
	entries []*entry
	overlay map[string]*entry // key → last pending intent writing it
	nextSeq uint64

	markerKnown bool
	markerVer   uint64
	markerVal   uint64

	phase   phase
	reqs    map[uint64]string // in-flight store request → key ("" for the head's commit)
	fresh   map[string]Value
	until   ring.Time
	backoff time.Duration

	flight      flight // the commit in flight (batch.go)
	singleUntil uint64 // entries up to this Seq commit one by one: their batch conflicted

	rebasers map[string]Rebaser
	online   bool
	merged   int
	dropped  int
	started  bool

	out Output
}

// New creates the layer over st.
func New(cfg Config, st Store, seed int64) *Machine {
	if cfg.MaxRebases <= 0 {
		cfg.MaxRebases = 8
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 200 * time.Millisecond
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 5 * time.Second
	}
	return &Machine{
		cfg: cfg, st: st, rng: rand.New(rand.NewPCG(uint64(seed), 77)),
		mirror: map[string]Value{}, overlay: map[string]*entry{}, reqs: map[uint64]string{},
		rebasers: map[string]Rebaser{}, nextSeq: 1, online: true,
	}
}

func (m *Machine) markerKey() string { return ReservedPrefix + "outbox/" + m.cfg.Self }

// Register installs the merge rule for intents of one kind. Register every kind the app uses
// before Start: queued intents outlive the process that made them.
func (m *Machine) Register(kind string, r Rebaser) { m.rebasers[kind] = r }

// Start subscribes to the space's change feeds (with Mirror) and begins draining the outbox.
func (m *Machine) Start(now ring.Time) {
	m.started = true
	if m.cfg.Mirror {
		for g := range m.st.Placement().Groups {
			m.st.Subscribe(now, g)
		}
	}
	m.kick(now)
}

// Local applies in to the local view and queues it. The error is for intents that can never
// commit (empty, no kind, a reserved key, too large); nothing is recorded then.
func (m *Machine) Local(now ring.Time, in Intent) error {
	if err := validate(in); err != nil {
		return err
	}
	in = cloneIntent(in)
	e := &entry{Seq: m.nextSeq, In: in, Deps: map[string]dep{}}
	m.nextSeq++
	for _, k := range keysOf(in) {
		if p := m.overlay[k]; p != nil {
			e.Deps[k] = dep{After: p.Seq}
		} else {
			e.Deps[k] = dep{Ver: m.mirror[k].Version}
		}
	}
	m.entries = append(m.entries, e)
	for _, w := range in.Writes {
		m.overlay[w.Key] = e
	}
	m.persistEntry(e)
	m.persistState()
	m.kick(now)
	return nil
}

// Validate reports why an intent could never commit (the same check Local makes), so a driver
// can refuse it before recording it.
func Validate(in Intent) error { return validate(in) }

func validate(in Intent) error {
	if in.Kind == "" {
		return errors.New("local: intent without a kind")
	}
	if len(in.Writes) == 0 {
		return errors.New("local: intent without writes")
	}
	size := len(in.Op)
	seen := map[string]bool{}
	for _, k := range keysOf(in) {
		if k == "" || strings.HasPrefix(k, ReservedPrefix) {
			return fmt.Errorf("local: key %q is empty or reserved", k)
		}
		size += len(k)
	}
	for _, w := range in.Writes {
		if seen[w.Key] {
			return fmt.Errorf("local: key %q written twice in one intent", w.Key)
		}
		seen[w.Key] = true
		if len(w.Value) > txn.MaxValueSize {
			return fmt.Errorf("local: value of %q has %d bytes, at most %d", w.Key, len(w.Value), txn.MaxValueSize)
		}
		size += len(w.Value)
	}
	if size > txn.MaxMessageSize/4 {
		return fmt.Errorf("local: intent of %d bytes is too large", size)
	}
	return nil
}

// Get reads the local view.
func (m *Machine) Get(key string) Value {
	v := m.mirror[key]
	if p := m.overlay[key]; p != nil {
		for _, w := range p.In.Writes {
			if w.Key == key {
				return Value{Data: w.Value, Version: v.Version}
			}
		}
	}
	return v
}

// KV is one Scan result.
type KV struct {
	Key string
	Value
}

// Scan lists the live keys of the local view with the prefix, in key order.
func (m *Machine) Scan(prefix string) []KV {
	keys := map[string]bool{}
	for k := range m.mirror {
		if strings.HasPrefix(k, prefix) {
			keys[k] = true
		}
	}
	for k := range m.overlay {
		if strings.HasPrefix(k, prefix) {
			keys[k] = true
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		if !strings.HasPrefix(k, ReservedPrefix) {
			sorted = append(sorted, k)
		}
	}
	slices.Sort(sorted)
	out := make([]KV, 0, len(sorted))
	for _, k := range sorted {
		if v := m.Get(k); v.Data != nil {
			out = append(out, KV{Key: k, Value: v})
		}
	}
	return out
}

// Status is the current sync state.
func (m *Machine) Status() Status {
	return Status{Online: m.online, Pending: len(m.entries), Merged: m.merged, Dropped: m.dropped}
}

// Pending lists the queued intents in order (for tests and diagnostics).
func (m *Machine) Pending() []Intent {
	out := make([]Intent, len(m.entries))
	for i, e := range m.entries {
		out[i] = cloneIntent(e.In)
	}
	return out
}

// Ready returns and clears the output.
func (m *Machine) Ready() Output {
	o := m.out
	m.out = Output{}
	if m.phase == waiting {
		o.Wake = m.until
	}
	return o
}

// Tick ends a back-off.
func (m *Machine) Tick(now ring.Time) {
	if m.phase == waiting && now >= m.until {
		m.phase = idle
		m.kick(now)
	}
}

// OnChange takes a change-feed event (txn.EvChange) into the mirror.
func (m *Machine) OnChange(now ring.Time, ev txn.Event) {
	k := string(ev.Key)
	old := m.mirror[k]
	if ev.Version <= old.Version {
		return
	}
	before := m.Get(k)
	v := Value{Version: ev.Version}
	if ev.Found {
		v.Data = ev.Value
	}
	m.mirror[k] = v
	m.persistMirror(k, v)
	if after := m.Get(k); !sameData(before.Data, after.Data) && !strings.HasPrefix(k, ReservedPrefix) {
		m.out.Changes = append(m.out.Changes, Change{Key: k})
	}
}

// OnEvent takes the result of a store request; it reports whether the request was ours.
func (m *Machine) OnEvent(now ring.Time, ev txn.Event) bool {
	key, ok := m.reqs[ev.ReqID]
	if !ok {
		return false
	}
	delete(m.reqs, ev.ReqID)
	switch ev.Kind {
	case txn.EvReadDone:
		m.readDone(now, key, ev)
	case txn.EvCommitDone:
		m.commitDone(now, ev.Err)
	}
	return true
}

// kick starts work on the head of the outbox if nothing is in flight.
func (m *Machine) kick(now ring.Time) {
	if !m.started || m.phase != idle || len(m.entries) == 0 {
		return
	}
	e := m.entries[0]
	switch {
	case !m.markerKnown:
		m.phase = readMarker
		m.reqs[m.st.Read(now, []byte(m.markerKey()))] = m.markerKey()
	case m.markerVal >= e.Seq:
		m.committedElsewhere(now, e) // an earlier run committed it and crashed before forgetting it
	case e.Stale || e.hasPendingDep():
		m.startFresh(now)
	default:
		var spec txn.TxSpec
		m.flight, spec = m.nextBatch()
		m.phase = committing
		m.reqs[m.st.Commit(now, spec)] = ""
	}
}

func (e *entry) hasPendingDep() bool {
	for _, d := range e.Deps {
		if d.After != 0 {
			return true
		}
	}
	return false
}

func (m *Machine) commitDone(now ring.Time, err error) {
	m.phase = idle
	if len(m.entries) == 0 {
		return
	}
	e, f := m.entries[0], m.flight
	m.flight = flight{}
	switch {
	case err == nil:
		m.markerVer++
		m.markerVal = f.last
		m.online = true
		m.backoff = 0
		m.committedBatch(now, f)
	case f.n > 1 && !txn.IsNoQuorum(err):
		// One of the batch's intents conflicts (or is refused): find which, one at a time.
		m.online = true
		m.singleUntil = f.last
	case errors.Is(err, txn.ErrConflict):
		m.online = true
		m.startFresh(now)
		return
	case txn.IsNoQuorum(err):
		if errors.Is(err, txn.ErrUnknownOutcome) {
			m.markerKnown = false // it may have committed: the marker will tell
		}
		m.online = false
		m.wait(now)
		return
	default:
		// The store refuses this intent for good (it validated here, so this is a bug or a
		// limit we do not know): drop it rather than block every later edit behind it.
		m.drop(now, e, fmt.Sprintf("an edit could not be saved and was dropped: %v", err))
	}
	m.kick(now)
}

// committedBatch takes the f.n head entries our own commit has just committed: the mirror gets
// the batch's final value of each key at its new version, then each entry leaves the outbox.
func (m *Machine) committedBatch(now ring.Time, f flight) {
	final := map[string][]byte{}
	for _, e := range m.entries[:f.n] {
		for _, w := range e.In.Writes {
			final[w.Key] = w.Value
		}
	}
	for _, k := range sortedKeys(final) {
		if v := (Value{Data: final[k], Version: f.vers[k]}); v.Version > m.mirror[k].Version {
			m.mirror[k] = v
			m.persistMirror(k, v)
		}
	}
	for range f.n {
		m.committed(now, m.entries[0], true)
	}
}

// committed removes the head after its commit; known says the mirror already holds its
// versions (our own successful commit) rather than our having found it committed by an
// earlier run.
func (m *Machine) committed(now ring.Time, e *entry, known bool) {
	m.entries = m.entries[1:]
	b := m.batch()
	b.DeleteMeta(entryName(e.Seq))
	for _, q := range m.entries {
		for k, d := range q.Deps {
			if d.After != e.Seq {
				continue
			}
			// Intents that saw an older version of e's writes were marked stale when e was
			// rebased; the rest saw exactly what committed — unless we cannot tell.
			q.Deps[k] = dep{Ver: m.mirror[k].Version}
			if !known {
				q.Stale = true
			}
		}
	}
	m.rebuildOverlay()
	m.persistState()
}

func (m *Machine) committedElsewhere(now ring.Time, e *entry) {
	before := m.visible(writeKeys(e.In))
	m.committed(now, e, false)
	m.notify(before, "")
	m.kick(now)
}

func (m *Machine) wait(now ring.Time) {
	if m.backoff == 0 {
		m.backoff = m.cfg.RetryMin
	} else {
		m.backoff = min(2*m.backoff, m.cfg.RetryMax)
	}
	jitter := time.Duration(m.rng.Int64N(int64(m.backoff/2) + 1))
	m.phase = waiting
	m.until = now.Add(m.backoff/2 + jitter)
}

// startFresh reads the committed state of every key of the head (and the marker).
func (m *Machine) startFresh(now ring.Time) {
	e := m.entries[0]
	m.phase = readFresh
	m.fresh = map[string]Value{}
	for _, k := range append(sortedKeys(e.Deps), m.markerKey()) {
		m.reqs[m.st.Read(now, []byte(k))] = k
	}
}

func (m *Machine) readDone(now ring.Time, key string, ev txn.Event) {
	if ev.Err != nil {
		// Cancel the other reads of this round: their answers are ignored when they come.
		for id := range m.reqs {
			delete(m.reqs, id)
		}
		m.online = false
		m.wait(now)
		return
	}
	v := Value{Version: ev.Version}
	if ev.Found {
		v.Data = ev.Value
	}
	if key == m.markerKey() {
		m.markerKnown = true
		m.markerVer = ev.Version
		m.markerVal, _ = strconv.ParseUint(string(ev.Value), 10, 64)
	}
	switch m.phase {
	case readMarker:
		m.phase = idle
		m.online = true
		m.kick(now)
	case readFresh:
		m.fresh[key] = v
		if len(m.reqs) > 0 {
			return
		}
		m.phase = idle
		m.online = true
		m.resolveConflict(now)
	}
}

// resolveConflict decides, with fresh values of every key of the head, whether to retry as is
// (nothing changed: a lock or a lagging replica got in the way) or to rebase.
func (m *Machine) resolveConflict(now ring.Time) {
	e := m.entries[0]
	if m.markerVal >= e.Seq {
		m.committedElsewhere(now, e)
		return
	}
	if !e.Stale && !e.hasPendingDep() {
		same := true
		for k, d := range e.Deps {
			if m.fresh[k].Version != d.Ver {
				same = false
			}
		}
		if same {
			m.wait(now)
			m.backoff = 0 // a short random wait is enough: nobody changed our keys
			return
		}
	}
	m.rebase(now, e)
}

func (m *Machine) rebase(now ring.Time, e *entry) {
	fresh := map[string]Value{}
	for k := range e.Deps {
		fresh[k] = m.fresh[k]
	}
	rb := m.rebasers[e.In.Kind]
	var res Rebased
	switch {
	case rb == nil:
		res.Notice = fmt.Sprintf("dropped an edit of kind %q: no merge rule registered", e.In.Kind)
	case e.Rebases >= m.cfg.MaxRebases:
		res.Notice = fmt.Sprintf("dropped an edit after %d failed merges", e.Rebases)
	default:
		res = rb(cloneIntent(e.In), fresh)
	}
	if res.Intent == nil {
		m.drop(now, e, res.Notice)
		m.kick(now)
		return
	}
	if err := validate(*res.Intent); err != nil {
		m.drop(now, e, "dropped an edit whose merge was invalid: "+err.Error())
		m.kick(now)
		return
	}
	before := m.visible(append(writeKeys(e.In), writeKeys(*res.Intent)...))
	e.In = cloneIntent(*res.Intent)
	e.Rebases++
	e.Stale = false
	e.Deps = map[string]dep{}
	missing := false
	for _, k := range keysOf(e.In) {
		v, ok := m.fresh[k]
		if !ok {
			missing = true // the merge touched a key we have not read: read it first
		}
		e.Deps[k] = dep{Ver: v.Version}
	}
	if res.Notice != "" {
		m.merged++
	}
	m.staleDependents(e)
	m.rebuildOverlay()
	m.persistEntry(e)
	m.persistState()
	m.notify(before, res.Notice)
	if missing {
		m.startFresh(now)
		return
	}
	m.kick(now)
}

func (m *Machine) drop(now ring.Time, e *entry, notice string) {
	before := m.visible(writeKeys(e.In))
	m.entries = slices.DeleteFunc(m.entries, func(q *entry) bool { return q == e })
	m.dropped++
	m.staleDependents(e)
	m.rebuildOverlay()
	m.batch().DeleteMeta(entryName(e.Seq))
	m.persistState()
	m.notify(before, notice)
}

// staleDependents forces later intents that saw e's old writes through their own rebase.
func (m *Machine) staleDependents(e *entry) {
	for _, q := range m.entries {
		for k, d := range q.Deps {
			if d.After == e.Seq && q != e {
				q.Deps[k] = dep{Ver: m.mirror[k].Version}
				q.Stale = true
			}
		}
	}
}

func (m *Machine) rebuildOverlay() {
	clear(m.overlay)
	for _, e := range m.entries {
		for _, w := range e.In.Writes {
			m.overlay[w.Key] = e
		}
	}
}

// visible snapshots the view of keys, for notify.
func (m *Machine) visible(keys []string) map[string]Value {
	out := make(map[string]Value, len(keys))
	for _, k := range keys {
		out[k] = m.Get(k)
	}
	return out
}

// notify reports keys whose view changed since before; a notice goes with the first key only,
// so the user hears it once (on a key the intent wrote, even if the view did not change).
func (m *Machine) notify(before map[string]Value, notice string) {
	keys := sortedKeys(before)
	for i, k := range keys {
		n := ""
		if i == 0 {
			n = notice
		}
		if n == "" && sameData(before[k].Data, m.Get(k).Data) {
			continue
		}
		m.out.Changes = append(m.out.Changes, Change{Key: k, Notice: n})
	}
}

func sameData(a, b []byte) bool { return (a == nil) == (b == nil) && string(a) == string(b) }

func keysOf(in Intent) []string {
	ks := slices.Clone(in.Reads)
	for _, w := range in.Writes {
		ks = append(ks, w.Key)
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

func writeKeys(in Intent) []string {
	ks := make([]string, len(in.Writes))
	for i, w := range in.Writes {
		ks[i] = w.Key
	}
	return ks
}

func sortedKeys[V any](mp map[string]V) []string {
	out := make([]string, 0, len(mp))
	for k := range mp {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// CloneIntent is a deep copy of in.
func CloneIntent(in Intent) Intent { return cloneIntent(in) }

func cloneIntent(in Intent) Intent {
	out := Intent{Kind: in.Kind, Op: slices.Clone(in.Op), Reads: slices.Clone(in.Reads)}
	out.Writes = make([]Write, len(in.Writes))
	for i, w := range in.Writes {
		out.Writes[i] = Write{Key: w.Key, Value: slices.Clone(w.Value)}
	}
	return out
}

func (m *Machine) batch() *store.Batch {
	if m.out.Persist == nil {
		m.out.Persist = &store.Batch{}
	}
	return m.out.Persist
}
