// DeTransDraw is the desktop app: a shared drawing board over an embedded DeTrans peer.
//
//	go run .            (DETRANS_DEMO=1 fills it with a small scene)
package main

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
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

// openBackend is the one place that chooses the peer the app embeds: the node of the current
// space, its data in the app's storage (see envOptions for the overrides).
func openBackend(a fyne.App) (ui.Backend, error) {
	o, err := envOptions(a.Storage().RootURI().Path())
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Root, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", o.Root, err)
	}
	level := slog.LevelWarn
	if os.Getenv("DETRANS_DEBUG") == "1" {
		level = slog.LevelDebug
	}
	o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return startSpaceBackend(ctx, o)
}
