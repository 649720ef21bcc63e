package ring

import "time"

// Config holds the ring protocol parameters. Zero fields take the DefaultConfig value.
type Config struct {
	TickInterval    time.Duration // how often the driver calls Tick
	SuccListLen     int           // successor list length (default 8)
	PredListLen     int           // predecessor list length
	FingerBase      int           // k of the k-ary finger table
	StabilizePeriod time.Duration // slow periodic stabilisation
	MinTimeout      time.Duration // lower bound of the adaptive failure-detector timeout
	MaxTimeout      time.Duration // upper bound
	SuspectPeriod   time.Duration // how long a node stays suspected before removal
	LookupTimeout   time.Duration
	PassiveLen      int // bound of the passive list
}

// Node is the ring state machine of one peer. Not safe for concurrent use: the driver owns it.
type Node struct {
	// implementation in progress
}

// New creates a node that is not yet part of any ring. All randomness derives from seed.
func New(cfg Config, self NodeRef, seed int64) *Node { panic("ring: not implemented yet") }

// Bootstrap starts joining through contacts; with no contacts the node forms a ring of its own.
func (n *Node) Bootstrap(now Time, contacts []NodeRef) { panic("ring: not implemented yet") }

// Step delivers one message addressed to this node.
func (n *Node) Step(now Time, m Message) { panic("ring: not implemented yet") }

// Tick advances timers; the driver calls it every Config.TickInterval.
func (n *Node) Tick(now Time) { panic("ring: not implemented yet") }

// Lookup starts a lookup of key and returns its request id; the result arrives as an Event.
func (n *Node) Lookup(now Time, key ID) uint64 { panic("ring: not implemented yet") }

// Leave starts a graceful leave; EvLeft tells the driver when it may stop the node.
func (n *Node) Leave(now Time) { panic("ring: not implemented yet") }

// Ready returns and clears the output collected since the previous call.
func (n *Node) Ready() Output { panic("ring: not implemented yet") }

// State returns a snapshot of the node's view.
func (n *Node) State() State { panic("ring: not implemented yet") }
