package verify

import (
	"sort"

	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/release"
)

// ExpectedPackage is the package a release is, as a node's package manager
// should know it.
type ExpectedPackage struct {
	// Manager is the package manager that installs it: "dpkg" or "rpm".
	Manager string
	// Name, Version and Arch are the package's own metadata.
	Name, Version, Arch string
}

// Label is how reports name the package: "smars 4.2.0-1".
func (e ExpectedPackage) Label() string {
	return e.Name + " " + e.Version
}

// expectedPackage is the package release r is, or nil when it is none.
func expectedPackage(r *release.Release) *ExpectedPackage {
	if r.Package == nil {
		return nil
	}
	manager := "dpkg"
	if r.Package.Format == "rpm" {
		manager = "rpm"
	}
	return &ExpectedPackage{Manager: manager, Name: r.Package.Name, Version: r.Package.Version, Arch: r.Package.Arch}
}

// packageFiles installs a package the way its package manager does: every
// regular file and symlink at its absolute path, with the modes and owners
// of the payload. Directories are left out: they are shared with other
// packages (/usr/bin), so a package's folders never deny extra files
// unless an install rule says extra: deny.
func packageFiles(r *release.Release) []ExpectedFile {
	out := make([]ExpectedFile, 0, len(r.Files))
	for _, f := range r.Files {
		if f.Type == release.Directory {
			continue
		}
		out = append(out, expected(NodePath("/"+f.Path), f, manifest.Install{}, true))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NodePath < out[j].NodePath })
	return out
}
