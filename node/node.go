package node

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/detrans/detrans/core"
	"github.com/detrans/detrans/local"
	"github.com/detrans/detrans/ring"
	"github.com/detrans/detrans/store"
	"github.com/detrans/detrans/txn"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
)

// Node is one running peer. All methods are safe for concurrent use.
type Node struct {
	counters counters
	peerIDs  map[string]peer.ID    // decoded destination IDs; loop goroutine only
	hinted   map[hintKey]time.Time // when a peer's dial hint last went to a destination; loop only
	s        *settings
	log      *slog.Logger
	host     host.Host
	dht      *dht.IpfsDHT
	mdns     mdns.Service
	self     ring.NodeRef
	start    time.Time

	ctx    context.Context // canceled at the end of Close: aborts dials, writes, pings
	cancel context.CancelFunc
	wg     sync.WaitGroup // goroutines started by this package other than the loop and writers

	inbound  chan []core.Msg // batches of messages from one stream
	calls    chan func(now ring.Time)
	quit     chan struct{} // closed to stop the loop
	loopDone chan struct{}

	// Group commit (loop.go): the loop writes without syncing and counts its writes; the
	// syncer fsyncs and reports how far; outputs wait in pending until their writes are synced.
	appliedSeq atomic.Uint64
	synced     atomic.Uint64
	syncReq    chan struct{}
	lazyReq    chan struct{} // a write nothing waits for was made: sync it within lazySync
	syncDone   chan struct{}
	syncerDone chan struct{}
	pending    []pendingOut
	writers    *writers
	outbox     map[peer.ID][]byte // frames sent in this flush, per destination (loop only)
	outOrder   []peer.ID          // outbox's destinations in first-send order
	pings      *pinger

	joined    chan struct{}
	joinOnce  sync.Once
	left      chan struct{}
	leftOnce  sync.Once
	closeOnce sync.Once
	closeErr  error
	skipLeave bool // tests: Close behaves like a crash (no goodbye to the ring)

	finalMu    sync.Mutex
	finalState *ring.State // the ring's view when the loop stopped, for Status after Close

	store  *store.Store
	intake intake // Local's records waiting for the loop (intake.go)
	localW localWatchers

	nearbyMu sync.Mutex
	nearby   map[string]bool // peers found by mDNS
	gater    *gater
	watchW   keyWatchers

	// Owned by the loop goroutine.
	p            *core.Peer
	lookups      map[uint64]chan lookupReply
	ops          map[uint64]chan txn.Event // store requests waiting for their event
	bootstrapped bool
	found        bool // found a new space at bootstrap
}

