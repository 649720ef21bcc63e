package txn

import "github.com/detrans/detrans/ring"

// MsgType identifies a transaction-layer message. Values are part of the wire format.
type MsgType uint8

const (
	// Client (transaction manager) ↔ replicas.
	MsgRead      MsgType = 1 // TM → member: Seq, Group, Epoch, Items[].Key
	MsgReadReply MsgType = 2 // member → TM: Seq, Group, Epoch (member's), Code, Items (Key, Value, Version, Deleted, Target of a lock), View when Code != ok
	MsgPrepare   MsgType = 3 // TM → member: Tx, Group, Epoch, Items (Key, ReadVersion=Version, Write, Value, Deleted), Acceptors, Parts, Seq (0: first attempt, votes to a majority of acceptors; else to all)
	MsgDecide    MsgType = 4 // TM → members + acceptors: Tx, Code (commit/abort), Items (commit: Key, Value, Version, Deleted)

	// Paxos Commit: replicas' votes decided by the acceptors.
	MsgVote     MsgType = 5  // member → acceptor: Tx, Ballot 0, Votes, Acceptors, Parts (phase 2a of the fast path), Seq (flags: voteAccepted — the member's own acceptor accepted them, a phase 2b for the TM; voteResent)
	MsgAccepted MsgType = 6  // acceptor → TM/leader: Tx, Ballot, Votes (phase 2b)
	MsgP1a      MsgType = 7  // recovery leader → acceptors: Tx, Ballot
	MsgP1b      MsgType = 8  // acceptor → leader: Tx, Ballot, Code (ok / nack), Votes (accepted, with their ballots), Acceptors, Parts
	MsgP2a      MsgType = 9  // recovery leader → acceptors: Tx, Ballot, Votes
	MsgOutcome  MsgType = 10 // member holding a lock → acceptors: Tx ("what happened?")

	// Replica-group views.
	MsgViews     MsgType = 11 // gossip: Views (latest known per group)
	MsgVPrepare  MsgType = 12 // proposer → members of view e: Group, Epoch (= e+1 target), Ballot
	MsgVPromise  MsgType = 13 // acceptor → proposer: Group, Epoch, Ballot, Code, View (accepted value or installed newer view), Seq (accepted ballot)
	MsgVAccept   MsgType = 14 // proposer → members of view e: Group, Epoch, Ballot, View (proposed)
	MsgVAccepted MsgType = 15 // acceptor → proposer: Group, Epoch, Ballot, Code
	MsgVChosen   MsgType = 16 // proposer → old and new members: View (chosen), Views[0] = the previous view (whom to pull from)
	MsgPull      MsgType = 17 // new-view member → old-view member: Group, Epoch (old), Seq
	MsgPullReply MsgType = 18 // old member → puller: Group, Epoch, Seq, Code, Items (whole items with locks)

	// Change feeds.
	MsgSubscribe MsgType = 19 // watcher → member: Group, Seq (the watcher's cursor for this member)
	MsgChanges   MsgType = 20 // member → watcher: Group, Epoch (cursor the items start after), Seq (cursor after them), Items, More, Code
	maxMsgType           = MsgChanges
)

var msgNames = [...]string{
	MsgRead: "read", MsgReadReply: "read-reply", MsgPrepare: "prepare", MsgDecide: "decide",
	MsgVote: "vote", MsgAccepted: "accepted", MsgP1a: "p1a", MsgP1b: "p1b", MsgP2a: "p2a",
	MsgOutcome: "outcome", MsgViews: "views", MsgVPrepare: "vprepare", MsgVPromise: "vpromise",
	MsgVAccept: "vaccept", MsgVAccepted: "vaccepted", MsgVChosen: "vchosen", MsgPull: "pull",
	MsgPullReply: "pull-reply", MsgSubscribe: "subscribe", MsgChanges: "changes",
}

func (t MsgType) String() string {
	if int(t) < len(msgNames) && msgNames[t] != "" {
		return msgNames[t]
	}
	return "unknown"
}

// Code is a status or decision carried by a reply.
type Code uint8

