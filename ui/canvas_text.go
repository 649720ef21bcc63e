package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/detrans/detrans/app/draw"
)

// textEntry is the in-place editor for text shapes: Escape, Ctrl+Enter or a click elsewhere
// finishes (an empty text adds nothing, or deletes the text being edited); Enter starts a new line.
type textEntry struct {
	widget.Entry
	done func()
}

func newTextEntry(done func()) *textEntry {
	e := &textEntry{done: done}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapOff
	e.TextStyle = fyne.TextStyle{Monospace: true} // the face text shapes are drawn in
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey finishes on Escape and passes everything else to the entry.
func (e *textEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape {
		e.done()
		return
	}
	e.Entry.TypedKey(ev)
}

// TypedShortcut finishes on Ctrl+Enter.
func (e *textEntry) TypedShortcut(s fyne.Shortcut) {
	if cs, ok := s.(*desktop.CustomShortcut); ok && (cs.KeyName == fyne.KeyReturn || cs.KeyName == fyne.KeyEnter) {
		e.done()
		return
	}
	e.Entry.TypedShortcut(s)
}

// FocusLost finishes too: clicking anywhere else ends the edit.
func (e *textEntry) FocusLost() {
	e.Entry.FocusLost()
	e.done()
}

// textEdit is the text being written or edited.
type textEdit struct {
	at      draw.Point
	editing *draw.Shape // nil: a new text
	size    float64
	colour  draw.Color
}

// startText opens the editor at p, on shape s if it is not nil.
func (c *Canvas) startText(p draw.Point, s *draw.Shape) {
	c.commitText()
	if c.d == nil || c.ov.entry == nil {
		return
	}
	te := &textEdit{at: p, size: c.style.textSize(), colour: c.style.Stroke}
	text := ""
	if s != nil {
		cp := s.Clone()
		te.editing, te.size, te.colour, text = &cp, s.FontSize, s.Stroke, s.Text
		c.d.Select(s.ID)
		c.drain()
	}
	c.editingText = te
	c.ov.entry.SetText(text)
	lines := strings.Split(text, "\n")
	c.ov.entry.CursorRow = len(lines) - 1 // carry on writing at the end
	c.ov.entry.CursorColumn = len([]rune(lines[len(lines)-1]))
	c.placeText()
	c.ov.entry.Show()
	if cv := fyne.CurrentApp().Driver().CanvasForObject(c); cv != nil {
		cv.Focus(c.ov.entry)
	}
}

// editTextAt opens the text shape under pos for editing; false if there is none.
func (c *Canvas) editTextAt(pos fyne.Position) bool {
	if c.d == nil {
		return false
	}
	id, ok := c.d.At(c.ToDrawing(pos), pickTol/c.zoom)
	if !ok {
		return false
	}
	s, ok := c.d.Shape(id)
	if !ok || s.Kind != draw.KindText {
		return false
	}
	c.startText(s.Points[0], &s)
	return true
}

// placeText puts the editor over the text's place, sized for its content.
func (c *Canvas) placeText() {
	te := c.editingText
	if te == nil {
		return
	}
	e := c.ov.entry
	lines := strings.Split(e.Text, "\n")
	longest := ""
	for _, l := range lines {
		if len(l) > len(longest) {
			longest = l
		}
	}
	w := fyne.MeasureText(longest+"MM", e.Theme().Size("text"), e.TextStyle).Width + 24
	e.SetMinRowsVisible(max(1, len(lines)))
	h := e.MinSize().Height
	pos := c.ToCanvas(te.at)
	e.Move(fyne.NewPos(pos.X-8, pos.Y-8))
	e.Resize(fyne.NewSize(max(w, 200), h))
}

// commitText finishes the text being edited, if any, and reports whether there was one.
func (c *Canvas) commitText() bool {
	te := c.editingText
	if te == nil {
		return false
	}
	c.editingText = nil
	e := c.ov.entry
	text := strings.TrimRight(e.Text, "\n")
	e.Hide()
	if c.d == nil {
		return true
	}
	ctx := context.Background()
	switch {
	case te.editing != nil && strings.TrimSpace(text) == "":
		c.fail(c.d.Delete(ctx, []draw.ShapeID{te.editing.ID}))
	case te.editing != nil && text != te.editing.Text:
		c.fail(c.d.SetText(ctx, te.editing.ID, text))
	case te.editing == nil && strings.TrimSpace(text) != "":
		s := draw.Shape{Kind: draw.KindText, Points: []draw.Point{te.at}, Text: text, FontSize: te.size, Stroke: te.colour}
		_, err := c.d.Add(ctx, s)
		c.fail(err)
	}
	c.drain()
	c.focus()
	return true
}
