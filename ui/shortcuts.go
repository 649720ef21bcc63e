package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// ctrl is the platform's shortcut modifier (Ctrl; Cmd on macOS).
const ctrl = fyne.KeyModifierShortcutDefault

func key(k fyne.KeyName, mods fyne.KeyModifier) *desktop.CustomShortcut {
	return &desktop.CustomShortcut{KeyName: k, Modifier: mods}
}

// onCanvas runs a canvas command for a menu item or shortcut, unless a text field has the keyboard:
// then the shortcut is the field's (Ctrl+Z in the rename box undoes typing, not the drawing).
func (a *App) onCanvas(sc fyne.Shortcut, fn func()) func() {
	return func() {
		if f := a.win.Canvas().Focused(); f != nil && f != fyne.Focusable(a.canvas) {
			if s, ok := f.(fyne.Shortcutable); ok && sc != nil {
				s.TypedShortcut(sc)
				return
			}
		}
		fn()
	}
}

// mainMenu is the window's menu bar; its items' shortcuts work from anywhere in the window.
func (a *App) mainMenu() *fyne.MainMenu {
	c := a.canvas
	item := func(label string, sc fyne.Shortcut, fn func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, fn)
		it.Shortcut = sc
		return it
	}
	undo := &fyne.ShortcutUndo{}
	redo := key(fyne.KeyZ, ctrl|fyne.KeyModifierShift)
	selAll := &fyne.ShortcutSelectAll{}
	quit := item("Quit", key(fyne.KeyQ, ctrl), a.fa.Quit)
	quit.IsQuit = true
	file := fyne.NewMenu("File",
		item("New drawing…", key(fyne.KeyN, ctrl), a.newDrawing),
		item("Rename drawing…", key(fyne.KeyF2, 0), a.renameDrawing),
		fyne.NewMenuItemSeparator(),
		item("Open file as new drawing…", key(fyne.KeyO, ctrl), a.openFile),
		item("Import file into this drawing…", key(fyne.KeyI, ctrl), a.importFile),
		item("Save a copy as file…", key(fyne.KeyS, ctrl), a.saveFile),
		fyne.NewMenuItemSeparator(),
		item("Export PNG…", key(fyne.KeyE, ctrl), a.exportPNG),
		item("Export SVG…", key(fyne.KeyE, ctrl|fyne.KeyModifierShift), a.exportSVG),
		fyne.NewMenuItemSeparator(),
		quit,
	)
	edit := fyne.NewMenu("Edit",
		item("Undo", undo, a.onCanvas(undo, c.Undo)),
		item("Redo", redo, a.onCanvas(redo, c.Redo)),
		fyne.NewMenuItemSeparator(),
		item("Duplicate", key(fyne.KeyD, ctrl), a.onCanvas(nil, c.Duplicate)),
		item("Delete", nil, a.onCanvas(nil, c.DeleteSelection)),
		item("Select all", selAll, a.onCanvas(selAll, c.SelectAll)),
		fyne.NewMenuItemSeparator(),
		item("Bring to front", key(fyne.KeyRightBracket, ctrl), a.onCanvas(nil, c.BringToFront)),
		item("Send to back", key(fyne.KeyLeftBracket, ctrl), a.onCanvas(nil, c.SendToBack)),
	)
	toolItems := make([]*fyne.MenuItem, 0, numTools)
	for t := range numTools {
		toolItems = append(toolItems, fyne.NewMenuItem(t.String()+"\t"+string(tools[t].key-'a'+'A'), func() { c.SetTool(t); c.focus() }))
	}
	toolsMenu := fyne.NewMenuItem("Tools", nil)
	toolsMenu.ChildMenu = fyne.NewMenu("", toolItems...)
	view := fyne.NewMenu("View",
		item("Zoom in", key(fyne.KeyEqual, ctrl), c.ZoomIn),
		item("Zoom out", key(fyne.KeyMinus, ctrl), c.ZoomOut),
		item("Actual size", key(fyne.Key0, ctrl), c.ZoomReset),
		item("Fit drawing", key(fyne.Key1, ctrl), c.Fit),
		fyne.NewMenuItemSeparator(),
		toolsMenu,
	)
	space := fyne.NewMenu("Space",
		fyne.NewMenuItem("Invite people…", a.showInvite),
		fyne.NewMenuItem("Join a space…", a.showJoin),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Notices…", a.showNotices),
	)
	help := fyne.NewMenu("Help",
		fyne.NewMenuItem("Keyboard shortcuts", a.showShortcuts),
		fyne.NewMenuItem("About DeTransDraw", a.showAbout),
	)
	return fyne.NewMainMenu(file, edit, view, space, help)
}

// addShortcuts registers the shortcuts that have no menu item of their own.
func (a *App) addShortcuts() {
	c := a.canvas
	cv := a.win.Canvas()
	cv.AddShortcut(&fyne.ShortcutRedo{}, func(fyne.Shortcut) { a.onCanvas(&fyne.ShortcutRedo{}, c.Redo)() })
	cv.AddShortcut(key(fyne.KeyPlus, ctrl), func(fyne.Shortcut) { c.ZoomIn() })
	cv.AddShortcut(key(fyne.KeyEqual, ctrl|fyne.KeyModifierShift), func(fyne.Shortcut) { c.ZoomIn() })
}

// shortcutHelp is the keyboard reference the Help menu shows.
const shortcutHelp = `Tools (with the canvas focused)
  V select · P pen · L line · A arrow · R rectangle · E ellipse · T text · H hand

Editing
  Ctrl+Z undo · Ctrl+Shift+Z or Ctrl+Y redo
  Delete / Backspace delete the selection · Ctrl+D duplicate · Ctrl+A select all
  Arrow keys nudge the selection (Shift: 10 units) · Enter edit the selected text
  Ctrl+] bring to front · Ctrl+[ send to back · Escape cancel / deselect
  Shift while drawing: squares, circles, 45° lines · Shift+click: add to the selection

View
  Wheel pan · Shift+wheel pan sideways · Ctrl+wheel zoom at the pointer
  Space+drag, middle-drag or the hand tool pan
  + / - zoom · 0 actual size · 1 fit (also with Ctrl)

Files
  Ctrl+N new drawing · F2 rename · Ctrl+O open file · Ctrl+I import · Ctrl+S save a copy
  Ctrl+E export PNG · Ctrl+Shift+E export SVG`
