package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/detrans/detrans/node"
)

// Ready is what a peer announced on its "detrans-node ready" stdout line.
type Ready struct {
	PeerID string
	API    string   // admin API address, 127.0.0.1:PORT
	Addrs  []string // dialable multiaddrs ending in /p2p/PeerID
}

// Peer is one detrans-node data dir and the process currently (or last) running on it.
type Peer struct {
	Name    string
	DataDir string
	LogPath string // stderr and stdout of every run, appended

	c    *Cluster
	mu   sync.Mutex
	runs int
	proc *process
}

type process struct {
	cmd   *exec.Cmd
	ready Ready
	done  chan struct{} // closed once the process exited and its stdout was drained
	state *os.ProcessState
	err   error // from Wait
}

// readyPrefix starts the line `run` prints once the peer is up.
const readyPrefix = "detrans-node ready "

// parseReady reads "detrans-node ready peer_id=ID api=ADDR addrs=A,B".
func parseReady(line string) (Ready, error) {
	var r Ready
	if !strings.HasPrefix(line, readyPrefix) {
		return r, fmt.Errorf("not a ready line: %q", line)
	}
	for _, kv := range strings.Fields(strings.TrimPrefix(line, readyPrefix)) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "peer_id":
			r.PeerID = v
		case "api":
			r.API = v
		case "addrs":
			if v != "" {
				r.Addrs = strings.Split(v, ",")
			}
		}
	}
	if r.PeerID == "" || r.API == "" || len(r.Addrs) == 0 {
		return r, fmt.Errorf("incomplete ready line: %q", line)
	}
	return r, nil
}

// anyPort is the listen address of a fresh peer: loopback, TCP, a free port.
const anyPort = "/ip4/127.0.0.1/tcp/0"

// start launches detrans-node run on p's data dir, listening on listen, and waits for its ready
// line.
func (p *Peer) start(listen string, join []string) error {
	p.mu.Lock()
	if p.proc != nil && !p.exited(p.proc) {
		p.mu.Unlock()
		return fmt.Errorf("peer %s is already running", p.Name)
	}
	p.runs++
	run := p.runs
	p.mu.Unlock()

	args := []string{"run", "--data", p.DataDir, "--api", "127.0.0.1:0",
		"--listen", listen, "--log-level", p.c.LogLevel}
	for _, j := range join {
		args = append(args, "--join", j)
	}
	args = append(args, p.c.ExtraArgs...)

	logf, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("peer %s log: %w", p.Name, err)
	}
	fmt.Fprintf(logf, "=== %s run %d: detrans-node %s\n", p.Name, run, strings.Join(args, " "))
	outR, outW, err := os.Pipe()
	if err != nil {
		logf.Close()
		return fmt.Errorf("peer %s stdout pipe: %w", p.Name, err)
	}
	cmd := exec.Command(p.c.bin, args...)
	cmd.Stdout = outW
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		outR.Close()
		outW.Close()
		return fmt.Errorf("start peer %s: %w", p.Name, err)
	}
	outW.Close() // the child has its own copy; EOF comes when it exits

	proc := &process{cmd: cmd, done: make(chan struct{})}
	readyCh := make(chan Ready, 1)
	stdoutDone := make(chan struct{})
	go func() {
		defer close(stdoutDone)
		defer logf.Close()
		defer outR.Close()
		sc := bufio.NewScanner(outR)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintf(logf, "stdout: %s\n", line)
			if r, err := parseReady(line); err == nil && !sent {
				sent = true
				readyCh <- r
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		<-stdoutDone
		p.mu.Lock()
		proc.state, proc.err = cmd.ProcessState, err
		p.mu.Unlock()
		close(proc.done)
	}()
	p.mu.Lock()
	p.proc = proc
	p.mu.Unlock()

	deadline := time.NewTimer(p.c.StartTimeout)
	defer deadline.Stop()
	select {
	case r := <-readyCh:
		p.mu.Lock()
		proc.ready = r
		p.mu.Unlock()
		return nil
	case <-proc.done:
		return fmt.Errorf("peer %s exited before it was ready (%v); log:\n%s", p.Name, proc.err, tail(p.LogPath, 8<<10))
	case <-deadline.C:
		_ = cmd.Process.Kill()
		<-proc.done
		return fmt.Errorf("peer %s not ready within %s; log:\n%s", p.Name, p.c.StartTimeout, tail(p.LogPath, 8<<10))
	}
}

