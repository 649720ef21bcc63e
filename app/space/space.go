package space

import (
	"context"
	crand "crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/detrans/detrans/local"
	"github.com/detrans/detrans/node"
)

// Options configure a Space.
type Options struct {
	Root   string   // the app's storage directory: spaces live under Root/spaces/<id>
	Name   string   // the user's display name, shown to the other people of the space
	Listen []string // multiaddrs; default all interfaces, a random TCP port (a PSK rules out QUIC)
	MDNS   bool     // find peers of the space on the local network
	Logger *slog.Logger
	// Reconnect is how often a peer that sees nobody dials the peers it last knew (default 15 s).
	Reconnect time.Duration
	// AllowFaultInjection lets tests cut this peer off (Node().Block); never set by the app.
	AllowFaultInjection bool
}

// info is a space's identity, kept in Root/spaces/<id>/space.json.
type info struct {
	ID     string   `json:"id"`
	Secret string   `json:"secret"` // hex
	Name   string   `json:"name,omitempty"`
	Peers  []string `json:"peers,omitempty"` // addresses to reconnect through
}

// Space is the open space and its peer. Safe for concurrent use.
type Space struct {
	opts     Options
	rebasers map[string]local.Rebaser // registered before Start and kept for switches

	mu     sync.Mutex
	author string // this device's author name, the same in every space (Root/author)
	n      *node.Node
	inf    info
	store  *Store
	stop   chan struct{}
	wg     sync.WaitGroup
}

// New prepares a space without starting anything: register the apps' merge rules on Store()
// (draw.Register(sp.DrawStore())) before Start, so queued edits find them.
func New(opts Options) *Space {
	if opts.Reconnect <= 0 {
		opts.Reconnect = 15 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	sp := &Space{opts: opts, rebasers: map[string]local.Rebaser{memberKind: memberRule}}
	sp.store = &Store{sp: sp, watchers: map[int]*watcher{}}
	return sp
}

// Start opens the current space, founding one on the very first start.
func (sp *Space) Start(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Join(sp.opts.Root, "spaces"), 0o700); err != nil {
		return fmt.Errorf("space: storage %s: %w", sp.opts.Root, err)
	}
	author, err := loadAuthor(sp.opts.Root)
	if err != nil {
		return err
	}
	sp.mu.Lock()
	sp.author = author
	sp.mu.Unlock()
	id, err := os.ReadFile(filepath.Join(sp.opts.Root, "current"))
	found := false
	var inf info
	switch {
	case errors.Is(err, fs.ErrNotExist):
		inf, err = newInfo("My space")
		if err != nil {
			return err
		}
		found = true
	case err != nil:
		return fmt.Errorf("space: %w", err)
	default:
		inf, err = sp.loadInfo(strings.TrimSpace(string(id)))
		if err != nil {
			return err
		}
	}
	return sp.open(ctx, inf, found)
}

func newInfo(name string) (info, error) {
	var id [16]byte
	var secret [32]byte
	if _, err := crand.Read(id[:]); err != nil {
		return info{}, fmt.Errorf("space: new id: %w", err)
	}
	if _, err := crand.Read(secret[:]); err != nil {
		return info{}, fmt.Errorf("space: new secret: %w", err)
	}
	return info{ID: hex.EncodeToString(id[:]), Secret: hex.EncodeToString(secret[:]), Name: name}, nil
}

func (sp *Space) dir(id string) string { return filepath.Join(sp.opts.Root, "spaces", id) }

func (sp *Space) loadInfo(id string) (info, error) {
	var inf info
	b, err := os.ReadFile(filepath.Join(sp.dir(id), "space.json"))
	if err != nil {
		return inf, fmt.Errorf("space %s: %w", id, err)
	}
	if err := json.Unmarshal(b, &inf); err != nil {
		return inf, fmt.Errorf("space %s: space.json: %w", id, err)
	}
	if s, err := hex.DecodeString(inf.Secret); err != nil || len(s) != 32 || inf.ID != id {
		return inf, fmt.Errorf("space %s: space.json is damaged", id)
	}
	return inf, nil
}

func (sp *Space) saveInfo(inf info) error {
	if err := os.MkdirAll(sp.dir(inf.ID), 0o700); err != nil {
		return fmt.Errorf("space: %w", err)
	}
	b, _ := json.MarshalIndent(inf, "", "  ")
	if err := writeFileAtomic(filepath.Join(sp.dir(inf.ID), "space.json"), b); err != nil {
		return fmt.Errorf("space: %w", err)
	}
	return writeFileAtomic(filepath.Join(sp.opts.Root, "current"), []byte(inf.ID+"\n"))
}

