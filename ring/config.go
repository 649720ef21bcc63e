package ring

import "time"

// Config holds the ring protocol parameters. Zero fields take the DefaultConfig value.
type Config struct {
	TickInterval    time.Duration // how often a periodic driver calls Tick (drivers may instead honour Output.Wake)
	SuccListLen     int           // successor list length (default 8)
	PredListLen     int           // predecessor list length (default 4)
	FingerBase      int           // k of the k-ary finger table (default 2: Chord fingers)
	StabilizePeriod time.Duration // heartbeat + stabilisation with the successor (default 1 s)
	FingerPeriod    time.Duration // one finger-table refresh round (default 10 s)
	MinTimeout      time.Duration // lower bound of the adaptive failure-detector timeout (default 200 ms)
	MaxTimeout      time.Duration // upper bound (default 3 s)
	SuspectAfter    int           // missed probes before a node is suspected (default 2)
	SuspectPeriod   time.Duration // how long a node stays suspected before removal (default 1 s)
	LookupTimeout   time.Duration // per lookup (default 5 s)
	JoinTimeout     time.Duration // a join attempt without answer is retried after this (default 3 s)
	LeaveTimeout    time.Duration // graceful leave gives up waiting for acks after this (default 2 s)
	PassiveLen      int           // bound of the passive list (default 64)
	MaxHops         int           // routed messages are dropped beyond this many hops (default 512)
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		TickInterval:    100 * time.Millisecond,
		SuccListLen:     8,
		PredListLen:     4,
		FingerBase:      2,
		StabilizePeriod: time.Second,
		FingerPeriod:    10 * time.Second,
		MinTimeout:      200 * time.Millisecond,
		MaxTimeout:      3 * time.Second,
		SuspectAfter:    2,
		SuspectPeriod:   time.Second,
		LookupTimeout:   5 * time.Second,
		JoinTimeout:     3 * time.Second,
		LeaveTimeout:    2 * time.Second,
		PassiveLen:      64,
		MaxHops:         512,
	}
}

// WithDefaults returns c with every zero field replaced by its default.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	setD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setI := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setD(&c.TickInterval, d.TickInterval)
	setI(&c.SuccListLen, d.SuccListLen)
	setI(&c.PredListLen, d.PredListLen)
	if c.FingerBase < 2 {
		c.FingerBase = d.FingerBase
	}
	setD(&c.StabilizePeriod, d.StabilizePeriod)
	setD(&c.FingerPeriod, d.FingerPeriod)
	setD(&c.MinTimeout, d.MinTimeout)
	setD(&c.MaxTimeout, d.MaxTimeout)
	setI(&c.SuspectAfter, d.SuspectAfter)
	setD(&c.SuspectPeriod, d.SuspectPeriod)
	setD(&c.LookupTimeout, d.LookupTimeout)
	setD(&c.JoinTimeout, d.JoinTimeout)
	setD(&c.LeaveTimeout, d.LeaveTimeout)
	setI(&c.PassiveLen, d.PassiveLen)
	setI(&c.MaxHops, d.MaxHops)
	if c.MaxTimeout < c.MinTimeout {
		c.MaxTimeout = c.MinTimeout
	}
	return c
}
