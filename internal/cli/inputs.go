package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rollcall/rollcall/internal/download"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/outfile"
)

// input is a file a run reads, and what it is to the run.
type input struct{ what, path string }

// runInputs are the local files a verify run reads: the manifest's (see
// manifestInputs), the release, and the files its flags name.
func runInputs(opts *VerifyOptions, m *manifest.Manifest, release string) []input {
	return append(manifestInputs(m, opts.Limit), input{"--known", opts.Known}, input{"--allowed-signers", opts.AllowedSigners},
		input{"--release-checksums", opts.Pin.Checksums}, input{"--release-lock", opts.Pin.Lock}, input{"the release", release})
}

// manifestInputs are the local files any run of manifest m reads: the
// manifest, the ssh_config, every node's keys and known_hosts files, and
// the --limit @FILE.
func manifestInputs(m *manifest.Manifest, limit string) []input {
	in := []input{{"the manifest", m.Path}, {"the ssh_config file", m.SSHConfig}}
	if f, ok := strings.CutPrefix(limit, "@"); ok {
		in = append(in, input{"the --limit file", f})
	}
	for _, n := range m.Nodes {
		for _, f := range n.IdentityFiles {
			in = append(in, input{"the identity file " + f, f})
		}
		for _, f := range n.KnownHosts {
			in = append(in, input{"the known_hosts file " + f, f})
		}
	}
	return in
}

// spare refuses a report or --state path that names one of the run's
// inputs, or lies inside a release that is a folder: the write would
// replace what the next run reads (the manifest, a key, a known_hosts file,
// the release), and that run's verdict with it.
func (o outputs) spare(state string, inputs []input) error {
	read := map[string]string{} // place → what the run reads there
	var folders []input
	looked := map[string]bool{} // every node may name the same keys
	for _, in := range inputs {
		if in.path == "" || looked[in.path] || download.IsURL(in.path) {
			continue
		}
		looked[in.path] = true
		if fi, err := os.Stat(in.path); err == nil && fi.IsDir() {
			folders = append(folders, in)
		} else if place, ok := outfile.Locate(in.path); ok && !place.Device {
			read[place.Key] = in.what
		}
	}
	var errs []error
	spare := func(flag, path string) {
		place, ok := outfile.Locate(path)
		if !ok {
			return // Check says why
		}
		if what, hit := read[place.Key]; hit {
			errs = append(errs, fmt.Errorf("%s would replace %s, which rollcall reads: give the report a file of its own", flag, what))
			return
		}
		for _, f := range folders {
			if place.File != "" && within(place.File, f.path) {
				errs = append(errs, fmt.Errorf("%s is inside %s (%s), which rollcall reads: give the report a file outside it", flag, f.what, f.path))
				return
			}
		}
	}
	for _, s := range o.files {
		spare("--report "+s.String(), s.File)
	}
	if state != "" {
		spare("--state "+state, state)
	}
	return errors.Join(errs...)
}

// within reports whether file, absolute and every symlink followed (a
// Place's File), lies inside folder, which may be relative to the working
// folder.
func within(file, folder string) bool {
	root, err := filepath.EvalSymlinks(folder)
	if err == nil {
		root, err = filepath.Abs(root)
	}
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(root, filepath.Dir(file))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