// writeFileAtomic replaces path with b so that a crash leaves the old or the new content.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// open starts the peer of space inf (sp.mu not held).
func (sp *Space) open(ctx context.Context, inf info, found bool) error {
	if err := sp.saveInfo(inf); err != nil {
		return err
	}
	secret, _ := hex.DecodeString(inf.Secret)
	sp.mu.Lock()
	rebasers := maps.Clone(sp.rebasers)
	sp.mu.Unlock()
	listen := sp.opts.Listen
	if len(listen) == 0 {
		listen = []string{"/ip4/0.0.0.0/tcp/0"}
	}
	cfg := node.Config{
		DataDir:             filepath.Join(sp.dir(inf.ID), "node"),
		ListenAddrs:         listen,
		Bootstrap:           inf.Peers,
		BootstrapBestEffort: true,
		BootstrapTimeout:    5 * time.Second,
		PSK:                 secret,
		MDNS:                sp.opts.MDNS,
		MDNSService:         "detrans-" + inf.ID[:16],
		Found:               found,
		Mirror:              true,
		Rebasers:            rebasers,
		Logger:              sp.opts.Logger,
		AllowFaultInjection: sp.opts.AllowFaultInjection,
	}
	n, err := node.New(ctx, cfg)
	if err != nil && len(inf.Peers) > 0 {
		// A saved address that no longer parses must not lock the user out of their space.
		cfg.Bootstrap = nil
		n, err = node.New(ctx, cfg)
	}
	if err != nil {
		return fmt.Errorf("space: start the peer: %w", err)
	}
	sp.mu.Lock()
	sp.n, sp.inf = n, inf
	sp.stop = make(chan struct{})
	stop := sp.stop
	sp.mu.Unlock()
	sp.store.attach(n)
	sp.announce(ctx)
	sp.wg.Add(1)
	go sp.keepConnected(stop, n)
	return nil
}

// announce records this peer in the space's member list (a key per author), so the others can
// show its name.
func (sp *Space) announce(ctx context.Context) {
	me := sp.Me()
	b, _ := json.Marshal(Member{Author: me.Author, PeerID: me.PeerID, Name: sp.opts.Name})
	key := membersPrefix + me.Author
	n := sp.node()
	if v, err := n.View(ctx, key); err == nil && string(v.Data) == string(b) {
		return
	}
	_ = n.Local(ctx, local.Intent{Kind: memberKind, Op: b, Writes: []local.Write{{Key: key, Value: b}}})
}

// keepConnected saves the addresses of the peers we see, and dials the saved ones while we see
// nobody (after a restart alone, or when the network comes back).
func (sp *Space) keepConnected(stop chan struct{}, n *node.Node) {
	defer sp.wg.Done()
	t := time.NewTicker(sp.opts.Reconnect)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if addrs := n.KnownAddrs(); len(addrs) > 0 {
			sp.mu.Lock()
			if !slices.Equal(addrs, sp.inf.Peers) && sp.n == n {
				sp.inf.Peers = addrs
				_ = sp.saveInfo(sp.inf)
			}
			sp.mu.Unlock()
			continue
		}
		sp.mu.Lock()
		peers := slices.Clone(sp.inf.Peers)
		sp.mu.Unlock()
		if len(peers) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = n.Connect(ctx, peers...)
			cancel()
		}
	}
}

func (sp *Space) node() *node.Node {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.n
}

// Node is the running peer (for diagnostics and tests).
func (sp *Space) Node() *node.Node { return sp.node() }

// ID is the open space's id.
func (sp *Space) ID() string {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.inf.ID
}

// Me describes this peer.
type Me struct {
	Author string // the author name stamped on this peer's edits: stable, unique in the space
	PeerID string
	Name   string
}

// Me is this peer in the open space (PeerID is empty while no peer runs).
func (sp *Space) Me() Me {
	sp.mu.Lock()
	n, author := sp.n, sp.author
	sp.mu.Unlock()
	var id string
	if n != nil {
		id = n.PeerID()
	}
	return Me{Author: author, PeerID: id, Name: sp.opts.Name}
}

