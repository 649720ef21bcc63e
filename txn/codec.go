package txn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/detrans/detrans/ring"
)

// Wire format (version 1): version, type, then every field in declaration order; lists are a
// uvarint count followed by their elements; byte strings a uvarint length then the bytes. Every
// count and length is checked against what is left and against fixed limits before anything is
// allocated. One codec for every message type: simple to fuzz, and a field added later is a new
// version, not a silent misparse.

const (
	MaxMessageSize = 8 << 20
	MaxValueSize   = 1 << 20
	maxKeySize     = 4 << 10
	maxAddr        = 256
	maxList        = 1 << 16
	wireVersion    = 1
)

// ErrMalformed marks input that is not a valid transaction-layer message.
var ErrMalformed = errors.New("txn: malformed message")

type enc struct{ b []byte }

func (e *enc) u(v uint64)     { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) bytes(v []byte) { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) str(v string)   { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *enc) id(v ring.ID) {
	e.b = binary.BigEndian.AppendUint64(e.b, v.Hi)
	e.b = binary.BigEndian.AppendUint64(e.b, v.Lo)
}
func (e *enc) ref(r ring.NodeRef) { e.id(r.ID); e.str(r.Addr); e.u(r.Inc) }
func (e *enc) view(v View) {
	e.u(uint64(v.Group))
	e.u(v.Epoch)
	e.u(uint64(len(v.Slots)))
	for _, s := range v.Slots {
		e.ref(s)
	}
}

// MarshalBinary encodes m.
func (m *Message) MarshalBinary() ([]byte, error) { return m.AppendBinary(make([]byte, 0, 256)) }

// AppendBinary appends m's encoding to b (a driver builds a whole frame in one buffer).
func (m *Message) AppendBinary(b []byte) ([]byte, error) {
	if m.Type == 0 || m.Type > maxMsgType {
		return nil, fmt.Errorf("txn: encode: unknown message type %d", m.Type)
	}
	e := enc{b: b}
	e.b = append(e.b, wireVersion, byte(m.Type))
	e.ref(m.From)
	e.ref(m.To)
	e.u(m.Seq)
	e.b = append(e.b, m.Tx[:]...)
	e.u(uint64(m.Group))
	e.u(m.Epoch)
	e.u(m.Ballot)
	e.b = append(e.b, byte(m.Code))
	e.u(uint64(len(m.Items)))
	for _, it := range m.Items {
		e.bytes(it.Key)
		e.bytes(it.Value)
		e.u(it.Version)
		e.bool(it.Deleted)
		e.bool(it.Write)
		e.u(it.Target)
		e.b = append(e.b, it.Lock[:]...)
		e.bytes(it.LockVal)
		e.bool(it.LockDel)
		e.bool(it.LockW)
		e.bytes(it.LockRef)
	}
	e.u(uint64(len(m.Votes)))
	for _, v := range m.Votes {
		e.bytes(v.Key)
		e.str(v.Replica)
		e.bool(v.Prepared)
		e.u(v.Ballot)
	}
	e.u(uint64(len(m.Parts)))
	for _, p := range m.Parts {
		e.bytes(p.Key)
		e.u(uint64(p.Group))
		e.u(p.Epoch)
		e.u(uint64(len(p.Members)))
		for _, a := range p.Members {
			e.str(a)
		}
	}
	e.u(uint64(len(m.Acceptors)))
	for _, a := range m.Acceptors {
		e.ref(a)
	}
	e.ref(m.TM)
	e.view(m.View)
	e.u(uint64(len(m.Views)))
	for _, v := range m.Views {
		e.view(v)
	}
	e.bool(m.More)
	if n := len(e.b) - len(b); n > MaxMessageSize {
		return nil, fmt.Errorf("txn: encode: %d bytes, limit %d", n, MaxMessageSize)
	}
	return e.b, nil
}

type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformed, what)
	}
}

func (d *dec) u() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) raw(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.fail("truncated " + what)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) bytes(limit int, what string) []byte {
	n := d.u()
	if d.err == nil && n > uint64(limit) {
		d.fail(fmt.Sprintf("%s of %d bytes, limit %d", what, n, limit))
	}
	v := d.raw(int(n), what)
	if len(v) == 0 {
		return nil
	}
	return append([]byte(nil), v...)
}

// str decodes an address, interned (addrTable).
func (d *dec) str(limit int, what string) string {
	n := d.u()
	if d.err == nil && n > uint64(limit) {
		d.fail(fmt.Sprintf("%s of %d bytes, limit %d", what, n, limit))
	}
	return addrTable.intern(d.raw(int(n), what))
}

