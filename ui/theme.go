package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// appTheme is Fyne's default theme with DeTransDraw's indigo accent and a calmer chrome, so the
// white paper of the canvas stands out from the panels around it. It follows the system's light
// or dark variant.
type appTheme struct{ fyne.Theme }

// NewTheme returns the app's theme.
func NewTheme() fyne.Theme { return &appTheme{theme.DefaultTheme()} }

var (
	indigo      = color.NRGBA{R: 0x4f, G: 0x46, B: 0xe5, A: 0xff}
	indigoLight = color.NRGBA{R: 0x8b, G: 0x86, B: 0xf5, A: 0xff}
)

func (t *appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	dark := v == theme.VariantDark
	primary := indigo
	if dark {
		primary = indigoLight
	}
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameHyperlink:
		return primary
	case theme.ColorNameFocus:
		return color.NRGBA{R: primary.R, G: primary.G, B: primary.B, A: 0x60}
	case theme.ColorNameSelection:
		return color.NRGBA{R: primary.R, G: primary.G, B: primary.B, A: 0x40}
	}
	if !dark {
		switch n {
		case theme.ColorNameBackground:
			return color.NRGBA{R: 0xf4, G: 0xf5, B: 0xf7, A: 0xff}
		case theme.ColorNameHeaderBackground, theme.ColorNameMenuBackground, theme.ColorNameOverlayBackground:
			return color.NRGBA{R: 0xfd, G: 0xfd, B: 0xfe, A: 0xff}
		case theme.ColorNameInputBackground:
			return color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
		case theme.ColorNameButton:
			return color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
		case theme.ColorNameSeparator:
			return color.NRGBA{R: 0xdf, G: 0xe2, B: 0xe7, A: 0xff}
		case theme.ColorNameHover:
			return color.NRGBA{R: 0x1e, G: 0x1e, B: 0x3c, A: 0x12}
		case theme.ColorNameForeground:
			return color.NRGBA{R: 0x22, G: 0x25, B: 0x2b, A: 0xff}
		case theme.ColorNameSuccess: // Fyne's bright green is hard to read on white
			return color.NRGBA{R: 0x2b, G: 0x8a, B: 0x3e, A: 0xff}
		case theme.ColorNameWarning:
			return color.NRGBA{R: 0xd9, G: 0x77, B: 0x06, A: 0xff}
		}
	}
	return t.Theme.Color(n, v)
}

func (t *appTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameInputRadius, theme.SizeNameSelectionRadius, theme.SizeNameButtonRadius:
		return 6
	}
	return t.Theme.Size(n)
}
