// Package ui is DeTransDraw's desktop interface in Fyne: the drawing canvas and its tools, the
// style palette, the drawings list, the people in the space, the sync status line, menus and
// shortcuts, and the window that assembles them.
//
// The UI renders the app/draw model and edits only through its methods; it never talks to the
// network. Everything it needs from the embedded peer (the store, the people, invites) comes
// through Backend, so the store behind it can change without touching the widgets.
//
// Threading: every widget method runs on Fyne's UI goroutine. Model events from other peers arrive
// on a store goroutine; the canvas queues them and hands them over with fyne.Do. Its own edits are
// drained right after the call that made them, so a local edit repaints in the same frame.
//
// Painting: the canvas keeps a raster of the viewport and repaints only the dirty rectangles that
// model events name (and the strips a pan uncovers). Each shape is rasterised by draw.Render,
// clipped to its own box, so what the canvas shows is what a PNG export writes.
package ui
