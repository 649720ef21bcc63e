package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Tool icons are 24×24 SVGs made of filled paths only: Fyne recolours an icon to the theme by
// replacing fills (strokes would keep their colour and vanish on a dark theme), and outlines are
// drawn as an outer path with an inner path turned the other way (non-zero winding makes the hole).
func icon(name, paths string) fyne.Resource {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">` + paths + `</svg>`
	return theme.NewThemedResource(fyne.NewStaticResource(name+".svg", []byte(svg)))
}

var (
	iconSelect   = icon("select", `<path d="M5 2.5v17.2l4.6-4.3 3.1 6.9 2.9-1.3-3.1-6.8 6.3-.2z"/>`)
	iconPen      = icon("pen", `<path d="M3 17.25V21h3.75L17.81 9.94l-3.75-3.75L3 17.25zM20.71 7.04a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z"/>`)
	iconLine     = icon("line", `<path d="M3.6 18.9L18.9 3.6l1.5 1.5L5.1 20.4z"/>`)
	iconArrow    = icon("arrow", `<path d="M9 4v2.2h7.2L3.5 18.9 5.1 20.5 17.8 7.8V15H20V4z"/>`)
	iconRect     = icon("rect", `<path d="M3 5h18v14H3zM5.2 7.2v9.6h13.6V7.2z"/>`)
	iconEllipse  = icon("ellipse", `<path d="M2.5 12a9.5 7.5 0 1 0 19 0a9.5 7.5 0 1 0-19 0zM4.7 12a7.3 5.3 0 1 1 14.6 0a7.3 5.3 0 1 1-14.6 0z"/>`)
	iconText     = icon("text", `<path d="M4.5 4v3.2h5.7V20h3.6V7.2h5.7V4z"/>`)
	iconHand     = icon("hand", `<path d="M21 7.5V18c0 2.2-1.8 4-4 4h-5.6c-1.1 0-2.1-.4-2.8-1.2L2.5 14.6l1.2-1.1c.4-.4 1-.5 1.5-.2L8 15V5.5a1.25 1.25 0 0 1 2.5 0V11h.8V3.25a1.25 1.25 0 0 1 2.5 0V11h.8V4.25a1.25 1.25 0 0 1 2.5 0V11h.8V7.5a1.25 1.25 0 0 1 2.5 0z"/>`)
	iconFront    = icon("front", `<path d="M9 9h12v12H9z"/><path d="M3 3h12v4.5H7.5V15H3z"/>`)
	iconBack     = icon("back", `<path d="M3 3h12v12H3z"/><path d="M16.5 9H21v12H9v-4.5h7.5z"/>`)
	iconPeople   = icon("people", `<path d="M9 11a3.5 3.5 0 1 0 0-7a3.5 3.5 0 1 0 0 7zM16.5 11a3 3 0 1 0 0-6a3 3 0 1 0 0 6zM9 13c-3.3 0-7 1.6-7 4v2.5h14V17c0-2.4-3.7-4-7-4zM16.5 13c-.4 0-.9 0-1.4.1 1.3.9 2.2 2.2 2.2 3.9v2.5H22V17c0-2.4-3.1-4-5.5-4z"/>`)
	iconLink     = icon("link", `<path d="M10.6 13.4a1 1 0 0 1 0-1.4l3.5-3.5a1 1 0 1 1 1.4 1.4L12 13.4a1 1 0 0 1-1.4 0zM7.8 17.6a2.5 2.5 0 0 1-1.8-.7 2.5 2.5 0 0 1 0-3.5l2.5-2.5-1.4-1.4-2.5 2.5a4.5 4.5 0 0 0 6.4 6.4l2.5-2.5-1.4-1.4-2.5 2.5a2.5 2.5 0 0 1-1.8.6zM19.4 4.6a4.5 4.5 0 0 0-6.4 0l-2.5 2.5 1.4 1.4 2.5-2.5a2.5 2.5 0 0 1 3.5 3.5l-2.5 2.5 1.4 1.4 2.5-2.5a4.5 4.5 0 0 0 .1-6.3z"/>`)
	iconCloudOff = icon("cloud-off", `<path d="M19.35 10.04A7.49 7.49 0 0 0 12 4c-1.48 0-2.85.43-4.01 1.17l1.46 1.46A5.47 5.47 0 0 1 12 6c3.04 0 5.5 2.46 5.5 5.5v.5H19a3 3 0 0 1 3 3c0 1.13-.64 2.11-1.56 2.62l1.45 1.45A4.98 4.98 0 0 0 24 15c0-2.64-2.05-4.78-4.65-4.96zM3 5.27l2.75 2.74C2.56 8.15 0 10.77 0 14c0 3.31 2.69 6 6 6h11.73l2 2L21 20.73 4.27 4 3 5.27zM7.73 10l8 8H6c-2.21 0-4-1.79-4-4s1.79-4 4-4h1.73z"/>`)
)
