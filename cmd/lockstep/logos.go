package main

import (
	"fmt"
	"io"
	"os"

	"github.com/lockstep-id/lockstep/branding"
)

// readLogoFile reads a logo for --logo: one byte over the limit at most, so
// that the admin service refuses an oversized file as such without reading
// all of it. The type comes from the content, not the file's name.
func readLogoFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--logo: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, branding.MaxLogoSize+1))
	if err != nil {
		return nil, fmt.Errorf("--logo: %w", err)
	}
	return b, nil
}
