package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/detrans/detrans/node"
)

// benchCluster is a set of `detrans-node run` processes on 127.0.0.1 that bench starts from its
// own executable, each with a fresh data dir under dir: the first founds a space (or all join
// the --join addresses), the others join through the first.
type benchCluster struct {
	dir   string
	peers []*benchPeer
}

type benchPeer struct {
	name    string
	dataDir string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	peerID  string
	api     string
	addrs   []string
}

const (
	benchStartTimeout = 60 * time.Second
	benchStopTimeout  = 10 * time.Second
)

// startBenchCluster starts n peers and returns once each printed its ready line.
func startBenchCluster(ctx context.Context, dir string, n int, join []string, logLevel string, extra []string, progress io.Writer) (*benchCluster, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable to start peers: %w", err)
	}
	c := &benchCluster{dir: dir}
	for i := range n {
		via := join
		if len(via) == 0 && i > 0 {
			via = c.peers[0].addrs
		}
		p, err := startBenchPeer(ctx, exe, dir, i, via, logLevel, extra)
		if p != nil {
			c.peers = append(c.peers, p)
		}
		if err != nil {
			c.stop()
			return nil, err
		}
		fmt.Fprintf(progress, "bench: started peer %s %s (api %s)\n", p.name, p.peerID, p.api)
	}
	return c, nil
}

func startBenchPeer(ctx context.Context, exe, dir string, i int, join []string, logLevel string, extra []string) (*benchPeer, error) {
	p := &benchPeer{
		name:    fmt.Sprintf("p%d", i),
		dataDir: filepath.Join(dir, fmt.Sprintf("p%d", i)),
		logPath: filepath.Join(dir, fmt.Sprintf("p%d.log", i)),
		done:    make(chan struct{}),
	}
	args := []string{"run", "--data", p.dataDir, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0", "--log-level", logLevel}
	for _, j := range join {
		args = append(args, "--join", j)
	}
	args = append(args, extra...)
	logf, err := os.Create(p.logPath)
	if err != nil {
		return nil, fmt.Errorf("peer %s log: %w", p.name, err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		logf.Close()
		return nil, fmt.Errorf("peer %s: %w", p.name, err)
	}
	p.cmd = exec.Command(exe, args...)
	p.cmd.Stdout, p.cmd.Stderr = outW, logf
	p.cmd.SysProcAttr = childProcAttr()
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("start peer %s: %w", p.name, err)
	}
	outW.Close()
	ready := make(chan string, 1)
	go func() {
		defer outR.Close()
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "detrans-node ready ") {
				select {
				case ready <- line:
				default:
				}
			}
		}
	}()
	go func() {
		_ = p.cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	t := time.NewTimer(benchStartTimeout)
	defer t.Stop()
	select {
	case line := <-ready:
		for _, kv := range strings.Fields(strings.TrimPrefix(line, "detrans-node ready ")) {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "peer_id":
				p.peerID = v
			case "api":
				p.api = v
			case "addrs":
				p.addrs = strings.Split(v, ",")
			}
		}
		if p.peerID == "" || p.api == "" || len(p.addrs) == 0 {
			return p, fmt.Errorf("peer %s: incomplete ready line %q", p.name, line)
		}
		return p, nil
	case <-p.done:
		return p, fmt.Errorf("peer %s exited before it was ready; its log ends:\n%s", p.name, logTail(p.logPath, 4<<10))
	case <-t.C:
		return p, fmt.Errorf("peer %s not ready within %s; its log ends:\n%s", p.name, benchStartTimeout, logTail(p.logPath, 4<<10))
	case <-ctx.Done():
		return p, fmt.Errorf("starting peer %s: %w", p.name, ctx.Err())
	}
}

// stop sends SIGTERM to every peer at once and waits for them; a peer that does not leave in
// time is killed.
func (c *benchCluster) stop() {
	var wg sync.WaitGroup
	for _, p := range c.peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			t := time.NewTimer(benchStopTimeout)
			defer t.Stop()
			select {
			case <-p.done:
			case <-t.C:
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}()
	}
	wg.Wait()
}

// waitRing polls the peers' status until they form one ring: all joined, and in ring-ID order
// each one's successor is the next and its predecessor the previous, and every replica group's
// view is the ring's. With joinedOnly it only
// waits for every peer to have joined: the ring has other members too (--api, --join).
func waitRing(ctx context.Context, clients []*client, joinedOnly bool, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	why := "no status yet"
	for {
		sts := make([]node.Status, 0, len(clients))
		var err error
		for _, c := range clients {
			var st node.Status
			if st, err = c.Status(ctx); err != nil {
				break
			}
			sts = append(sts, st)
		}
		if err == nil {
			var ok bool
			if joinedOnly {
				ok, why = allJoined(sts)
			} else if ok, why = oneRing(sts); ok {
				// Replica groups move from the founder to their ring-given members for a while
				// after the ring forms; measuring before that measures the move (view changes,
				// conflicts), not the store.
				ok, why = node.GroupsFollowRing(sts)
			}
			if ok {
				return nil
			}
		} else {
			why = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the peers did not form one ring within %s: %s", timeout, why)
		case <-tick.C:
		}
	}
}

func oneRing(sts []node.Status) (bool, string) {
	sorted := slices.Clone(sts)
	slices.SortFunc(sorted, func(a, b node.Status) int { return strings.Compare(a.RingID, b.RingID) })
	for i, s := range sorted {
		if !s.Joined {
			return false, s.PeerID + " has not joined"
		}
		if len(sorted) == 1 {
			break
		}
		next := sorted[(i+1)%len(sorted)].PeerID
		prev := sorted[(i+len(sorted)-1)%len(sorted)].PeerID
		if len(s.Successors) == 0 || s.Successors[0] != next || s.Predecessor != prev {
			return false, fmt.Sprintf("%s: successors %v predecessor %s, want %s and %s", s.PeerID, s.Successors, s.Predecessor, next, prev)
		}
	}
	return true, ""
}

func allJoined(sts []node.Status) (bool, string) {
	for _, s := range sts {
		if !s.Joined {
			return false, s.PeerID + " has not joined"
		}
	}
	return true, ""
}

// logTail is the last n bytes of a log file, for error messages.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if len(b) > n {
		b = b[len(b)-n:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}
