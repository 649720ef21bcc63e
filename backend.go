package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/detrans/detrans/app/draw"
	"github.com/detrans/detrans/app/space"
	"github.com/detrans/detrans/ui"
)

// spaceBackend is the UI's view of the embedded peer: an app/space Space (a node of the current
// space with its durable outbox) seen through ui.Backend.
type spaceBackend struct {
	sp *space.Space
}

// backendOptions are the embedding choices a packaged app makes and tests or scripts override.
type backendOptions struct {
	Root   string   // app storage; spaces live under Root/spaces
	Name   string   // display name shown to the others
	Listen []string // empty: all interfaces, a random TCP port
	MDNS   bool     // find peers of the space on the local network
	Logger *slog.Logger
}

// startSpaceBackend starts the peer of the current space (founding one on the very first
// start). Offline is fine: the peer comes up alone and keeps trying the peers it knew.
func startSpaceBackend(ctx context.Context, o backendOptions) (*spaceBackend, error) {
	sp := space.New(space.Options{Root: o.Root, Name: o.Name, Listen: o.Listen, MDNS: o.MDNS, Logger: o.Logger})
	draw.Register(sp.DrawStore())
	if err := sp.Start(ctx); err != nil {
		return nil, err
	}
	return &spaceBackend{sp: sp}, nil
}

func (b *spaceBackend) Store() draw.Store { return b.sp.DrawStore() }

func (b *spaceBackend) Me() ui.Peer {
	me := b.sp.Me()
	return ui.Peer{ID: me.Author, Name: me.Name, Online: true}
}

// Peers reads the member list from the local view, so it answers at once even offline; the
// timeout only guards against a peer that is shutting down.
func (b *spaceBackend) Peers() []ui.Peer {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var out []ui.Peer
	for _, p := range b.sp.People(ctx) {
		out = append(out, ui.Peer{ID: p.Author, Name: p.Name, Online: p.Online, Nearby: p.Nearby})
	}
	return out
}

func (b *spaceBackend) Ticket() (string, error) { return b.sp.Ticket() }

func (b *spaceBackend) Join(ctx context.Context, ticket string) error { return b.sp.Join(ctx, ticket) }

func (b *spaceBackend) Close() error { return b.sp.Close() }

// envOptions fills backendOptions from the app's storage and the environment:
//
//	DETRANS_DATA    storage directory (default: the app's storage root)
//	DETRANS_NAME    display name (default: the user's full name or login)
//	DETRANS_LISTEN  comma-separated multiaddrs (default: all interfaces, random TCP port)
//	DETRANS_MDNS=0  no LAN discovery (scripts and tests, which must not multicast)
func envOptions(storageRoot string) (backendOptions, error) {
	o := backendOptions{Root: storageRoot, Name: displayName(), MDNS: os.Getenv("DETRANS_MDNS") != "0"}
	if d := os.Getenv("DETRANS_DATA"); d != "" {
		o.Root = d
	}
	if o.Root == "" {
		return o, fmt.Errorf("no storage directory (set DETRANS_DATA)")
	}
	o.Root = filepath.Clean(o.Root)
	if n := strings.TrimSpace(os.Getenv("DETRANS_NAME")); n != "" {
		o.Name = n
	}
	if l := os.Getenv("DETRANS_LISTEN"); l != "" {
		for _, a := range strings.Split(l, ",") {
			if a = strings.TrimSpace(a); a != "" {
				o.Listen = append(o.Listen, a)
			}
		}
	}
	return o, nil
}

func displayName() string {
	u, err := user.Current()
	if err != nil {
		return os.Getenv("USER")
	}
	if n := strings.TrimSpace(strings.Split(u.Name, ",")[0]); n != "" {
		return n
	}
	return u.Username
}
