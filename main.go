// DeTransDraw is the desktop app: a shared drawing board over an embedded DeTrans peer.
//
//	go run .            (DETRANS_DEMO=1 fills it with a small scene)
package main

import (
	_ "embed"
	"fmt"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/detrans/detrans/ui"
)

//go:embed Icon.png
var iconPNG []byte

func main() {
	a := app.NewWithID("org.detrans.draw")
	a.SetIcon(fyne.NewStaticResource("Icon.png", iconPNG))
	a.Settings().SetTheme(ui.NewTheme())

	be, err := openBackend(a)
	if err != nil {
		fmt.Fprintln(os.Stderr, "DeTransDraw:", err)
		os.Exit(1)
	}
	w, err := ui.New(a, be)
	if err != nil {
		_ = be.Close()
		fmt.Fprintln(os.Stderr, "DeTransDraw:", err)
		os.Exit(1)
	}
	w.Start()
	if os.Getenv("DETRANS_DEMO") == "1" {
		w.Demo()
	}
	w.Window().SetMaster()
	w.Window().ShowAndRun()

	// Quit: stop the UI's work first, then the peer (pending edits stay in its outbox).
	w.Close()
	if err := be.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "DeTransDraw: shutting down:", err)
		os.Exit(1)
	}
}

// openBackend is the one place that chooses the peer the app embeds; its data belongs in the
// app's storage (a.Storage().RootURI()).
//
// TEMPORARY until the node-backed store with its durable outbox lands (issue 5): an in-memory
// space on this device only, synced every 150 ms. Replace the body with the node started on
// dataDir, wrapped as a ui.Backend.
func openBackend(a fyne.App) (ui.Backend, error) {
	dataDir := a.Storage().RootURI().Path()
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	be := ui.NewMemBackend(ui.AuthorName(a.Preferences()))
	be.Run(150 * time.Millisecond)
	return be, nil
}
