package space

import (
	"bytes"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	ma "github.com/multiformats/go-multiaddr"
)

// Ticket is an invite to a space: what a new peer needs to find and enter it.
type Ticket struct {
	SpaceID string   // 32 hex digits
	Secret  []byte   // 32 bytes: the space's private-network key
	Name    string   // the space's display name (may be empty)
	Addrs   []string // multiaddrs ending in /p2p/<peer ID> of peers to join through
}

// A ticket's text: "detrans1-" then the unpadded lowercase base32 of
//
//	version(1) id(16) secret(32) len(name) name count{ len(addr) addr } crc32(4, of all before)
//
// Base32 keeps it one word (no characters that break when pasted) and case-insensitive.
const (
	ticketPrefix  = "detrans1-"
	ticketVersion = 1
	maxTicketLen  = 8 << 10
	maxAddrs      = 16
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Errors a user may see when a ticket is not right.
var (
	ErrNotATicket    = errors.New("this is not a DeTrans invite ticket (it should start with \"detrans1-\")")
	ErrTicketDamaged = errors.New("the ticket is damaged: part of it is missing or changed (copy it again, whole)")
)

// String encodes the ticket.
func (t Ticket) String() string {
	var b []byte
	b = append(b, ticketVersion)
	id := mustHex(t.SpaceID)
	b = append(b, id...)
	b = append(b, t.Secret...)
	b = binary.AppendUvarint(b, uint64(len(t.Name)))
	b = append(b, t.Name...)
	var addrs [][]byte
	for _, a := range t.Addrs {
		if m, err := ma.NewMultiaddr(a); err == nil && len(addrs) < maxAddrs {
			addrs = append(addrs, m.Bytes())
		}
	}
	b = binary.AppendUvarint(b, uint64(len(addrs)))
	for _, a := range addrs {
		b = binary.AppendUvarint(b, uint64(len(a)))
		b = append(b, a...)
	}
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	return ticketPrefix + strings.ToLower(b32.EncodeToString(b))
}

// ParseTicket decodes a ticket, telling what is wrong with a bad one.
func ParseTicket(s string) (Ticket, error) {
	s = strings.Join(strings.Fields(s), "") // pasted text may be wrapped
	if len(s) > maxTicketLen {
		return Ticket{}, fmt.Errorf("%w: far too long", ErrNotATicket)
	}
	rest, ok := strings.CutPrefix(strings.ToLower(s), ticketPrefix)
	if !ok {
		return Ticket{}, ErrNotATicket
	}
	b, err := b32.DecodeString(strings.ToUpper(rest))
	if err != nil || len(b) < 1+16+32+4 {
		return Ticket{}, ErrTicketDamaged
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return Ticket{}, ErrTicketDamaged
	}
	if body[0] != ticketVersion {
		return Ticket{}, fmt.Errorf("the ticket is for version %d of DeTrans; this app reads version %d tickets: update the app", body[0], ticketVersion)
	}
	t := Ticket{SpaceID: fmt.Sprintf("%x", body[1:17]), Secret: bytes.Clone(body[17:49])}
	r := body[49:]
	next := func() ([]byte, bool) {
		l, n := binary.Uvarint(r)
		if n <= 0 || l > uint64(len(r)-n) {
			return nil, false
		}
		v := r[n : n+int(l)]
		r = r[n+int(l):]
		return v, true
	}
	name, ok := next()
	if !ok {
		return Ticket{}, ErrTicketDamaged
	}
	t.Name = string(name)
	count, n := binary.Uvarint(r)
	if n <= 0 || count > maxAddrs {
		return Ticket{}, ErrTicketDamaged
	}
	r = r[n:]
	for range count {
		ab, ok := next()
		if !ok {
			return Ticket{}, ErrTicketDamaged
		}
		m, err := ma.NewMultiaddrBytes(ab)
		if err != nil {
			return Ticket{}, fmt.Errorf("%w: bad address: %v", ErrTicketDamaged, err)
		}
		t.Addrs = append(t.Addrs, m.String())
	}
	if len(r) != 0 {
		return Ticket{}, ErrTicketDamaged
	}
	if len(t.Addrs) == 0 {
		return Ticket{}, errors.New("the ticket names no peer to join through: ask for a new one while the inviting app is running")
	}
	return t, nil
}

// mustHex decodes a space id; ids are made by this package, so a bad one is all zeros.
func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return make([]byte, 16)
	}
	return b
}
