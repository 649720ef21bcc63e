package local

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/detrans/detrans/store"
)

// Persistence, in the peer's store metadata: "lo-e-<seq>" one outbox entry (JSON: it holds app
// bytes, and its format must stay readable across versions), "lo-m-<hex key>" one mirror key
// (version, present flag, data), "lo-state" the counters.

const (
	entryPrefix  = "lo-e-"
	mirrorPrefix = "lo-m-"
	stateName    = "lo-state"
)

func entryName(seq uint64) string { return fmt.Sprintf("%s%020d", entryPrefix, seq) }

func (m *Machine) persistEntry(e *entry) {
	b, err := json.Marshal(e)
	if err != nil {
		return // only plain data: cannot fail
	}
	m.batch().PutMeta(entryName(e.Seq), b)
}

type state struct {
	NextSeq uint64
	Merged  int
	Dropped int
}

func (m *Machine) persistState() {
	b, _ := json.Marshal(state{NextSeq: m.nextSeq, Merged: m.merged, Dropped: m.dropped})
	m.batch().PutMeta(stateName, b)
}

func (m *Machine) persistMirror(key string, v Value) {
	b := binary.AppendUvarint(nil, v.Version)
	if v.Data != nil {
		b = append(b, 1)
		b = append(b, v.Data...)
	} else {
		b = append(b, 0)
	}
	m.batch().PutMeta(mirrorPrefix+hex.EncodeToString([]byte(key)), b)
}

// Restore loads the outbox, the mirror and the counters. A record that does not decode is an
// error naming it; nothing is changed in the store.
func (m *Machine) Restore(ctx context.Context, st *store.Store) error {
	if b, found, err := st.Meta(ctx, stateName); err != nil {
		return err
	} else if found {
		var s state
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("local: restore %s: %w", stateName, err)
		}
		m.nextSeq, m.merged, m.dropped = max(s.NextSeq, 1), s.Merged, s.Dropped
	}
	err := st.MetaRange(ctx, entryPrefix, func(name string, b []byte) error {
		e := &entry{}
		if err := json.Unmarshal(b, e); err != nil {
			return fmt.Errorf("local: restore %s: %w", name, err)
		}
		if err := validate(e.In); err != nil || e.Deps == nil {
			return fmt.Errorf("local: restore %s: invalid entry: %v", name, err)
		}
		m.entries = append(m.entries, e)
		m.nextSeq = max(m.nextSeq, e.Seq+1)
		return nil
	})
	if err != nil {
		return err
	}
	err = st.MetaRange(ctx, mirrorPrefix, func(name string, b []byte) error {
		key, err := hex.DecodeString(strings.TrimPrefix(name, mirrorPrefix))
		if err != nil {
			return fmt.Errorf("local: restore %s: %w", name, err)
		}
		ver, n := binary.Uvarint(b)
		if n <= 0 || len(b) < n+1 || b[n] > 1 {
			return fmt.Errorf("local: restore %s: corrupt record", name)
		}
		v := Value{Version: ver}
		if b[n] == 1 {
			v.Data = append([]byte{}, b[n+1:]...)
		}
		m.mirror[string(key)] = v
		return nil
	})
	if err != nil {
		return err
	}
	m.rebuildOverlay()
	return nil
}

// Intake records ("lo-i-<seq>") are written by a driver that answers Local before the machine
// has seen the intent (node: Local returns without waiting for the event loop). The driver
// deletes each in the same batch that persists the machine's outbox entry for it, so an intent
// is either still an intake record or an outbox entry, never both and never neither; at start
// the driver feeds the remaining records to Local in sequence order.
const IntakePrefix = "lo-i-"

// IntakeName names intake record seq.
func IntakeName(seq uint64) string { return fmt.Sprintf("%s%020d", IntakePrefix, seq) }

// EncodeIntake serialises an intent for an intake record (JSON, like outbox entries).
func EncodeIntake(in Intent) ([]byte, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("local: encode intent: %w", err)
	}
	return b, nil
}

// DecodeIntake reads an intake record; a record that does not decode to a valid intent is an
// error.
func DecodeIntake(b []byte) (Intent, error) {
	var in Intent
	if err := json.Unmarshal(b, &in); err != nil {
		return Intent{}, fmt.Errorf("local: decode intake record: %w", err)
	}
	if err := validate(in); err != nil {
		return Intent{}, fmt.Errorf("local: intake record: %w", err)
	}
	return in, nil
}
