package txn

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/store"
)

// Persistence. Replica items live in the store under their key's ring position; a group's view
// and view-Paxos state under "g-<group>"; an acceptor's record of a transaction under
// "acc-<tx>". Everything is written through Output.Persist, which the driver makes durable
// before it sends the messages that depend on it. Restore reads it all back at start.

const recordFormat = 1

func groupName(g int) string { return "g-" + strconv.Itoa(g) }

func (m *Machine) persistGroupMeta(gs *group) {
	e := enc{}
	e.b = append(e.b, recordFormat)
	e.view(gs.view)
	e.bool(gs.ready)
	e.u(gs.readyEpoch)
	e.bool(gs.retiredAt != 0)
	e.u(gs.promEpoch)
	e.u(gs.promised)
	e.u(gs.accEpoch)
	e.u(gs.accBallot)
	e.view(gs.accView)
	e.u(gs.seq)
	e.u(gs.handedOff)
	m.batch().PutMeta(groupName(gs.idx), e.b)
}

func decodeGroupMeta(g int, b []byte, now Time) (*group, error) {
	d := dec{b: b}
	if v := d.raw(1, "format"); d.err == nil && v[0] != recordFormat {
		return nil, fmt.Errorf("%w: group record format %d", ErrMalformed, v[0])
	}
	gs := newGroup(g)
	gs.view = d.view()
	gs.ready = d.bool()
	gs.readyEpoch = d.u()
	if d.bool() {
		gs.retiredAt = now
	}
	gs.promEpoch = d.u()
	gs.promised = d.u()
	gs.accEpoch = d.u()
	gs.accBallot = d.u()
	gs.accView = d.view()
	if len(d.b) > 0 {
		gs.seq = d.u()
	}
	if len(d.b) > 0 { // records written before handedOff existed end here
		gs.handedOff = d.u()
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes in group record")
	}
	return gs, d.err
}

// persistRecord marks tx's acceptor record for writing in this Ready's batch. An acceptor
// often changes one record several times in one batch (its own replica's vote, another
// replica's, the decision); written once, the batch holds its last state only. That is all a
// crash can keep anyway: nothing leaves before the batch it depends on is durable.
func (m *Machine) persistRecord(tx TxID, rec *accRecord) {
	if !rec.dirty {
		rec.dirty = true
		m.dirtyRecs = append(m.dirtyRecs, tx)
	}
}

// writeDirtyRecords puts the records marked since the last Ready into its batch, in the order
// they were first marked. A record dropped (garbage-collected) since it was marked is skipped:
// its delete is in the batch already, and a record made anew after it is the one m.acc holds.
func (m *Machine) writeDirtyRecords() {
	for _, tx := range m.dirtyRecs {
		if rec := m.acc[tx]; rec != nil && rec.dirty {
			rec.dirty = false
			m.writeRecord(tx, rec)
		}
	}
	m.dirtyRecs = m.dirtyRecs[:0]
}

func (m *Machine) writeRecord(tx TxID, rec *accRecord) {
	// The body is built in a scratch buffer the machine reuses and the record in one buffer sized
	// up front: growing both piecemeal cost more than the encoding itself.
	msg := Message{Type: MsgP1b, Parts: rec.parts, Items: rec.writes, Votes: m.recVotes[:0]}
	for _, k := range sortedInst(rec.inst) {
		in := rec.inst[k]
		msg.Votes = append(msg.Votes, Vote{Key: in.key, Replica: in.replica, Prepared: in.prepared, Ballot: in.ballot})
	}
	m.recVotes = msg.Votes[:0]
	body, err := msg.AppendBinary(m.recBody[:0])
	if err != nil {
		// An acceptance that cannot be made durable must not count: the batch fails, and the
		// driver stops the peer before anything that depends on it leaves.
		m.batch().Fail(fmt.Errorf("txn: acceptor record of tx %x: %w", tx[:], err))
		return
	}
	m.recBody = body[:0]
	size := 1 + refSize(rec.tm) + binary.MaxVarintLen64 + binary.MaxVarintLen64 + len(body) + binary.MaxVarintLen64 + 1
	for _, a := range rec.accs {
		size += refSize(a)
	}
	e := enc{b: make([]byte, 0, size)}
	e.b = append(e.b, recordFormat)
	e.ref(rec.tm)
	e.u(uint64(len(rec.accs)))
	for _, a := range rec.accs {
		e.ref(a)
	}
	e.bytes(body)
	e.u(rec.promised)
	e.b = append(e.b, byte(rec.decided))
	m.batch().PutMeta(recordName(tx), e.b)
}

