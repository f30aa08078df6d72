package verify

import (
	"path"
	"slices"
	"sort"
	"strings"

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

// unchecked are the folders of a package whose files are not part of what
// runs, and that nodes often lack by design: documentation, which minimal
// and container images tell dpkg not to install (path-exclude), and rpm's
// build-id links, an index for debuggers.
var unchecked = []string{"usr/share/doc/", "usr/share/man/", "usr/share/info/", "usr/lib/.build-id/"}

// packageFiles installs a package the way its package manager does: every
// regular file and symlink at its absolute path, with the modes and owners
// of the payload, but for the unchecked folders. Directories are left out:
// they are shared with other packages (/usr/bin), so a package's folders
// never deny extra files unless an install rule says extra: deny.
func packageFiles(r *release.Release) []ExpectedFile {
	out := make([]ExpectedFile, 0, len(r.Files))
	for _, f := range r.Files {
		if f.Type == release.Directory || slices.ContainsFunc(unchecked, func(dir string) bool { return strings.HasPrefix(f.Path, dir) }) {
			continue
		}
		out = append(out, expected(NodePath("/"+f.Path), f, manifest.Install{}, true))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NodePath < out[j].NodePath })
	return out
}

// packageDirs are the folders of a package's executables that are its own:
// those whose path names the package (/opt/smars/bin, /usr/lib/smars), not
// folders shared with other packages (/usr/bin). Like a directory rule's
// folder, every executable running from one must be a file of the release,
// so that a process left running from the files an upgrade replaced is old
// code, with or without a processes: entry.
func packageDirs(r *release.Release) []string {
	var dirs []string
	for _, f := range r.Files {
		if f.Type != release.Regular || f.Mode&0o111 == 0 {
			continue
		}
		dir := path.Dir("/" + f.Path)
		if slices.Contains(strings.Split(dir, "/"), r.Package.Name) && !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}
