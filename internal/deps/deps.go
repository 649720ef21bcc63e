//go:build detrans_deps

// Package deps pins modules the build pulls in before the code that uses them lands.
package deps

import (
	_ "fyne.io/fyne/v2/app"
	_ "github.com/anishathalye/porcupine"
	_ "github.com/ipfs/go-datastore"
	_ "github.com/ipfs/go-ds-pebble"
	_ "github.com/libp2p/go-libp2p"
	_ "github.com/libp2p/go-libp2p-kad-dht"
	_ "github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	_ "github.com/stretchr/testify/require"
	_ "go.uber.org/goleak"
	_ "pgregory.net/rapid"
)