// refSize bounds the length of enc.ref's encoding of r.
func refSize(r ring.NodeRef) int {
	return 16 + binary.MaxVarintLen64 + len(r.Addr) + binary.MaxVarintLen64
}

func decodeRecord(b []byte) (*accRecord, error) {
	d := dec{b: b}
	if v := d.raw(1, "format"); d.err == nil && v[0] != recordFormat {
		return nil, fmt.Errorf("%w: acceptor record format %d", ErrMalformed, v[0])
	}
	rec := &accRecord{inst: map[string]*instance{}}
	rec.tm = d.ref()
	for range d.count(16, "acceptors") {
		rec.accs = append(rec.accs, d.ref())
	}
	body := d.bytes(MaxMessageSize, "record body")
	rec.promised = d.u()
	if c := d.raw(1, "decision"); d.err == nil {
		rec.decided = Code(c[0])
	}
	if d.err != nil {
		return nil, d.err
	}
	var msg Message
	if err := msg.UnmarshalBinary(body); err != nil {
		return nil, err
	}
	rec.parts, rec.writes = msg.Parts, msg.Items
	for _, v := range msg.Votes {
		rec.inst[instKey(v.Key, v.Replica)] = &instance{key: v.Key, replica: v.Replica, ballot: v.Ballot, prepared: v.Prepared}
	}
	return rec, nil
}

// Restore loads this node's persisted state; call it once, before anything else. A record
// that does not decode is an error naming it (the store is left as it is).
func (m *Machine) Restore(ctx context.Context, now Time, st *store.Store) error {
	err := st.MetaRange(ctx, "g-", func(name string, v []byte) error {
		g, err := strconv.Atoi(strings.TrimPrefix(name, "g-"))
		if err != nil || g < 0 || g >= len(m.groups) {
			return fmt.Errorf("txn: restore %s: not a group of this placement", name)
		}
		gs, err := decodeGroupMeta(g, v, now)
		if err != nil {
			return fmt.Errorf("txn: restore %s: %w", name, err)
		}
		gs.view.Group = g
		m.groups[g] = gs
		m.learn(gs.view)
		return nil
	})
	if err != nil {
		return err
	}
	err = st.Range(ctx, ring.ID{}, ring.ID{}, func(_ ring.ID, key []byte, it store.Item) error {
		gs := m.groups[m.pl.GroupOf(key)]
		gs.items[string(key)] = &item{Item: it}
		gs.seq = max(gs.seq, it.Seq)
		if it.Lock.Held() {
			gs.locked[string(key)] = true
			gs.lockCheck = now.Add(m.cfg.LockTimeout) // ask soon: the decision may have passed us by
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("txn: restore items: %w", err)
	}
	return st.MetaRange(ctx, "acc-", func(name string, v []byte) error {
		raw, err := hex.DecodeString(strings.TrimPrefix(name, "acc-"))
		if err != nil || len(raw) != len(TxID{}) {
			return fmt.Errorf("txn: restore %s: bad transaction id", name)
		}
		rec, err := decodeRecord(v)
		if err != nil {
			return fmt.Errorf("txn: restore %s: %w", name, err)
		}
		var tx TxID
		copy(tx[:], raw)
		m.acc[tx] = rec
		if rec.decided == 0 {
			rec.next = now.Add(m.recoveryDelay())
			m.undecided[tx] = rec
		} else {
			rec.decidedAt = now
			m.gcq = append(m.gcq, gcEntry{tx: tx, at: now})
		}
		return nil
	})
}
