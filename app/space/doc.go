// Package space is a DeTrans space as an app sees it: the peer the app embeds (a node.Node with
// its data in the app's storage), which space it belongs to, invite tickets, joining, the people
// of the space, and the node-backed store the app models use (a draw.Store).
//
// A space is a private libp2p network (its secret is the PSK) with its own data directory. On
// first start the app founds a space of its own and works alone and offline; Invite gives a
// ticket (one line of text with a checksum: space id, secret, addresses), and Join switches to
// the ticket's space. Peers on the same LAN find each other by mDNS (the service name is derived
// from the space id, and the PSK keeps other spaces out). After a restart the peer reconnects to
// the peers it last knew, and keeps trying while it is offline.
//
// Invariants: one space open at a time; its secret never leaves the machine except in a ticket
// the user asked for; a damaged or foreign ticket is rejected with a message saying why, and
// changes nothing.
package space
