package sim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/detrans/detrans/ring"
)

// A scenario script is a small text format for the common fault schedules, one action per line:
//
//	# comment; blank lines are ignored
//	at 0s    start n0
//	at 1s    start n1..n99 via n0 spaced 100ms   # n1 at 1s, n2 at 1.1s, ...
//	at 60s   partition n0..n49 | n50..n99        # groups separated by |
//	at 90s   heal
//	at 100s  crash n5 n6
//	at 110s  restart n5 via n0
//	at 120s  stop n7
//	at 130s  link n1 n2 latency=20ms jitter=5ms loss=0.1 dup=0.01 reorder=0.1 reorder-delay=30ms
//	at 130s  link n2 n1 down                     # directed; "both" after the pair sets both
//	at 140s  link n3 n4 both flap=1s/300ms lognormal max=200ms
//	at 150s  link * * latency=5ms                # the default link
//	at 160s  unlink n1 n2 both                   # back to the default link
//
// Times are Go durations from virtual time 0. Names a..b expand numbered ranges (n1..n99,
// n001..n100 keeps the width). Parsing errors name the line; errors of actions at run time
// (crashing a node that is not running, say) are collected in ScriptErr.

// Action is one parsed line of a scenario script.
type Action struct {
	Line     int
	At       time.Duration
	Verb     string     // start, restart, crash, stop, partition, heal, link, unlink
	Nodes    []string   // start/restart/crash/stop; link/unlink: the pair
	Groups   [][]string // partition
	Contacts []string   // start/restart: via
	Spaced   time.Duration
	Link     Link // link: the model, starting from the current one of that link
	LinkSet  []string
	Both     bool
}

// ParseScript reads a scenario script.
func ParseScript(r io.Reader) ([]Action, error) {
	var out []Action
	sc := bufio.NewScanner(r)
	for ln := 1; sc.Scan(); ln++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		a, err := parseAction(f)
		if err != nil {
			return nil, fmt.Errorf("scenario line %d: %w", ln, err)
		}
		a.Line = ln
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return out, nil
}

func parseAction(f []string) (Action, error) {
	var a Action
	if len(f) < 3 || f[0] != "at" {
		return a, errors.New(`want "at <duration> <verb> ..."`)
	}
	at, err := time.ParseDuration(f[1])
	if err != nil || at < 0 {
		return a, fmt.Errorf("time %q: want a non-negative duration like 10s", f[1])
	}
	a.At, a.Verb = at, f[2]
	args := f[3:]
	switch a.Verb {
	case "heal":
		if len(args) > 0 {
			return a, errors.New("heal takes no arguments")
		}
	case "start", "restart", "crash", "stop":
		return parseLifecycle(a, args)
	case "partition":
		g := []string{}
		for _, w := range append(args, "|") {
			if w != "|" {
				names, err := expand(w)
				if err != nil {
					return a, err
				}
				g = append(g, names...)
				continue
			}
			if len(g) == 0 {
				return a, errors.New("partition: empty group")
			}
			a.Groups, g = append(a.Groups, g), []string{}
		}
	case "link", "unlink":
		if len(args) < 2 {
			return a, fmt.Errorf("%s: want a node pair", a.Verb)
		}
		a.Nodes = args[:2]
		if (a.Nodes[0] == "*") != (a.Nodes[1] == "*") {
			return a, errors.New(`link: "*" must be used for both ends (the default link)`)
		}
		a.LinkSet = args[2:]
		if len(a.LinkSet) > 0 && a.LinkSet[0] == "both" {
			a.Both, a.LinkSet = true, a.LinkSet[1:]
		}
		if a.Verb == "unlink" {
			if len(a.LinkSet) > 0 || a.Nodes[0] == "*" {
				return a, errors.New(`unlink takes a node pair and optionally "both"`)
			}
			return a, nil
		}
		if _, err := applyLink(DefaultLink(), a.LinkSet); err != nil {
			return a, err
		}
	default:
		return a, fmt.Errorf("unknown action %q", a.Verb)
	}
	return a, nil
}

func parseLifecycle(a Action, args []string) (Action, error) {
	target := &a.Nodes
	for i := 0; i < len(args); i++ {
		switch w := args[i]; w {
		case "via":
			if a.Verb != "start" && a.Verb != "restart" {
				return a, fmt.Errorf("%s: via is only for start and restart", a.Verb)
			}
			target = &a.Contacts
		case "spaced":
			if i+1 == len(args) {
				return a, errors.New("spaced: want a duration")
			}
			d, err := time.ParseDuration(args[i+1])
			if err != nil || d < 0 {
				return a, fmt.Errorf("spaced %q: want a non-negative duration", args[i+1])
			}
			a.Spaced = d
			i++
		default:
			names, err := expand(w)
			if err != nil {
				return a, err
			}
			*target = append(*target, names...)
		}
	}
	if len(a.Nodes) == 0 {
		return a, fmt.Errorf("%s: no node named", a.Verb)
	}
	return a, nil
}

