package node

import (
	"sync/atomic"
	"time"
)

// Counters are cumulative totals since the node started, for benchmarks and diagnosis: where a
// transaction's time and CPU go (messages, bytes, fsyncs).
type Counters struct {
	MsgsSent   uint64        `json:"msgs_sent"`   // protocol messages to other peers
	MsgsRecv   uint64        `json:"msgs_recv"`   // protocol messages from other peers
	BytesSent  uint64        `json:"bytes_sent"`  // their encoded frames
	Syncs      uint64        `json:"syncs"`       // store fsyncs (one covers every write before it)
	SyncTime   time.Duration `json:"sync_ns"`     // time spent in them
	Writes     uint64        `json:"writes"`      // records written to the store (puts and deletes)
	WriteSize  uint64        `json:"write_size"`  // their key and value bytes
	Reads      uint64        `json:"reads"`       // quorum reads this peer started (Get, and Tx reads it could not answer alone)
	LocalReads uint64        `json:"local_reads"` // Tx reads its own replica answered (txn.Machine.ReadLocal)
}

type counters struct {
	msgsSent, msgsRecv, bytesSent, syncs, syncNanos, writes, writeSize atomic.Uint64
	reads, localReads                                                  atomic.Uint64
}

// Counters returns the totals so far.
func (n *Node) Counters() Counters {
	c := &n.counters
	return Counters{
		MsgsSent: c.msgsSent.Load(), MsgsRecv: c.msgsRecv.Load(), BytesSent: c.bytesSent.Load(),
		Syncs: c.syncs.Load(), SyncTime: time.Duration(c.syncNanos.Load()),
		Writes: c.writes.Load(), WriteSize: c.writeSize.Load(),
		Reads: c.reads.Load(), LocalReads: c.localReads.Load(),
	}
}

// Sub is the difference c − o of two readings.
func (c Counters) Sub(o Counters) Counters {
	return Counters{
		MsgsSent: c.MsgsSent - o.MsgsSent, MsgsRecv: c.MsgsRecv - o.MsgsRecv, BytesSent: c.BytesSent - o.BytesSent,
		Syncs: c.Syncs - o.Syncs, SyncTime: c.SyncTime - o.SyncTime,
		Writes: c.Writes - o.Writes, WriteSize: c.WriteSize - o.WriteSize,
		Reads: c.Reads - o.Reads, LocalReads: c.LocalReads - o.LocalReads,
	}
}
