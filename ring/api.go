package ring

import "time"

// This file is the contract between the ring state machine and its two drivers (sim/ and node/).
// Drivers only use what is declared here plus Message encoding (codec.go).

// Time is a point in time in nanoseconds since an arbitrary, driver-chosen epoch. The simulator
// passes virtual time; node/ passes a monotonic clock. The state machine never reads a clock.
type Time int64

// Add returns t advanced by d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Sub returns the duration t-u.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// NodeRef names a peer on the ring.
type NodeRef struct {
	ID   ID     // ring position
	Addr string // transport address: a libp2p peer ID string in node/, a simulator name in sim/
	Inc  uint64 // incarnation: bumped on every restart of the same identity
}

// IsZero reports whether r is the zero NodeRef (no node).
func (r NodeRef) IsZero() bool { return r.Addr == "" }

// Output is everything the state machine wants its driver to do, collected since the last Ready.
type Output struct {
	Msgs   []Message // to send; each has To set. Delivery is best effort, unordered.
	Events []Event   // for the driver/application: lookup results, membership changes
	// Wake is the earliest time the machine needs Tick (zero: no timer pending). A driver may
	// tick only then (the simulator does) or periodically (node/ does); both are correct.
	Wake Time
}

// EventKind classifies an Event.
type EventKind uint8

const (
	EvLookupDone         EventKind = iota + 1 // a Lookup finished: ReqID, Key, Node (owner), Hops
	EvLookupFailed                            // a Lookup timed out: ReqID, Key
	EvJoined                                  // this node became part of a ring (has pred and succ)
	EvSuccessorChanged                        // Node is the new first successor
	EvPredecessorChanged                      // Node is the new predecessor (zero: none)
	EvSuspected                               // Node is suspected to have failed
	EvRemoved                                 // Node was removed and put on the passive list
	EvLeft                                    // graceful Leave finished; the driver may stop this node
	EvPassiveContact                          // a message arrived from Node, which is on our passive list
)

// Event reports something the driver or the layers above may act on.
type Event struct {
	Kind  EventKind
	ReqID uint64
	Key   ID
	Node  NodeRef
	Hops  int
}

// State is a read-only snapshot of a node's view, for status output and checkers.
type State struct {
	Self        NodeRef
	Joined      bool
	Pred        NodeRef   // zero if none
	Succs       []NodeRef // nearest first
	Preds       []NodeRef // nearest first
	Fingers     int       // number of distinct finger entries
	FingerNodes []NodeRef // distinct finger entries, in ring order from self
	Passive     []PassiveEntry
	Suspected   []NodeRef
}

// PassiveEntry is a node that was removed from the view (suspected failed or partitioned away),
// kept with the incarnation it had so the partition layer can probe it later.
type PassiveEntry struct {
	Node      NodeRef
	RemovedAt Time
}
