package sim

// DropReason says why a message was not delivered.
type DropReason uint8

const (
	DropLoss       DropReason = iota + 1 // the link's loss probability hit
	DropPartition                        // sender and receiver in different partition groups (at send or delivery)
	DropLinkDown                         // the directed link is down or flapping down (at send or delivery)
	DropNodeDown                         // receiver not running at send, or crashed/restarted since
	DropUnknownDst                       // no node was ever known under the destination address
	DropEncode                           // Config.Encode failed
	DropDecode                           // Config.Decode failed at delivery
	DropBadSrc                           // the message's Src is not the node that sent it
	numDropReasons
)

var dropNames = [...]string{
	DropLoss: "loss", DropPartition: "partition", DropLinkDown: "link-down", DropNodeDown: "node-down",
	DropUnknownDst: "unknown-dst", DropEncode: "encode", DropDecode: "decode", DropBadSrc: "bad-src",
}

func (r DropReason) String() string {
	if int(r) < len(dropNames) && dropNames[r] != "" {
		return dropNames[r]
	}
	return "unknown"
}

// Stats are whole-simulation counters.
type Stats struct {
	Events     uint64 // events processed: deliveries (and drops on arrival), ticks, callbacks
	Ticks      uint64
	Sent       uint64 // messages handed to the network (each Ready output counts once)
	Delivered  uint64 // Step calls; a duplicated message counts twice
	Dropped    uint64
	Duplicated uint64
	Drops      map[DropReason]uint64
}

// NodeStats are one address's counters, summed over its incarnations.
type NodeStats struct {
	Sent       uint64 // messages it sent
	Received   uint64 // messages delivered to it
	Dropped    uint64 // messages it sent that were dropped
	BytesSent  uint64 // encoded bytes sent (only with a codec)
	Ticks      uint64
	SentByKind map[string]uint64 // only with Config.Kind
}

// KindStats are counters for one message kind (Config.Kind).
type KindStats struct {
	Sent, Delivered, Dropped uint64
}

type nodeCounters struct {
	sent, received, dropped, bytes, ticks uint64
	kindSent                              []uint64 // by kind index
}

type simCounters struct {
	events, ticks, sent, delivered, dropped, duplicated uint64
	drops                                               [numDropReasons]uint64
}

// Stats returns the whole-simulation counters.
func (s *Sim[M]) Stats() Stats {
	c := &s.st
	st := Stats{Events: c.events, Ticks: c.ticks, Sent: c.sent, Delivered: c.delivered,
		Dropped: c.dropped, Duplicated: c.duplicated, Drops: map[DropReason]uint64{}}
	for r, n := range c.drops {
		if n > 0 {
			st.Drops[DropReason(r)] = n
		}
	}
	return st
}

// NodeStats returns the counters of addr (zero if the address was never seen).
func (s *Sim[M]) NodeStats(addr string) NodeStats {
	i, ok := s.byAddr[addr]
	if !ok {
		return NodeStats{}
	}
	c := &s.nodes[i].stats
	ns := NodeStats{Sent: c.sent, Received: c.received, Dropped: c.dropped, BytesSent: c.bytes, Ticks: c.ticks}
	if s.cfg.Kind != nil {
		ns.SentByKind = map[string]uint64{}
		for k, n := range c.kindSent {
			if n > 0 {
				ns.SentByKind[s.kindNames[k]] = n
			}
		}
	}
	return ns
}

// KindStats returns counters per message kind (empty without Config.Kind).
func (s *Sim[M]) KindStats() map[string]KindStats {
	out := make(map[string]KindStats, len(s.kindNames))
	for i, name := range s.kindNames {
		out[name] = s.kindStats[i]
	}
	return out
}

// kindIndex interns a kind name.
func (s *Sim[M]) kindIndex(name string) int32 {
	if k, ok := s.kinds[name]; ok {
		return k
	}
	k := int32(len(s.kindNames))
	s.kinds[name] = k
	s.kindNames = append(s.kindNames, name)
	s.kindStats = append(s.kindStats, KindStats{})
	return k
}