// loadAuthor reads this device's author name, making one on first use: 12 random base-32
// characters (60 bits), so unique in practice, and the same in every space the device joins,
// so an app can keep one author across a switch of spaces.
func loadAuthor(root string) (string, error) {
	path := filepath.Join(root, "author")
	b, err := os.ReadFile(path)
	if err == nil {
		a := strings.TrimSpace(string(b))
		if validAuthor(a) {
			return a, nil
		}
		return "", fmt.Errorf("space: %s holds %q, not an author name (delete it to get a new one)", path, a)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("space: %w", err)
	}
	var raw [8]byte
	if _, err := crand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("space: new author: %w", err)
	}
	a := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))[:12]
	if err := writeFileAtomic(path, []byte(a+"\n")); err != nil {
		return "", fmt.Errorf("space: save the author name: %w", err)
	}
	return a, nil
}

func validAuthor(a string) bool {
	if len(a) < 4 || len(a) > 64 {
		return false
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Ticket is an invite to the open space, through this peer's addresses (and those it knows).
func (sp *Space) Ticket() (string, error) {
	sp.mu.Lock()
	inf := sp.inf
	n := sp.n
	sp.mu.Unlock()
	secret, _ := hex.DecodeString(inf.Secret)
	addrs := n.Addrs()
	addrs = append(addrs, n.KnownAddrs()...)
	if len(addrs) == 0 {
		return "", errors.New("this peer has no network address yet")
	}
	if len(addrs) > maxAddrs {
		addrs = addrs[:maxAddrs]
	}
	return Ticket{SpaceID: inf.ID, Secret: secret, Name: inf.Name, Addrs: addrs}.String(), nil
}

// Join switches to the ticket's space: the current peer stops (its pending edits stay in its
// own space's outbox) and a peer of the ticket's space starts and joins through the ticket's
// addresses. It returns when the peer is in the space's ring, or with an error saying why not;
// when the peers are merely unreachable the switch stays and the peer keeps trying.
func (sp *Space) Join(ctx context.Context, ticket string) error {
	t, err := ParseTicket(ticket)
	if err != nil {
		return err
	}
	if t.SpaceID == sp.ID() {
		return sp.node().Connect(ctx, t.Addrs...)
	}
	inf, err := sp.loadInfo(t.SpaceID)
	if err != nil {
		inf = info{ID: t.SpaceID, Secret: hex.EncodeToString(t.Secret), Name: t.Name}
	}
	inf.Peers = append(t.Addrs, inf.Peers...)
	if err := sp.closeNode(); err != nil {
		sp.opts.Logger.Warn("closing the previous space's peer", "err", err)
	}
	if err := sp.open(ctx, inf, false); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := sp.node().WaitJoined(wctx); err != nil {
		return fmt.Errorf("joined the space, but none of its peers answered yet; it keeps trying: %w", err)
	}
	return nil
}

// Close stops the peer; pending edits stay in the outbox.
func (sp *Space) Close() error { return sp.closeNode() }

func (sp *Space) closeNode() error {
	sp.mu.Lock()
	n, stop := sp.n, sp.stop
	sp.n, sp.stop = nil, nil
	sp.mu.Unlock()
	if n == nil {
		return nil
	}
	close(stop)
	sp.wg.Wait()
	sp.store.detach()
	return n.Close()
}

// Member is a peer of the space as recorded in the space itself.
type Member struct {
	Author string `json:"author"`
	PeerID string `json:"peer"`
	Name   string `json:"name,omitempty"`
}

// Person is a member as a UI shows it.
type Person struct {
	Member
	Online bool // connected now
	Nearby bool // found on the local network
}

const (
	membersPrefix = "space/members/"
	memberKind    = "space.member"
)

// People lists the other members of the space, by name.
func (sp *Space) People(ctx context.Context) []Person {
	n := sp.node()
	if n == nil {
		return nil
	}
	kvs, err := n.Scan(ctx, membersPrefix)
	if err != nil {
		return nil
	}
	connected := map[string]bool{}
	for _, p := range n.Status().ConnectedPeers {
		connected[p] = true
	}
	nearby := map[string]bool{}
	for _, p := range n.Nearby() {
		nearby[p] = true
	}
	me := n.PeerID()
	var out []Person
	for _, kv := range kvs {
		var m Member
		if json.Unmarshal(kv.Data, &m) != nil || m.PeerID == me || m.Author == "" {
			continue
		}
		out = append(out, Person{Member: m, Online: connected[m.PeerID], Nearby: nearby[m.PeerID]})
	}
	slices.SortFunc(out, func(a, b Person) int { return strings.Compare(a.label(), b.label()) })
	return out
}

func (p Person) label() string {
	if p.Name != "" {
		return p.Name
	}
	return p.Author
}
