//go:build !cgo || !linux

package rsasign

import "errors"

var errNoCgo = errors.New("built without cgo")

func loadLibcrypto() (string, error) { return "", errNoCgo }

// nativeKey is never made without cgo; New signs in Go.
type nativeKey struct{}

func newNativeKey([]byte, int) (*nativeKey, error)   { return nil, errNoCgo }
func (*nativeKey) signSHA256([]byte) ([]byte, error) { return nil, errNoCgo }
func (*nativeKey) free()                             {}
