package harness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/detrans/detrans/node"
)

// Cluster is a set of detrans-node peers on loopback belonging to one test.
type Cluster struct {
	// LogLevel is passed to every run (default "debug": the logs are only printed on failure).
	LogLevel string
	// ExtraArgs are appended to every `run` command line.
	ExtraArgs []string
	// StartTimeout bounds how long Start waits for a peer's ready line (default 60 s).
	StartTimeout time.Duration

	t     testing.TB
	bin   string
	dir   string
	mu    sync.Mutex
	peers []*Peer
}

// NewCluster returns an empty cluster whose processes die with the test.
func NewCluster(t testing.TB, bin string) *Cluster {
	t.Helper()
	c := &Cluster{LogLevel: "debug", StartTimeout: 60 * time.Second, t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(c.cleanup)
	return c
}

// Peers returns every peer ever added, in the order they were added.
func (c *Cluster) Peers() []*Peer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Peer(nil), c.peers...)
}

// Running returns the peers whose process is alive.
func (c *Cluster) Running() []*Peer {
	var out []*Peer
	for _, p := range c.Peers() {
		if p.Running() {
			out = append(out, p)
		}
	}
	return out
}

// Start adds a peer with a fresh data dir and starts it, joining through the given multiaddrs
// (none: it starts a ring of its own). It fails the test if the peer does not come up.
func (c *Cluster) Start(join ...string) *Peer {
	c.t.Helper()
	c.mu.Lock()
	i := len(c.peers)
	p := &Peer{
		Name:    fmt.Sprintf("p%d", i),
		DataDir: filepath.Join(c.dir, fmt.Sprintf("p%d", i)),
		LogPath: filepath.Join(c.dir, fmt.Sprintf("p%d.log", i)),
		c:       c,
	}
	c.peers = append(c.peers, p)
	c.mu.Unlock()
	if err := p.start(anyPort, join); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// JoinVia says which running peers a new peer of StartRing is given as --join addresses.
type JoinVia int

const (
	// JoinFirst: every peer joins through the first one only.
	JoinFirst JoinVia = iota
	// JoinAll: every peer gets the addresses of all peers started before it, so it connects to
	// all of them while it joins.
	JoinAll
)

// StartRing starts n peers: the first founds a ring, the others join through the peers that
// via names. It does not wait for the joins to finish: use WaitOneRing.
func (c *Cluster) StartRing(n int, via JoinVia) []*Peer {
	c.t.Helper()
	peers := []*Peer{c.Start()}
	for range n - 1 {
		var join []string
		for _, p := range peers {
			join = append(join, p.Ready().Addrs...)
			if via == JoinFirst {
				break
			}
		}
		peers = append(peers, c.Start(join...))
	}
	return peers
}

// Restart starts p again on its data dir (same identity, next incarnation) and on the same
// address it had, as a deployed peer with a fixed port would come back, joining through join.
// p must not be running.
func (c *Cluster) Restart(p *Peer, join ...string) {
	c.t.Helper()
	listen, err := p.lastListen()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := p.start(listen, join); err != nil {
		c.t.Fatal(err)
	}
}

// RestartNewAddr is Restart on a fresh port: the peer comes back under its old identity at an
// address the others have never seen.
func (c *Cluster) RestartNewAddr(p *Peer, join ...string) {
	c.t.Helper()
	if err := p.start(anyPort, join); err != nil {
		c.t.Fatal(err)
	}
}

// CLI runs the detrans-node binary with args and returns its stdout; a non-zero exit is an
// error carrying the exit status and stderr.
func (c *Cluster) CLI(ctx context.Context, args ...string) (string, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("detrans-node %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// Statuses asks each peer for `status --json`, in order.
func (c *Cluster) Statuses(ctx context.Context, peers []*Peer) ([]node.Status, error) {
	out := make([]node.Status, len(peers))
	for i, p := range peers {
		st, err := p.Status(ctx)
		if err != nil {
			return nil, err
		}
		out[i] = st
	}
	return out, nil
}

// WaitOneRing polls until members form one ring (see OneRing) in which no member still points
// at a peer of this cluster that is not a member (killed or stopped peers are repaired away).
func (c *Cluster) WaitOneRing(members []*Peer, timeout time.Duration) []node.Status {
	c.t.Helper()
	in := map[string]bool{}
	for _, p := range members {
		in[p.PeerID()] = true
	}
	gone := map[string]bool{}
	for _, p := range c.Peers() {
		if id := p.PeerID(); id != "" && !in[id] {
			gone[id] = true
		}
	}
	var last []node.Status
	Eventually(c.t, timeout, fmt.Sprintf("one ring of %d peers", len(members)), func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sts, err := c.Statuses(ctx, members)
		if err != nil {
			return false, err.Error()
		}
		last = sts
		if ok, why := OneRing(sts); !ok {
			return false, why
		}
		return NoReferences(sts, gone)
	})
	return last
}

// WaitGroupsFollowRing waits until members form one ring and every replica group's view is
// installed, ready and slot for slot what placement over that ring gives (node.GroupsFollowRing).
func (c *Cluster) WaitGroupsFollowRing(members []*Peer, timeout time.Duration) []node.Status {
	c.t.Helper()
	var last []node.Status
	Eventually(c.t, timeout, fmt.Sprintf("replica views follow the ring of %d peers", len(members)), func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sts, err := c.Statuses(ctx, members)
		if err != nil {
			return false, err.Error()
		}
		last = sts
		if ok, why := OneRing(sts); !ok {
			return false, why
		}
		return node.GroupsFollowRing(sts)
	})
	return last
}

// cleanup kills whatever still runs, fails the test if a race-enabled peer reported a data
// race, and prints every peer's log when the test failed.
func (c *Cluster) cleanup() {
	for _, p := range c.Peers() {
		if err := p.Kill(); err != nil {
			c.t.Errorf("cleanup: %v", err)
		}
	}
	for _, p := range c.Peers() {
		if b, err := os.ReadFile(p.LogPath); err == nil && bytes.Contains(b, []byte("WARNING: DATA RACE")) {
			c.t.Errorf("peer %s reported a data race (see its log)", p.Name)
		}
	}
	if !c.t.Failed() {
		return
	}
	for _, p := range c.Peers() {
		c.t.Logf("===== log of peer %s (%s, data %s) =====\n%s", p.Name, p.PeerID(), p.DataDir, tail(p.LogPath, 256<<10))
	}
}

// tail returns at most the last n bytes of the file at path.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	prefix := ""
	if st.Size() > n {
		if _, err := f.Seek(st.Size()-n, io.SeekStart); err != nil {
			return fmt.Sprintf("(log unreadable: %v)", err)
		}
		prefix = fmt.Sprintf("[... first %d bytes cut ...]\n", st.Size()-n)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	return prefix + string(b)
}
