package ring

// MsgType identifies a ring protocol message. Values are part of the wire format: never renumber.
type MsgType uint8

// Ring protocol messages. Routed messages (Lookup, Join) travel hop by hop towards the owner of
// Key; every other message goes straight to a neighbour.
const (
	MsgLookup      MsgType = 1  // routed: Key, Origin, Seq (origin's request id), Hops
	MsgLookupReply MsgType = 2  // owner → origin: Key, Seq, Node (owner), Hops
	MsgJoin        MsgType = 3  // routed like a lookup of the joiner's id: Origin (joiner), Seq
	MsgJoinAck     MsgType = 4  // owner → joiner: Node (joiner's predecessor), Nodes (successor list, owner first), Seq
	MsgNewSucc     MsgType = 5  // joiner → its predecessor: "I am your successor now"
	MsgStabilize   MsgType = 6  // n → successor: heartbeat + notify; Nodes = n's predecessor list, Sent
	MsgStabReply   MsgType = 7  // successor → n: Node (its predecessor), Nodes (its successor list), Sent echoed
	MsgPing        MsgType = 8  // liveness probe: Sent
	MsgPong        MsgType = 9  // Sent echoed
	MsgLeave       MsgType = 10 // leaver → neighbour: Node (leaver's predecessor), Nodes (leaver's successors)
	MsgLeaveAck    MsgType = 11 // neighbour → leaver
	maxMsgType             = MsgLeaveAck
)

var msgNames = [...]string{
	MsgLookup: "lookup", MsgLookupReply: "lookup-reply", MsgJoin: "join", MsgJoinAck: "join-ack",
	MsgNewSucc: "new-succ", MsgStabilize: "stabilize", MsgStabReply: "stab-reply", MsgPing: "ping",
	MsgPong: "pong", MsgLeave: "leave", MsgLeaveAck: "leave-ack",
}

func (t MsgType) String() string {
	if int(t) < len(msgNames) && msgNames[t] != "" {
		return msgNames[t]
	}
	return "unknown"
}

// Message is one ring protocol message. It is a flat struct (like raftpb.Message) so one codec
// serves every type; each type documents which fields it uses.
type Message struct {
	Type   MsgType
	From   NodeRef
	To     NodeRef
	Seq    uint64    // request/reply correlation
	Key    ID        // lookup key, joiner id
	Hops   uint32    // forwarding hops so far
	Origin NodeRef   // who asked, for requests forwarded hop by hop
	Node   NodeRef   // one node in the payload (predecessor, owner, ...)
	Nodes  []NodeRef // node lists (successor list, predecessor list)
	Sent   Time      // sender's clock at send, echoed in replies to measure round trips
	Final  bool      // routed: the sender saw Key in (sender, receiver], the receiver's range
}

// Src is the sender's address (for drivers that route by address).
func (m Message) Src() string { return m.From.Addr }

// Dst is the receiver's address.
func (m Message) Dst() string { return m.To.Addr }