// New starts a peer: identity from DataDir, the libp2p host, kad-dht, the event loop, and the
// ring join through the bootstrap peers (or mDNS, or alone). It returns once the host is up and
// at least one bootstrap peer (if any were given) is connected; use WaitJoined to wait for the
// ring join itself.
func New(ctx context.Context, cfg Config) (*Node, error) {
	s, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if err := prepareDataDir(s.DataDir); err != nil {
		return nil, err
	}
	key, err := loadOrCreateKey(s.DataDir)
	if err != nil {
		return nil, err
	}
	inc, err := bumpIncarnation(s.DataDir)
	if err != nil {
		return nil, err
	}
	var g *gater
	if s.AllowFaultInjection {
		g = &gater{blocked: map[peer.ID]bool{}}
	}
	h, err := newHost(s, key, g)
	if err != nil {
		return nil, err
	}
	n := &Node{
		s:          s,
		log:        s.Logger,
		host:       h,
		start:      time.Now(),
		inbound:    make(chan []core.Msg, 256),
		calls:      make(chan func(ring.Time)),
		quit:       make(chan struct{}),
		loopDone:   make(chan struct{}),
		syncReq:    make(chan struct{}, 1),
		lazyReq:    make(chan struct{}, 1),
		syncDone:   make(chan struct{}, 1),
		syncerDone: make(chan struct{}),
		joined:     make(chan struct{}),
		left:       make(chan struct{}),
		gater:      g,
		nearby:     map[string]bool{},
		lookups:    map[uint64]chan lookupReply{},
		ops:        map[uint64]chan txn.Event{},
		intake:     intake{sig: make(chan struct{}, 1)},
	}
	n.self = ring.NodeRef{ID: ring.HashKey([]byte(h.ID().String())), Addr: h.ID().String(), Inc: inc}
	n.log = n.log.With("peer", shortPeer(h.ID().String()))
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.writers = newWriters(n.ctx, n.log, func(ctx context.Context, p peer.ID) (network.Stream, error) {
		return n.openStream(ctx, p, peerProto)
	})
	n.pings = newPinger(n)

	fail := func(err error) (*Node, error) {
		n.cancel()
		if n.dht != nil {
			_ = n.dht.Close()
		}
		if n.store != nil {
			_ = n.store.Close()
		}
		_ = h.Close()
		return nil, err
	}
	n.store, err = store.Open(filepath.Join(s.DataDir, "store"))
	if err != nil {
		return fail(err)
	}
	n.dht, err = newDHT(h, s.bootstrap)
	if err != nil {
		return fail(err)
	}
	if err := connectBootstrap(ctx, h, s.bootstrap, s.BootstrapTimeout); err != nil {
		if !s.BootstrapBestEffort {
			return fail(err)
		}
		n.log.Info("no bootstrap peer reachable yet; joining when one answers", "err", err)
	}

	seed, err := randomSeed()
	if err != nil {
		return fail(err)
	}
	n.p, err = core.New(core.Config{Ring: s.Ring, Txn: s.Txn, Local: local.Config{Mirror: s.Mirror}}, n.self, seed)
	if err != nil {
		return fail(fmt.Errorf("protocol config: %w", err))
	}
	n.p.TicksPeriodically() // the loop ticks every s.tick and never reads Output.Wake
	for kind, rb := range s.Rebasers {
		n.p.Local.Register(kind, rb)
	}
	if err := n.p.Restore(ctx, 0, n.store); err != nil {
		return fail(fmt.Errorf("data dir %s: %w", s.DataDir, err))
	}
	if err := n.intake.restore(ctx, n.store); err != nil {
		return fail(fmt.Errorf("data dir %s: %w", s.DataDir, err))
	}
	n.found = s.Found && !n.hasViews()
	h.SetStreamHandler(peerProto, n.handleStream)
	h.SetStreamHandler(pingProto, n.pings.serve)

	var contacts []ring.NodeRef
	for _, ai := range s.bootstrap {
		contacts = append(contacts, refFor(ai.ID))
	}
	// With mDNS on and nowhere to join, wait a little for a LAN peer before founding a ring,
	// so that peers started together end up in one ring rather than several.
	waitForLAN := s.MDNS && len(contacts) == 0
	if !waitForLAN {
		n.p.Start(0, contacts, n.found)
		n.bootstrapped = true
	}
	go n.syncer()
	go n.loop(waitForLAN)

	if s.MDNS {
		n.mdns = mdns.NewMdnsService(h, s.MDNSService, mdnsNotifee{n})
		if err := n.mdns.Start(); err != nil {
			_ = n.Close()
			return nil, fmt.Errorf("mdns: %w", err)
		}
	}
	n.log.Info("node started", "ring_id", n.self.ID.Short(), "inc", inc, "addrs", p2pAddrs(h))
	return n, nil
}

// refFor is the NodeRef of a peer we know only by ID; its incarnation is learnt from the ring.
func refFor(p peer.ID) ring.NodeRef {
	return ring.NodeRef{ID: ring.HashKey([]byte(p.String())), Addr: p.String()}
}

func randomSeed() (int64, error) {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("ring seed: %w", err)
	}
	return int64(binary.LittleEndian.Uint64(b[:])), nil
}

func shortPeer(p string) string {
	if len(p) > 8 {
		return p[len(p)-8:]
	}
	return p
}

