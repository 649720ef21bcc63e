package node

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

const (
	peerProto protocol.ID = "/detrans/peer/1"

	writerQueueLen = 256
	// writeBufBytes is a writer's buffer: what it gathers from its queue goes out in one stream
	// write (a flush's frames to one peer arrive as one queue entry of up to maxOutboxBytes).
	writeBufBytes = 64 << 10
	// writerIdle closes a writer (and its stream) after this long without traffic, so peers
	// that left do not keep a goroutine and a stream forever.
	writerIdle   = 2 * time.Minute
	dialTimeout  = 5 * time.Second
	writeTimeout = 5 * time.Second
	// drainTimeout bounds how long Close lets writers flush queued messages (the leave
	// notifications among them) before streams are torn down.
	drainTimeout = time.Second
)

// writers hands outbound frames to one goroutine per destination peer. Each goroutine keeps
// one outbound stream open and writes frames to it in order; failures drop frames and reopen
// the stream on the next one.
type writers struct {
	ctx    context.Context // canceled on Close: aborts dials and writes
	dial   func(ctx context.Context, p peer.ID) (network.Stream, error)
	log    *slog.Logger
	mu     sync.Mutex
	peers  map[peer.ID]*writer
	closed bool
	wg     sync.WaitGroup
}

type writer struct {
	q    chan []byte
	stop chan struct{} // closed by closeAll: drain q, then exit
}

func newWriters(ctx context.Context, log *slog.Logger, dial func(context.Context, peer.ID) (network.Stream, error)) *writers {
	return &writers{ctx: ctx, dial: dial, log: log, peers: map[peer.ID]*writer{}}
}

// send queues frame for p without blocking; it reports false when the frame was dropped.
func (ws *writers) send(p peer.ID, frame []byte) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed {
		return false
	}
	w, ok := ws.peers[p]
	if !ok {
		w = &writer{q: make(chan []byte, writerQueueLen), stop: make(chan struct{})}
		ws.peers[p] = w
		ws.wg.Add(1)
		go ws.run(p, w)
	}
	select {
	case w.q <- frame:
		return true
	default:
		return false
	}
}

// closeAll stops accepting frames, lets writers flush for at most drainTimeout, and waits for
// every writer goroutine to exit.
func (ws *writers) closeAll() {
	ws.mu.Lock()
	ws.closed = true
	for _, w := range ws.peers {
		close(w.stop)
	}
	ws.mu.Unlock()
	ws.wg.Wait()
}

func (ws *writers) run(p peer.ID, w *writer) {
	defer ws.wg.Done()
	var s network.Stream
	var bw *bufio.Writer
	defer func() {
		if s != nil {
			// Close, not Reset: the peer should still receive what we flushed.
			_ = s.Close()
		}
	}()
	idle := time.NewTimer(writerIdle)
	defer idle.Stop()
	lastActive := time.Now() // the idle timer is re-armed from this when it fires, not per batch
	var deadlineSet time.Time
	ctx := ws.ctx
	var drainDeadline <-chan struct{}
	draining := false
	stop := w.stop
	for {
		var frame []byte
		select {
		case frame = <-w.q:
		case <-stop:
			if len(w.q) == 0 {
				return
			}
			// Flush what is queued, but bound dials and writes by the drain deadline.
			draining, stop = true, nil
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ws.ctx, drainTimeout)
			defer cancel()
			drainDeadline = ctx.Done()
			continue
		case <-drainDeadline:
			return
		case <-idle.C:
			if quiet := time.Since(lastActive); quiet < writerIdle {
				idle.Reset(writerIdle - quiet)
				continue
			}
			if ws.retire(p, w) {
				return
			}
			idle.Reset(writerIdle)
			continue
		}
		now := time.Now()
		lastActive = now
		if s == nil {
			var err error
			s, err = ws.dial(ctx, p)
			if err != nil {
				ws.log.Debug("ring stream: open failed, dropping message", "peer", p, "err", err)
				putFrameBuf(frame)
				if draining && (len(w.q) == 0 || ctx.Err() != nil) {
					return
				}
				continue
			}
			bw = bufio.NewWriterSize(s, writeBufBytes)
			deadlineSet = time.Time{}
		}
		deadline := now.Add(writeTimeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		// Setting a deadline arms a timer in yamux: renew it when a quarter of it has passed
		// (or a drain shortens it), not for every batch. A write still fails within 3/4 to all
		// of writeTimeout.
		if deadline.Before(deadlineSet) || deadline.Sub(deadlineSet) > writeTimeout/4 {
			_ = s.SetWriteDeadline(deadline)
			deadlineSet = deadline
		}
		if err := writeFrames(bw, frame, w.q); err != nil {
			ws.log.Debug("ring stream: write failed, dropping message", "peer", p, "err", err)
			_ = s.Reset()
			s, bw = nil, nil
		}
		if draining && len(w.q) == 0 {
			return
		}
	}
}

// writeFrames writes frame plus whatever else is already queued, then flushes once: under load
// this batches many small messages into one write.
//
// Before it looks at the queue it yields once: a writer woken by the first frame of a burst
// otherwise wrote it alone while the loop was still producing the rest, and every write costs a
// yamux frame, a Noise record, a syscall and a wake-up of the reader on the other side. With the
// yield, write syscalls per quorum read halved and reads/s rose 5–10 % under load; a lone frame
// (an idle peer) waits only for goroutines already runnable.
func writeFrames(bw *bufio.Writer, frame []byte, q chan []byte) error {
	_, err := bw.Write(frame)
	putFrameBuf(frame) // copied into bw or into yamux's own buffer
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	runtime.Gosched()
	for more := true; more; {
		select {
		case f := <-q:
			_, err := bw.Write(f)
			putFrameBuf(f)
			if err != nil {
				return fmt.Errorf("write: %w", err)
			}
		default:
			more = false
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// retire removes an idle writer unless a frame slipped into its queue meanwhile.
func (ws *writers) retire(p peer.ID, w *writer) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if len(w.q) > 0 || ws.closed {
		return false
	}
	delete(ws.peers, p)
	return true
}

// frameBufs recycles the buffers the loop gathers a flush's frames to one peer in (send): one
// was allocated and zeroed per destination per flush, 3 % of a busy peer's CPU under read load.
var frameBufs sync.Pool

const frameBufSize = 4096

// getFrameBuf returns an empty buffer with room for a usual flush's frames to one peer.
func getFrameBuf() []byte {
	if b, ok := frameBufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, frameBufSize)
}

// putFrameBuf gives b back once nothing refers to its bytes; buffers a burst grew large are
// left to the collector.
func putFrameBuf(b []byte) {
	if cap(b) < frameBufSize || cap(b) > 2*maxOutboxBytes {
		return
	}
	b = b[:0]
	frameBufs.Put(&b)
}
