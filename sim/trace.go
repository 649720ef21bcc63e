package sim

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strconv"

	"github.com/detrans/detrans/ring"
)

// Record tags of the binary trace (the bytes hashed into TraceHash). Part of the trace format:
// changing them changes every hash, which is fine between commits but not within a comparison.
const (
	tagSend      = 's'
	tagDeliver   = 'd'
	tagDrop      = 'x'
	tagDup       = 'u'
	tagTick      = 't'
	tagStart     = 'S'
	tagRestart   = 'R'
	tagCrash     = 'C'
	tagStop      = 'P'
	tagPartition = 'p'
	tagHeal      = 'h'
	tagCall      = 'c'
	tagDo        = 'o'
	tagLink      = 'l'
)

// hashChunk is how many record bytes are collected before they are fed to SHA-256: one Write
// per event would cost more than the hashing itself.
const hashChunk = 16 << 10

// tracer keeps the running hash and the optional text trace. Binary records are built straight
// into buf; text lines only when a writer is set, so an untraced run never formats anything.
type tracer struct {
	h    hash.Hash
	buf  []byte
	w    *bufio.Writer
	line []byte
	err  error
}

func newTracer(w io.Writer) tracer {
	t := tracer{h: sha256.New(), buf: make([]byte, 0, hashChunk+1024)}
	if w != nil {
		t.w = bufio.NewWriterSize(w, 64<<10)
	}
	return t
}

// text reports whether text lines are wanted.
func (t *tracer) text() bool { return t.w != nil && t.err == nil }

func (t *tracer) rec(tag byte, at ring.Time) {
	t.buf = append(t.buf, tag)
	t.u64(uint64(at))
}

func (t *tracer) u64(v uint64) { t.buf = binary.LittleEndian.AppendUint64(t.buf, v) }

func (t *tracer) str(s string) {
	t.buf = binary.LittleEndian.AppendUint32(t.buf, uint32(len(s)))
	t.buf = append(t.buf, s...)
}

func (t *tracer) bytes(b []byte) {
	t.buf = binary.LittleEndian.AppendUint32(t.buf, uint32(len(b)))
	t.buf = append(t.buf, b...)
}

// end closes a binary record.
func (t *tracer) end() {
	if len(t.buf) >= hashChunk {
		t.h.Write(t.buf)
		t.buf = t.buf[:0]
	}
}

// sum returns the hash of every record so far; tracing continues afterwards.
func (t *tracer) sum() [32]byte {
	t.h.Write(t.buf)
	t.buf = t.buf[:0]
	var out [32]byte
	t.h.Sum(out[:0])
	return out
}

// startLine begins a text line with the time and the event name.
func (t *tracer) startLine(at ring.Time, what string) {
	t.line = appendTime(t.line[:0], at)
	t.line = append(t.line, ' ')
	t.line = append(t.line, what...)
}

func (t *tracer) word(s string) {
	t.line = append(t.line, ' ')
	t.line = append(t.line, s...)
}

func (t *tracer) id(id uint64) {
	t.line = append(t.line, " #"...)
	t.line = strconv.AppendUint(t.line, id, 10)
}

func (t *tracer) arrow(src, dst string) {
	t.line = append(t.line, ' ')
	t.line = append(t.line, src...)
	t.line = append(t.line, "->"...)
	t.line = append(t.line, dst...)
}

func (t *tracer) kv(k, v string) {
	t.line = append(t.line, ' ')
	t.line = append(t.line, k...)
	t.line = append(t.line, '=')
	t.line = append(t.line, v...)
}

func (t *tracer) hexPayload(b []byte) {
	t.line = append(t.line, ' ')
	t.line = hex.AppendEncode(t.line, b)
}

func (t *tracer) valuePayload(v any) {
	t.line = append(t.line, ' ')
	t.line = fmt.Appendf(t.line, "%+v", v)
}

func (t *tracer) endLine() {
	t.line = append(t.line, '\n')
	if _, err := t.w.Write(t.line); err != nil {
		t.err = fmt.Errorf("sim trace: %w", err)
	}
}

func (t *tracer) flush() {
	if t.w != nil && t.err == nil {
		if err := t.w.Flush(); err != nil {
			t.err = fmt.Errorf("sim trace: %w", err)
		}
	}
}

// appendTime writes virtual time as seconds with nanosecond digits: "12.005000000".
func appendTime(b []byte, at ring.Time) []byte {
	v := int64(at)
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/1e9, 10)
	b = append(b, '.')
	frac := v % 1e9
	var d [9]byte
	for i := 8; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, d[:]...)
}