// PeerID is this node's libp2p peer ID.
func (n *Node) PeerID() string { return n.host.ID().String() }

// Addrs are this node's dialable multiaddrs, each ending in /p2p/<peer ID>.
func (n *Node) Addrs() []string { return p2pAddrs(n.host) }

// RingID is this node's position on the ring.
func (n *Node) RingID() ring.ID { return n.self.ID }

// Incarnation is this run's incarnation number (1 on the first start of a data dir).
func (n *Node) Incarnation() uint64 { return n.self.Inc }

// WaitJoined blocks until this node has joined a ring, ctx ends, or the node is closed.
func (n *Node) WaitJoined(ctx context.Context) error {
	select {
	case <-n.loopDone:
		return fmt.Errorf("waiting to join the ring: %w", errClosed)
	default:
	}
	select {
	case <-n.joined:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to join the ring: %w", ctx.Err())
	case <-n.loopDone:
		return fmt.Errorf("waiting to join the ring: %w", errClosed)
	}
}

// Close leaves the ring gracefully (waiting at most Config.LeaveTimeout), then stops every
// goroutine and closes the DHT and the host. It is safe to call more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(func() { n.closeErr = n.shutdown() })
	return n.closeErr
}

func (n *Node) shutdown() error {
	select {
	case <-n.joined:
		if !n.skipLeave {
			n.leave()
		}
	default:
	}
	close(n.quit)
	<-n.loopDone
	<-n.syncerDone
	// Writers still have a live context here, so queued leave messages can go out.
	n.writers.closeAll()
	n.cancel()
	var errs []error
	if n.mdns != nil {
		if err := n.mdns.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close mdns: %w", err))
		}
	}
	n.pings.closeAll()
	n.host.RemoveStreamHandler(peerProto)
	n.host.RemoveStreamHandler(pingProto)
	if err := n.dht.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close dht: %w", err))
	}
	if err := n.host.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close host: %w", err))
	}
	n.intake.close()
	// Writes nothing waited for may be unsynced still (lazySync): a clean stop leaves them on disk.
	if err := n.store.Sync(context.Background()); err != nil {
		errs = append(errs, fmt.Errorf("sync store: %w", err))
	}
	if err := n.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	n.wg.Wait()
	n.log.Info("node stopped")
	return errors.Join(errs...)
}

// leave runs the ring's graceful leave and waits, bounded, for it to finish.
func (n *Node) leave() {
	t := time.NewTimer(n.s.LeaveTimeout)
	defer t.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), n.s.LeaveTimeout)
	defer cancel()
	if err := n.do(ctx, func(now ring.Time) { n.p.Leave(now) }); err != nil {
		return
	}
	select {
	case <-n.left:
	case <-t.C:
		n.log.Warn("graceful leave did not finish in time; closing anyway", "timeout", n.s.LeaveTimeout)
	}
}

// openStream opens a stream to p, asking the DHT for p's addresses first when we know none.
func (n *Node) openStream(ctx context.Context, p peer.ID, proto protocol.ID) (network.Stream, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	if n.host.Network().Connectedness(p) != network.Connected && len(n.host.Peerstore().Addrs(p)) == 0 {
		ai, err := n.dht.FindPeer(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("find addresses of %s: %w", p, err)
		}
		n.host.Peerstore().AddAddrs(p, ai.Addrs, peerstore.TempAddrTTL)
	}
	s, err := n.host.NewStream(ctx, p, proto)
	if err != nil {
		return nil, fmt.Errorf("open %s stream to %s: %w", proto, p, err)
	}
	return s, nil
}

// hasViews reports whether this data dir already belongs to a space (it holds replica-group
// views): then it must never found another one.
func (n *Node) hasViews() bool {
	found := false
	_ = n.store.MetaRange(context.Background(), "g-", func(string, []byte) error {
		found = true
		return errStopRange
	})
	return found
}

var errStopRange = errors.New("stop")
