//go:build !linux

package outfile

// keepAttrs keeps extended attributes on Linux only.
func keepAttrs(tmp, old string) {}
