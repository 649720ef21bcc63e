// Command genicon writes DeTransDraw's Icon.png (the icon FyneApp.toml names) from ui.Logo, so
// the app icon and the logo in the window are drawn by the same code.
//
//	go run ./internal/genicon [-size 512] [-o Icon.png]
package main

import (
	"flag"
	"fmt"
	"image/png"
	"os"

	"github.com/detrans/detrans/ui"
)

func main() {
	size := flag.Int("size", 512, "icon side in pixels")
	out := flag.String("o", "Icon.png", "output file")
	flag.Parse()
	if err := write(*out, *size); err != nil {
		fmt.Fprintln(os.Stderr, "genicon:", err)
		os.Exit(1)
	}
}

func write(path string, size int) error {
	if size < 16 || size > 4096 {
		return fmt.Errorf("size %d: want 16 to 4096", size)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := png.Encode(f, ui.Logo(size)); err != nil {
		f.Close()
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
