// Package simtest holds test helpers for scenario tests that run the simulator over many
// seeds. It registers the command-line flags -seed and -seeds on import, which is why it is a
// package of its own: only test binaries import it, never the simulator or the app.
package simtest
