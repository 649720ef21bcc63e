package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// toolbar is the row above the canvas: tools, then the style palette (colours, widths, fills),
// then undo, redo and delete.
type toolbar struct {
	c        *Canvas
	tools    [numTools]*chip
	swatches []*chip
	widths   []*chip
	fills    []*chip
	undo     *chip
	redo     *chip
	del      *chip
	obj      fyne.CanvasObject
}

func newToolbar(c *Canvas, hint func(string)) *toolbar {
	tb := &toolbar{c: c}
	var row []fyne.CanvasObject
	for t := range numTools {
		tb.tools[t] = iconChip(tools[t].icon, t.Hint(), func() { c.SetTool(t); c.focus() }, hint)
		row = append(row, tb.tools[t])
	}
	row = append(row, vsep())
	for _, sw := range swatches {
		dot := canvas.NewCircle(nrgba(sw.c))
		dot.StrokeColor = withAlpha(theme.Color(theme.ColorNameForeground), 0x50) // the ink swatch on a dark theme
		dot.StrokeWidth = 1
		content := container.NewGridWrap(fyne.NewSquareSize(18), dot)
		col := sw.c
		ch := newChip(content, sw.name+" (applies to the selection too)", func() {
			st := c.Style()
			st.Stroke = col
			c.SetStyle(st)
			c.focus()
		}, hint)
		ch.side = 30
		tb.swatches = append(tb.swatches, ch)
		row = append(row, ch)
	}
	row = append(row, vsep())
	names := []string{"Thin", "Medium", "Bold"}
	for i, w := range widths {
		line := canvas.NewRectangle(theme.Color(theme.ColorNameForeground))
		line.CornerRadius = float32(w) / 2
		h := float32(w) * 0.75
		content := container.NewGridWrap(fyne.NewSize(18, max(h, 2)), line)
		ch := newChip(content, names[i]+" lines and text", func() {
			st := c.Style()
			st.Width = w
			c.SetStyle(st)
			c.focus()
		}, hint)
		ch.side = 30
		tb.widths = append(tb.widths, ch)
		row = append(row, ch)
	}
	row = append(row, vsep())
	fillNames := []string{"No fill", "Light fill", "Solid fill"}
	for i := range fillNames {
		mode := FillMode(i)
		sq := canvas.NewRectangle(color.Transparent)
		sq.StrokeColor = theme.Color(theme.ColorNameForeground)
		sq.StrokeWidth = 1.5
		sq.CornerRadius = 3
		switch mode {
		case FillTint:
			sq.FillColor = withAlpha(theme.Color(theme.ColorNameForeground), 0x40)
		case FillSolid:
			sq.FillColor = theme.Color(theme.ColorNameForeground)
		}
		content := container.NewGridWrap(fyne.NewSquareSize(16), sq)
		ch := newChip(content, fillNames[i]+" for rectangles, ellipses and text", func() {
			st := c.Style()
			st.Fill = mode
			c.SetStyle(st)
			c.focus()
		}, hint)
		ch.side = 30
		tb.fills = append(tb.fills, ch)
		row = append(row, ch)
	}
	row = append(row, layout.NewSpacer())
	tb.undo = iconChip(theme.ContentUndoIcon(), "Undo your last edit (Ctrl+Z)", func() { c.Undo(); c.focus() }, hint)
	tb.redo = iconChip(theme.ContentRedoIcon(), "Redo (Ctrl+Shift+Z)", func() { c.Redo(); c.focus() }, hint)
	tb.del = iconChip(theme.DeleteIcon(), "Delete the selection (Delete)", func() { c.DeleteSelection(); c.focus() }, hint)
	row = append(row, tb.undo, tb.redo, tb.del)

	bar := container.New(layout.NewCustomPaddedHBoxLayout(2), row...)
	tb.obj = container.NewBorder(nil, widget.NewSeparator(), nil, nil, container.NewStack(
		canvas.NewRectangle(theme.Color(theme.ColorNameHeaderBackground)),
		container.New(layout.NewCustomPaddedLayout(5, 5, 10, 10), bar),
	))
	tb.setTool(c.Tool())
	tb.setStyle(c.Style())
	return tb
}

// vsep is a short vertical divider between toolbar groups.
func vsep() fyne.CanvasObject {
	line := canvas.NewRectangle(theme.Color(theme.ColorNameSeparator))
	return container.New(layout.NewCustomPaddedLayout(6, 6, 6, 6), container.NewGridWrap(fyne.NewSize(1, 22), line))
}

func (tb *toolbar) setTool(t Tool) {
	for i, ch := range tb.tools {
		ch.setSelected(Tool(i) == t)
	}
}

func (tb *toolbar) setStyle(st Style) {
	for i, ch := range tb.swatches {
		ch.setSelected(swatches[i].c == st.Stroke)
	}
	for i, ch := range tb.widths {
		ch.setSelected(widths[i] == st.Width)
	}
	for i, ch := range tb.fills {
		ch.setSelected(FillMode(i) == st.Fill)
	}
}

// update enables undo, redo and delete when they would do something.
func (tb *toolbar) update() {
	d := tb.c.Drawing()
	tb.undo.setDisabled(d == nil || !d.CanUndo())
	tb.redo.setDisabled(d == nil || !d.CanRedo())
	tb.del.setDisabled(d == nil || len(d.Selected()) == 0)
}