const (
	CodeOK        Code = 0
	CodeStale     Code = 1 // the request names an older epoch than the member's installed view (View attached)
	CodeNotReady  Code = 2 // member of that view but still pulling state, or fenced by a view change in progress
	CodeNotMember Code = 3 // not a member of the named view (View attached if known)
	CodeNack      Code = 4 // Paxos: a higher ballot was promised
	CodeCommit    Code = 5 // decision: commit
	CodeAbort     Code = 6 // decision: abort
	CodeBehind    Code = 7 // the request names a newer epoch than the member has installed
)

// TxID names a transaction across the cluster (16 bytes: the TM's node hash and a counter,
// or an id the caller chose for idempotent retries).
type TxID [16]byte

// Item is a key's state on the wire; which fields are meaningful depends on the message.
type Item struct {
	Key     []byte
	Value   []byte
	Version uint64 // stored version; in Prepare: the version the transaction read
	Deleted bool   // tombstone; in Prepare/Decide: the write deletes the key
	Write   bool   // Prepare: the key is written (else only validated)
	Target  uint64 // ReadReply: version a pending write lock would install (0: not locked)
	Lock    TxID   // PullReply: the transaction holding the lock (zero: none)
	LockVal []byte // PullReply: the locked write's value
	LockDel bool   // PullReply: the locked write deletes
	LockW   bool   // PullReply: write lock (else a validation lock)
	LockRef []byte // PullReply: encoded lock info (acceptors, TM) for outcome queries
}

// Vote is one replica's vote on one key of a transaction: one Paxos Commit instance.
type Vote struct {
	Key      []byte
	Replica  string // address of the voting member
	Prepared bool
	Ballot   uint64 // P1b: the ballot the value was accepted at
}

// Part names a participant key of a transaction: who votes on it. The commit rule needs, for
// every part, a majority of its members with decided "prepared" votes.
type Part struct {
	Key     []byte
	Group   uint32
	Epoch   uint64
	Members []string // addresses, distinct
}

// Message is one transaction-layer message, a flat struct like ring.Message.
type Message struct {
	Type      MsgType
	From      ring.NodeRef
	To        ring.NodeRef
	Seq       uint64
	Tx        TxID
	Group     uint32
	Epoch     uint64
	Ballot    uint64
	Code      Code
	Items     []Item
	Votes     []Vote
	Parts     []Part
	Acceptors []ring.NodeRef
	TM        ring.NodeRef // the transaction's manager (votes, outcome queries, recovery)
	View      View
	Views     []View
	More      bool // PullReply: more pages follow (pull again after the last key)
}

// Src is the sender's address.
func (m Message) Src() string { return m.From.Addr }

// Dst is the receiver's address.
func (m Message) Dst() string { return m.To.Addr }

// Unbound reports whether m may leave before the Persist batch of the output it came in is
// durable:
//   - a request that promises nothing and shows none of the sender's replica or acceptor state:
//     a read, a TM's prepare (its transaction id rests on the incarnation, not on the store), a
//     lock holder's "what happened?", a subscription, a pull;
//   - a successful read reply: the committed state it shows survives a crash of the replica
//     even unsynced, because every committed version rests on synced locks at a majority of the
//     key's replicas, and a replica that comes back with such a lock makes readers wait for its
//     outcome (the apply itself is written lazily);
//   - a decision: it is decided by acceptances that are durable at a majority of the acceptors
//     (acceptors sync before they answer, and a decider counts its own acceptor's answer only
//     after the sync — StepAtOnce), so it holds whether or not the sender's own copy survives.
//
// A group-committing driver sends these at once instead of behind an fsync of unrelated
// writes. Everything else (votes, acceptances, replies that show views, view changes, recovery
// ballots) waits.
func (m Message) Unbound() bool {
	switch m.Type {
	case MsgRead, MsgPrepare, MsgOutcome, MsgSubscribe, MsgPull, MsgDecide:
		return true
	case MsgReadReply:
		return m.Code == CodeOK
	}
	return false
}

// StepAtOnce reports whether a driver may feed m, addressed to its own sender, back into it
// before the writes made before it are durable. Every message may but an acceptance: a TM or
// recovery leader decides on acceptances, and since decisions leave unbound, those it counts
// must already be on disk — its own acceptor's included.
func (m Message) StepAtOnce() bool { return m.Type != MsgAccepted }
