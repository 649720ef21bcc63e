package txn

import "github.com/detrans/detrans/ring"

// A lock remembers how to find out what became of its transaction: the TM, the acceptors and
// the participant list, encoded with the message codec (so it is bounded and fuzzed like the
// wire format).

func encodeLockRef(tm ring.NodeRef, accs []ring.NodeRef, parts []Part) []byte {
	m := Message{Type: MsgOutcome, TM: tm, Acceptors: accs, Parts: parts}
	b, err := m.MarshalBinary()
	if err != nil {
		return nil
	}
	return b
}

func decodeLockRef(b []byte) (ring.NodeRef, []ring.NodeRef, []Part, error) {
	var m Message
	if err := m.UnmarshalBinary(b); err != nil {
		return ring.NodeRef{}, nil, nil, err
	}
	return m.TM, m.Acceptors, m.Parts, nil
}