// expand turns "n3..n7" into n3 n4 n5 n6 n7; any other word is one name.
func expand(w string) ([]string, error) {
	lo, hi, ok := strings.Cut(w, "..")
	if !ok {
		return []string{w}, nil
	}
	p1, n1, w1 := splitNum(lo)
	p2, n2, _ := splitNum(hi)
	if p1 != p2 || w1 == 0 || n2 < n1 || hi == p2 {
		return nil, fmt.Errorf("range %q: want prefixN..prefixM with N <= M", w)
	}
	if n2-n1 >= 1<<20 {
		return nil, fmt.Errorf("range %q: too many nodes", w)
	}
	var out []string
	pad := strings.HasPrefix(lo[len(p1):], "0") && w1 > 1
	for i := n1; i <= n2; i++ {
		s := strconv.Itoa(i)
		if pad {
			s = strings.Repeat("0", max(0, w1-len(s))) + s
		}
		out = append(out, p1+s)
	}
	return out, nil
}

// splitNum splits "node042" into ("node", 42, 3 digits).
func splitNum(s string) (string, int, int) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == len(s) || len(s)-i > 9 {
		return s, 0, 0
	}
	n, _ := strconv.Atoi(s[i:])
	return s[:i], n, len(s) - i
}

// applyLink applies key=value settings to l.
func applyLink(l Link, set []string) (Link, error) {
	for _, kv := range set {
		k, v, hasV := strings.Cut(kv, "=")
		dur := func() (time.Duration, error) {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return 0, fmt.Errorf("link %s=%q: want a non-negative duration", k, v)
			}
			return d, nil
		}
		prob := func() (float64, error) {
			p, err := strconv.ParseFloat(v, 64)
			if err != nil || p < 0 || p > 1 {
				return 0, fmt.Errorf("link %s=%q: want a probability 0..1", k, v)
			}
			return p, nil
		}
		var err error
		switch {
		case k == "down" && !hasV:
			l.Down = true
		case k == "up" && !hasV:
			l.Down = false
		case k == "uniform" && !hasV:
			l.Dist = Uniform
		case k == "lognormal" && !hasV:
			l.Dist = LogNormal
		case k == "latency" && hasV:
			l.Latency, err = dur()
		case k == "jitter" && hasV:
			l.Jitter, err = dur()
		case k == "max" && hasV:
			l.MaxDelay, err = dur()
		case k == "reorder-delay" && hasV:
			l.ReorderDelay, err = dur()
		case k == "loss" && hasV:
			l.Loss, err = prob()
		case k == "dup" && hasV:
			l.Dup, err = prob()
		case k == "reorder" && hasV:
			l.Reorder, err = prob()
		case k == "flap" && hasV:
			p, d, ok := strings.Cut(v, "/")
			if !ok {
				return l, fmt.Errorf("link flap=%q: want period/down, e.g. 1s/300ms", v)
			}
			if l.FlapPeriod, err = time.ParseDuration(p); err == nil {
				l.FlapDown, err = time.ParseDuration(d)
			}
			if err != nil {
				return l, fmt.Errorf("link flap=%q: %w", v, err)
			}
		default:
			return l, fmt.Errorf("link setting %q: unknown", kv)
		}
		if err != nil {
			return l, err
		}
	}
	if err := l.Validate(); err != nil {
		return l, err
	}
	return l, nil
}

// Script parses a scenario script and schedules its actions. Run-time failures of actions are
// collected in ScriptErr.
func (s *Sim[M]) Script(r io.Reader) error {
	acts, err := ParseScript(r)
	if err != nil {
		return err
	}
	for _, a := range acts {
		s.ScheduleAction(a)
	}
	return nil
}

// ScriptErr is every run-time error of scheduled script actions so far, joined.
func (s *Sim[M]) ScriptErr() error { return errors.Join(s.scriptErrs...) }

// ScheduleAction schedules one parsed action at its time.
func (s *Sim[M]) ScheduleAction(a Action) {
	fail := func(err error) {
		if err != nil {
			s.scriptErrs = append(s.scriptErrs, fmt.Errorf("scenario line %d (%s at %v): %w", a.Line, a.Verb, a.At, err))
		}
	}
	at := ring.Time(a.At)
	switch a.Verb {
	case "start", "restart", "crash", "stop":
		for i, n := range a.Nodes {
			s.At(at.Add(time.Duration(i)*a.Spaced), func() {
				switch a.Verb {
				case "start":
					fail(s.Start(n, a.Contacts...))
				case "restart":
					fail(s.Restart(n, a.Contacts...))
				case "crash":
					fail(s.Crash(n))
				case "stop":
					fail(s.Stop(n))
				}
			})
		}
	case "partition":
		s.At(at, func() { s.Partition(a.Groups...) })
	case "heal":
		s.At(at, s.Heal)
	case "link":
		s.At(at, func() {
			src, dst := a.Nodes[0], a.Nodes[1]
			if src == "*" {
				l, err := applyLink(s.def, a.LinkSet)
				if err == nil {
					err = s.SetDefaultLink(l)
				}
				fail(err)
				return
			}
			l, err := applyLink(s.LinkOf(src, dst), a.LinkSet)
			if err == nil {
				err = s.SetLink(src, dst, l)
			}
			if err == nil && a.Both {
				err = s.SetLink(dst, src, l)
			}
			fail(err)
		})
	case "unlink":
		s.At(at, func() {
			s.ClearLink(a.Nodes[0], a.Nodes[1])
			if a.Both {
				s.ClearLink(a.Nodes[1], a.Nodes[0])
			}
		})
	default:
		fail(fmt.Errorf("unknown action %q", a.Verb))
	}
}