// addrTable interns decoded peer addresses: a peer hears the same few dozen addresses in every
// message (sender, receiver, acceptors, members), and a fresh string for each was a large share
// of decoding's allocations. It is bounded: made-up addresses only make it start over. Shared
// by every decoder in the process (hence the lock); it changes no decoded value.
var addrTable = internTable{m: map[string]string{}}

const maxInterned = 4096

type internTable struct {
	mu sync.Mutex
	m  map[string]string
}

func (t *internTable) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.m[string(b)]; ok {
		return s
	}
	if len(t.m) >= maxInterned {
		clear(t.m)
	}
	s := string(b)
	t.m[s] = s
	return s
}

func (d *dec) bool() bool {
	v := d.raw(1, "flag")
	if d.err != nil {
		return false
	}
	if v[0] > 1 {
		d.fail("flag not 0 or 1")
	}
	return v[0] == 1
}

func (d *dec) count(limit int, what string) int {
	n := d.u()
	if d.err == nil && (n > uint64(limit) || n > uint64(len(d.b))) {
		d.fail(fmt.Sprintf("%s count %d", what, n))
		return 0
	}
	return int(n)
}

func (d *dec) id() ring.ID {
	v := d.raw(16, "id")
	if d.err != nil {
		return ring.ID{}
	}
	return ring.ID{Hi: binary.BigEndian.Uint64(v[:8]), Lo: binary.BigEndian.Uint64(v[8:])}
}

func (d *dec) ref() ring.NodeRef {
	return ring.NodeRef{ID: d.id(), Addr: d.str(maxAddr, "address"), Inc: d.u()}
}

func (d *dec) small(limit uint64, what string) uint64 {
	v := d.u()
	if d.err == nil && v > limit {
		d.fail(fmt.Sprintf("%s %d out of range", what, v))
	}
	return v
}

func (d *dec) view() View {
	v := View{Group: int(d.small(1<<16, "group")), Epoch: d.u()}
	n := d.count(16, "slots")
	for range n {
		v.Slots = append(v.Slots, d.ref())
	}
	return v
}

// UnmarshalBinary decodes b into m; malformed input is an error wrapping ErrMalformed, never a
// panic, and leaves m untouched.
func (m *Message) UnmarshalBinary(b []byte) error {
	if len(b) > MaxMessageSize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxMessageSize)
	}
	d := dec{b: b}
	hdr := d.raw(2, "header")
	if d.err != nil {
		return d.err
	}
	if hdr[0] != wireVersion {
		return fmt.Errorf("%w: unknown version %d", ErrMalformed, hdr[0])
	}
	var o Message
	o.Type = MsgType(hdr[1])
	if o.Type == 0 || o.Type > maxMsgType {
		return fmt.Errorf("%w: unknown type %d", ErrMalformed, hdr[1])
	}
	o.From = d.ref()
	o.To = d.ref()
	o.Seq = d.u()
	copy(o.Tx[:], d.raw(16, "tx id"))
	o.Group = uint32(d.small(1<<16, "group"))
	o.Epoch = d.u()
	o.Ballot = d.u()
	if c := d.raw(1, "code"); d.err == nil {
		o.Code = Code(c[0])
		if o.Code > CodeBehind {
			d.fail(fmt.Sprintf("unknown code %d", c[0]))
		}
	}
	for range d.count(maxList, "items") {
		it := Item{
			Key: d.bytes(maxKeySize, "key"), Value: d.bytes(MaxValueSize, "value"),
			Version: d.u(), Deleted: d.bool(), Write: d.bool(), Target: d.u(),
		}
		copy(it.Lock[:], d.raw(16, "lock id"))
		it.LockVal = d.bytes(MaxValueSize, "lock value")
		it.LockDel = d.bool()
		it.LockW = d.bool()
		it.LockRef = d.bytes(64<<10, "lock info")
		o.Items = append(o.Items, it)
	}
	for range d.count(maxList, "votes") {
		o.Votes = append(o.Votes, Vote{Key: d.bytes(maxKeySize, "key"), Replica: d.str(maxAddr, "replica"), Prepared: d.bool(), Ballot: d.u()})
	}
	for range d.count(maxList, "parts") {
		p := Part{Key: d.bytes(maxKeySize, "key"), Group: uint32(d.small(1<<16, "group")), Epoch: d.u()}
		for range d.count(16, "members") {
			p.Members = append(p.Members, d.str(maxAddr, "member"))
		}
		o.Parts = append(o.Parts, p)
	}
	for range d.count(16, "acceptors") {
		o.Acceptors = append(o.Acceptors, d.ref())
	}
	o.TM = d.ref()
	o.View = d.view()
	for range d.count(1<<16, "views") {
		o.Views = append(o.Views, d.view())
	}
	o.More = d.bool()
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Sprintf("%d trailing bytes", len(d.b)))
	}
	if d.err != nil {
		return d.err
	}
	*m = o
	return nil
}
