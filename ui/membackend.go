package ui

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/detrans/detrans/app/draw"
	"github.com/detrans/detrans/app/draw/memstore"
)

// MemBackend is a TEMPORARY Backend over the in-memory memstore, used until the node-backed store
// with its durable outbox lands (issue 5). Nothing survives a restart, nothing leaves the process,
// and invites are refused with ErrLocalOnly. Extra peers (AddPeer) are replicas on the same
// in-process network: tests and the demo use them to make "remote" edits.
type MemBackend struct {
	net *memstore.Network
	me  *memstore.Replica

	mu     sync.Mutex
	others []*memstore.Replica
	stop   context.CancelFunc
	done   chan struct{}
}

var _ Backend = (*MemBackend)(nil)

// NewMemBackend returns a backend whose own replica is named me. Nothing commits until Run or
// Sync is called.
func NewMemBackend(me string) *MemBackend {
	n := memstore.New()
	return &MemBackend{net: n, me: n.Replica(me)}
}

// Run commits and pulls every interval in the background until Close: a live-feeling store.
func (b *MemBackend) Run(every time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.stop, b.done = cancel, make(chan struct{})
	go func() {
		defer close(b.done)
		b.net.Run(ctx, every)
	}()
}

// Sync commits every replica's outbox and delivers the commits (what Run does each tick).
func (b *MemBackend) Sync() { b.net.Sync() }

// Network is the in-process network, for tests.
func (b *MemBackend) Network() *memstore.Network { return b.net }

// Replica is this peer's own replica, for tests (SetOnline).
func (b *MemBackend) Replica() *memstore.Replica { return b.me }

// AddPeer adds another user's replica to the network and returns it as a draw.Store.
func (b *MemBackend) AddPeer(name string) *memstore.Replica {
	r := b.net.Replica(name)
	b.mu.Lock()
	b.others = append(b.others, r)
	b.mu.Unlock()
	return r
}

// Store implements Backend.
func (b *MemBackend) Store() draw.Store { return b.me }

// Me implements Backend.
func (b *MemBackend) Me() Peer {
	return Peer{ID: b.me.Name(), Online: b.me.Status().Online}
}

// Peers implements Backend.
func (b *MemBackend) Peers() []Peer {
	b.mu.Lock()
	rs := slices.Clone(b.others)
	b.mu.Unlock()
	out := make([]Peer, len(rs))
	for i, r := range rs {
		out[i] = Peer{ID: r.Name(), Online: r.Status().Online}
	}
	return out
}

// Ticket implements Backend: a local-only space has no invite.
func (b *MemBackend) Ticket() (string, error) { return "", ErrLocalOnly }

// Join implements Backend: a local-only space cannot join another.
func (b *MemBackend) Join(ctx context.Context, ticket string) error {
	return fmt.Errorf("join: %w", ErrLocalOnly)
}

// Close stops Run, if it was started.
func (b *MemBackend) Close() error {
	b.mu.Lock()
	stop, done := b.stop, b.done
	b.stop = nil
	b.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	return nil
}
