// Package draw is the DeTransDraw document model: shapes, the drawings list, edits as optimistic
// intents with their merge rules, undo/redo, export (SVG, PNG) and the JSON file format. It knows
// nothing of Fyne; the UI renders and edits through Drawing's methods and follows Subscribe.
//
// # Storage
//
// Each shape has its own key (draw/doc/<drawing>/shape/<author>/<n>, see record.go); the shape list
// is a prefix scan, never a list key. The only other key an edit writes is the editor's own counter
// in that drawing, which nobody else writes. So edits of different shapes never touch a common key
// and never conflict. Drawings are listed the same way: one key per drawing.
//
// # Merge rules (applied by the Rebaser when an intent conflicts; ops.go, op.apply)
//
// An edit is queued as an op that says what the user meant (add this shape; set these properties,
// which looked like this; delete this shape, which looked like this), and the writes are derived
// again from fresh state on conflict, by the same code that applied it locally.
//
//  1. Different shapes: never conflict (different keys).
//  2. Same shape, different properties: both survive. Properties are geometry (points), stroke
//     colour, width, fill, z, text and font size; a move and a recolour of one shape both apply.
//  3. Same shape, same property: the last edit to commit wins, and its author gets a notice naming
//     the property and whose change it replaced.
//  4. Delete vs edit: delete wins, in both orders. An edit that commits after the delete is dropped
//     and its author is told who deleted the shape; a delete that commits after an edit still
//     deletes, and the deleter is told whose change went with it (their Undo brings the shape back).
//     Why: an edit must not resurrect a shape someone deliberately removed (an offline peer's stale
//     edit would bring back shapes nobody wants); the deleter, who saw the shape last, decides.
//  5. Delete vs delete: the first wins; the second is dropped silently (the shape is gone, as both
//     wanted), and its author's undo will not bring back a shape someone else deleted.
//  6. Tombstones: a delete leaves {deleter, number} under the shape's key so late edits can say who
//     deleted it. Each deleter keeps at most MaxTombstones per drawing: a delete beyond that has the
//     deleter purge its own oldest tombstones in the same transaction. Only the deleter purges its
//     tombstones, so purges never race. A purged key is simply absent, which an edit also reads as
//     "deleted", so purging never lets an edit resurrect a shape. Bound: MaxTombstones per peer
//     that ever deleted in the drawing.
//  7. Ids never repeat: an author's counter key only grows and is also raised from the largest id
//     seen, so a new shape never lands on an old key (an add that finds its key taken is dropped
//     with a notice rather than overwriting).
//  8. Z-order ties (two users adding at once get the same z) break by id, the same on every peer.
//
// # Undo
//
// Undo and redo cover only this user's own actions in this open drawing (not others' edits, not
// the selection). Undoing writes a new inverse edit; nothing is rewritten. Undo never overwrites
// someone else's later work: it restores only the properties still as I left them (others are
// skipped, with a notice), does not remove a shape I added if someone else changed it since, and
// does not bring back a shape someone else deleted. The same guard is re-checked when the undo
// commits, so a change racing with the undo is also respected. A new action clears the redo history.
//
// # Concurrency and cost
//
// A Drawing is safe for concurrent use: the UI goroutine edits and queries while store callbacks
// apply remote changes. Open reads the drawing once (Scan); afterwards each local edit or remote
// change costs O(log n) to find the shape plus moving a slice tail to keep z-order, never a rescan.
package draw
