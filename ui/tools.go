package ui

import (
	"fyne.io/fyne/v2"

	"github.com/detrans/detrans/app/draw"
)

// Tool is what a drag or click on the canvas does.
type Tool int

// The tools, in toolbar order.
const (
	ToolSelect Tool = iota
	ToolPen
	ToolLine
	ToolArrow
	ToolRect
	ToolEllipse
	ToolText
	ToolHand
	numTools
)

type toolInfo struct {
	name string
	key  rune // single-key shortcut while the canvas has focus
	hint string
	kind draw.Kind // the shape it draws; empty for select and hand
	icon fyne.Resource
}

var tools = [numTools]toolInfo{
	ToolSelect:  {"Select", 'v', "click to select, drag to move, drag a handle to resize, drag on empty paper to select an area", "", iconSelect},
	ToolPen:     {"Pen", 'p', "drag to draw freehand", draw.KindStroke, iconPen},
	ToolLine:    {"Line", 'l', "drag to draw a line (Shift: 45° steps)", draw.KindLine, iconLine},
	ToolArrow:   {"Arrow", 'a', "drag to draw an arrow (Shift: 45° steps)", draw.KindArrow, iconArrow},
	ToolRect:    {"Rectangle", 'r', "drag to draw a rectangle (Shift: square)", draw.KindRect, iconRect},
	ToolEllipse: {"Ellipse", 'e', "drag to draw an ellipse (Shift: circle)", draw.KindEllipse, iconEllipse},
	ToolText:    {"Text", 't', "click to write text, click a text to edit it", draw.KindText, iconText},
	ToolHand:    {"Hand", 'h', "drag to pan (also: Space+drag, middle button, wheel)", "", iconHand},
}

// String is the tool's name.
func (t Tool) String() string {
	if t < 0 || t >= numTools {
		return "?"
	}
	return tools[t].name
}

// Hint is the tool's one-line help with its key, for the status line.
func (t Tool) Hint() string {
	if t < 0 || t >= numTools {
		return ""
	}
	return tools[t].name + " (" + string(tools[t].key-'a'+'A') + "): " + tools[t].hint
}

// toolForKey maps a typed rune to a tool.
func toolForKey(r rune) (Tool, bool) {
	if r >= 'A' && r <= 'Z' {
		r += 'a' - 'A'
	}
	for t := range numTools {
		if tools[t].key == r {
			return t, true
		}
	}
	return 0, false
}

// drawsShapes reports whether the tool makes new shapes.
func (t Tool) drawsShapes() bool { return t >= 0 && t < numTools && tools[t].kind != "" }
