package ui

import (
	"context"
	"errors"

	"github.com/detrans/detrans/app/draw"
)

// Backend is what the app needs from the peer it embeds. The UI polls Peers and Store().Status
// about once a second and follows drawings through the store's Watch, so an implementation needs
// no change notifications of its own.
type Backend interface {
	// Store holds the space's drawings (the node's optimistic transactional store).
	Store() draw.Store
	// Me is this peer. Me().ID is the author name stamped on its shapes and drawings, so it must
	// be unique in the space and stable across restarts.
	Me() Peer
	// Peers lists the other peers of the space as this peer last heard of them.
	Peers() []Peer
	// Ticket is the space's invite: one line of text that another peer passes to Join.
	Ticket() (string, error)
	// Join makes this peer a member of the space the ticket names (may take a while; the UI
	// shows progress and runs it off the UI goroutine).
	Join(ctx context.Context, ticket string) error
	// Close stops the peer; edits still pending stay in its durable outbox.
	Close() error
}

// Peer is one member of the space as the people panel shows it.
type Peer struct {
	ID     string // author name: stable, unique in the space
	Name   string // display name; empty shows ID
	Online bool   // reachable now
	Nearby bool   // found on the local network
}

// Label is the name to show.
func (p Peer) Label() string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}

// ErrLocalOnly is returned by backends that keep the space on this device only.
var ErrLocalOnly = errors.New("this build keeps the space on this device only; invites arrive with the networked store")