func (p *Peer) exited(proc *process) bool {
	select {
	case <-proc.done:
		return true
	default:
		return false
	}
}

func (p *Peer) current() *process {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proc
}

// Running reports whether p's process is alive.
func (p *Peer) Running() bool {
	proc := p.current()
	return proc != nil && !p.exited(proc)
}

// Ready is what the current (or last) run announced. Its PeerID stays the same across
// restarts on the same data dir; API and Addrs change.
func (p *Peer) Ready() Ready {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return Ready{}
	}
	return p.proc.ready
}

// lastListen is the listen multiaddr (without /p2p) of p's last run, for a restart on the same
// address.
func (p *Peer) lastListen() (string, error) {
	r := p.Ready()
	if len(r.Addrs) == 0 {
		return "", fmt.Errorf("peer %s was never started", p.Name)
	}
	addr, _, ok := strings.Cut(r.Addrs[0], "/p2p/")
	if !ok {
		return "", fmt.Errorf("peer %s: address %s has no /p2p/ part", p.Name, r.Addrs[0])
	}
	return addr, nil
}

// PeerID is p's libp2p peer ID (stable across restarts).
func (p *Peer) PeerID() string { return p.Ready().PeerID }

// Kill ends p at once with SIGKILL, like a crash: no graceful leave, api.addr left behind.
func (p *Peer) Kill() error {
	proc := p.current()
	if proc == nil {
		return fmt.Errorf("peer %s was never started", p.Name)
	}
	if p.exited(proc) {
		return nil
	}
	if err := proc.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill peer %s: %w", p.Name, err)
	}
	<-proc.done // SIGKILL cannot be caught; the wait is bounded by the kernel
	return nil
}

// Stop sends SIGTERM and waits up to timeout for p to exit, returning its exit code. A peer that
// does not exit in time is killed and reported as an error.
func (p *Peer) Stop(timeout time.Duration) (int, error) {
	return p.signal(syscall.SIGTERM, timeout)
}

// Interrupt is Stop with SIGINT (Ctrl-C).
func (p *Peer) Interrupt(timeout time.Duration) (int, error) {
	return p.signal(syscall.SIGINT, timeout)
}

func (p *Peer) signal(sig syscall.Signal, timeout time.Duration) (int, error) {
	proc := p.current()
	if proc == nil {
		return -1, fmt.Errorf("peer %s was never started", p.Name)
	}
	if !p.exited(proc) {
		if err := proc.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return -1, fmt.Errorf("signal peer %s: %w", p.Name, err)
		}
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	select {
	case <-proc.done:
	case <-deadline.C:
		_ = proc.cmd.Process.Kill()
		<-proc.done
		return -1, fmt.Errorf("peer %s did not exit within %s of %v; killed", p.Name, timeout, sig)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return proc.state.ExitCode(), nil
}

// CLI runs `detrans-node COMMAND --api <p's API> ARGS...` and returns its stdout; a non-zero
// exit is an error carrying stderr.
func (p *Peer) CLI(ctx context.Context, command string, args ...string) (string, error) {
	api := p.Ready().API
	if api == "" {
		return "", fmt.Errorf("peer %s was never started", p.Name)
	}
	return p.c.CLI(ctx, append([]string{command, "--api", api}, args...)...)
}

// Status is p's `status --json`.
func (p *Peer) Status(ctx context.Context) (node.Status, error) {
	var st node.Status
	out, err := p.CLI(ctx, "status", "--json", "--timeout", "5s")
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return st, fmt.Errorf("peer %s: status --json is not a Status: %w: %q", p.Name, err, out)
	}
	return st, nil
}

// Lookup is p's `lookup --json KEY`: the owner's peer ID and the hop count.
func (p *Peer) Lookup(ctx context.Context, key string) (owner string, hops int, err error) {
	out, err := p.CLI(ctx, "lookup", "--json", "--timeout", "10s", "--", key)
	if err != nil {
		return "", 0, err
	}
	var rep struct {
		Owner string `json:"owner"`
		Hops  int    `json:"hops"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		return "", 0, fmt.Errorf("peer %s: lookup --json: %w: %q", p.Name, err, out)
	}
	return rep.Owner, rep.Hops, nil
}
