package ring

// MsgType identifies a ring protocol message. Values are part of the wire format: never renumber.
type MsgType uint8

// Message is one ring protocol message. It is a flat struct (like raftpb.Message) so one codec
// serves every type; each type documents which fields it uses.
type Message struct {
	Type   MsgType
	From   NodeRef
	To     NodeRef
	Seq    uint64    // request/reply correlation
	Key    ID        // lookup key, finger target
	Hops   uint32    // forwarding hops so far
	Origin NodeRef   // who asked, for requests forwarded hop by hop
	Node   NodeRef   // one node in the payload (predecessor, owner, new successor, ...)
	Nodes  []NodeRef // node lists (successor list, predecessor list)
	Sent   Time      // sender's clock at send, echoed in replies to measure round trips
}
