package sim

import (
	"io"

	"github.com/detrans/detrans/ring"
)

// Message is what machines exchange. Src and Dst are node addresses.
type Message interface {
	Src() string
	Dst() string
}

// Machine is one node's protocol state machine, driven exactly as node/ drives it.
type Machine[M Message] interface {
	// Step delivers one message addressed to this node.
	Step(now ring.Time, m M)
	// Tick runs timers; the sim calls it at the wake time the machine last asked for.
	Tick(now ring.Time)
	// Ready drains the outputs collected since the last call; wake is the next time Tick is
	// wanted (0: none; a time not after now means as soon as possible: now after a Step, now+1ns
	// after a Tick). The sim
	// calls it after every Step, Tick and start, and is done with msgs before it calls the
	// machine again, so a machine may reuse the slice's backing array.
	Ready() (msgs []M, wake ring.Time)
}

// Disk is a node's persistent storage: it survives Crash and Restart. The factory may fill Store
// once (e.g. with an in-memory datastore); the sim never looks inside either field.
type Disk struct {
	Files map[string][]byte
	Store any
}

// Boot is what the factory gets to create one incarnation of a node.
type Boot struct {
	Inc      uint64    // 1 on the first start, +1 per restart
	Disk     *Disk     // the same *Disk for every incarnation of an address
	Seed     int64     // for the machine's own randomness: derived from sim seed, addr and Inc
	Contacts []string  // addresses to join through; empty: found a ring alone
	Now      ring.Time // virtual time of the start
}

// Config configures a Sim.
type Config[M Message] struct {
	// Seed drives every random choice of the network and the machines' derived seeds.
	Seed int64
	// New creates the machine for one incarnation of addr. Required.
	New func(addr string, boot Boot) Machine[M]

	// Encode and Decode, when both set, make every message cross the simulated wire as bytes:
	// encoded at send, decoded at delivery, as over libp2p. An encode or decode error is a
	// recorded drop. When unset, a message value is handed over as is (a duplicated message is
	// a shallow copy: machines must not mutate messages they receive).
	Encode func(M) ([]byte, error)
	Decode func([]byte) (M, error)

	// Fingerprint appends a deterministic byte form of m to dst for the trace hash when no codec
	// is set. Unset: fmt's %+v, which is slow and must not reach pointers (addresses differ
	// between runs).
	Fingerprint func(dst []byte, m M) []byte

	// Kind names a message's type for per-type counters and the text trace. Optional.
	Kind func(M) string

	// Link is the default link model for every directed pair without an override.
	// The zero Link means DefaultLink().
	Link Link

	// Trace, when set, receives one text line per event. It is buffered; the buffer is flushed
	// at the end of every Run call (see TraceErr).
	Trace io.Writer
}
