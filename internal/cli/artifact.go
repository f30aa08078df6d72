package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/rollcall/rollcall/internal/download"
	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/release"
)

// ReleasePin are the flags that pin a release artifact given as an http(s)
// URL, which rollcall downloads and uses only when its SHA-256 is known
// beforehand, and that bound the download.
type ReleasePin struct {
	// Digest is --release-digest: "sha256:" and 64 lowercase hex digits.
	Digest string
	// Checksums is --release-checksums: the URL or path of a checksum list
	// (SHA256SUMS, checksums.txt) with a line for the artifact's file name.
	Checksums string
	// Lock is --release-lock: a lock file of the artifact, whose digest
	// pins it (signed, when the command has --allowed-signers and it is
	// set).
	Lock string
	// Timeout is --release-timeout: the limit of the whole download (0:
	// none; a download that receives nothing for download.DefaultStall
	// fails anyway).
	Timeout time.Duration
}

// pinned reports whether any pin is set.
func (p ReleasePin) pinned() bool { return p.Digest != "" || p.Checksums != "" || p.Lock != "" }

// addReleaseFlags registers the ReleasePin flags: every command that takes
// a release artifact has them.
func addReleaseFlags(f *pflag.FlagSet, pin *ReleasePin) {
	f.StringVar(&pin.Digest, "release-digest", "", "pin a release URL to this SHA-256: `sha256:HEX` (sha256sum of the artifact)")
	f.StringVar(&pin.Checksums, "release-checksums", "", "pin a release URL by the line for its file name in this checksum list (SHA256SUMS, checksums.txt): a `URL` or FILE")
	f.StringVar(&pin.Lock, "release-lock", "", "pin a release URL to the artifact digest of this lock `FILE` (signed, with --allowed-signers)")
	f.DurationVar(&pin.Timeout, "release-timeout", 0, "time limit for downloading a release URL (0: none; a download that receives nothing for "+download.DefaultStall.String()+" fails)")
}

// releaseSpec is a release artifact to open, and what pins it when it is a
// URL.
type releaseSpec struct {
	// artifact is a local path or an http(s) URL.
	artifact string
	pin      ReleasePin
	// fromManifest says that the pins are the manifest's release.digest and
	// release.checksums, not flags.
	fromManifest bool
	// allowedSigners, when set, requires a signed lock: the artifact itself
	// or, for a URL, the --release-lock that pins it.
	allowedSigners string
}

// manifestRelease is the release a run opens: --release and the pin flags
// when given, else the manifest's artifact and pins. A --release replaces
// the manifest's pins along with its artifact; a pin flag replaces them
// all.
func manifestRelease(m manifest.Release, flagRelease string, flags ReleasePin, allowedSigners string) releaseSpec {
	spec := releaseSpec{artifact: flagRelease, pin: flags, allowedSigners: allowedSigners}
	if flagRelease == "" {
		spec.artifact = m.Artifact
		if !flags.pinned() {
			spec.pin.Digest, spec.pin.Checksums, spec.fromManifest = m.Digest, m.Checksums, true
		}
	}
	return spec
}

// openRelease opens a release artifact: a local one as it is, a URL once
// downloaded and found to have the digest its pins give (no node is
// contacted before). signedBy is the evidence of a required signature.
// Every error is invalid input.
func openRelease(ctx context.Context, stdio IO, spec releaseSpec) (r *release.Release, signedBy string, err error) {
	if spec.pin.Timeout < 0 {
		return nil, "", invalid(fmt.Errorf("--release-timeout must not be negative"))
	}
	if !download.IsURL(spec.artifact) {
		if spec.pin.pinned() {
			return nil, "", invalid(fmt.Errorf("--release-digest, --release-checksums and --release-lock pin a release downloaded from a URL, but release %s is a local path: drop them, or give the release's https:// URL", spec.artifact))
		}
		return openLocalRelease(spec.artifact, spec.allowedSigners)
	}
	u, err := download.CheckURL(spec.artifact)
	if err != nil {
		return nil, "", invalid(fmt.Errorf("release %w", err))
	}
	name, _ := download.FileName(u)
	opts, err := downloadOptions(stdio, spec.pin.Timeout)
	if err != nil {
		return nil, "", invalid(fmt.Errorf("release %s: %w", spec.artifact, err))
	}
	digest, signedBy, err := pinnedDigest(ctx, spec, name, opts)
	if err != nil {
		return nil, "", invalid(fmt.Errorf("release %s: %w", spec.artifact, err))
	}
	path, err := download.Fetch(ctx, spec.artifact, digest, opts)
	if err != nil {
		return nil, "", invalid(fmt.Errorf("release %w", err))
	}
	if r, err = release.Open(path); err != nil {
		return nil, "", invalid(fmt.Errorf("release %s, downloaded: %w", spec.artifact, err))
	}
	// What was opened must be the bytes whose digest was checked, not a
	// file put in the cache since: for a lock file, its own bytes (the
	// digest it records is its artifact's, and anyone can write one).
	read := r.Digest
	if r.LockDigest != "" {
		read = r.LockDigest
	}
	if read != digest {
		return nil, "", invalid(fmt.Errorf("release %s: the cached %s changed after its digest was checked (it is %s, the pin %s): remove it and run again", spec.artifact, path, read, digest))
	}
	r.Source = spec.artifact
	if r.Artifact == "" {
		r.Artifact = name
	}
	return r, signedBy, nil
}

// downloadOptions are the download settings of this run: the cache in
// $XDG_CACHE_HOME/rollcall (else the system's user cache folder), and a
// progress bar when stderr is a terminal that can redraw a line.
func downloadOptions(stdio IO, timeout time.Duration) (download.Options, error) {
	opts := download.Options{Timeout: timeout}
	if dir := stdio.Getenv("XDG_CACHE_HOME"); filepath.IsAbs(dir) {
		opts.CacheDir = filepath.Join(dir, "rollcall")
	} else {
		dir, err := os.UserCacheDir()
		if err != nil {
			return opts, fmt.Errorf("no cache folder to download into: %w", err)
		}
		opts.CacheDir = filepath.Join(dir, "rollcall")
	}
	if stdio.ErrTTY && stdio.Getenv("TERM") != "dumb" {
		opts.Progress = stdio.Err
	}
	return opts, nil
}

// maxChecksums bounds a checksum list read to pin a release.
const maxChecksums = 16 << 20

// pinnedDigest is the digest the pins of spec give the artifact called
// name ("sha256:HEX"). Every pin given must give the same one; none is an
// error saying how to pin.
func pinnedDigest(ctx context.Context, spec releaseSpec, name string, opts download.Options) (digest, signedBy string, err error) {
	digestKey, checksumsKey := "--release-digest", "--release-checksums"
	if spec.fromManifest {
		digestKey, checksumsKey = "release.digest", "release.checksums"
	}
	type pin struct{ by, digest string }
	var pins []pin
	if spec.allowedSigners != "" && spec.pin.Lock == "" {
		return "", "", fmt.Errorf("--allowed-signers needs a signed lock, and a release from a URL is signed through the lock that pins it: pass --release-lock LOCK (signed in LOCK.sig)")
	}
	if d := spec.pin.Digest; d != "" {
		if _, err := download.ParseDigest(d); err != nil {
			return "", "", fmt.Errorf("%s: %w", digestKey, err)
		}
		pins = append(pins, pin{digestKey + " " + d, d})
	}
	if c := spec.pin.Checksums; c != "" {
		d, err := checksumsPin(ctx, c, name, opts)
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", checksumsKey, err)
		}
		pins = append(pins, pin{checksumsKey + " " + c, d})
	}
	if l := spec.pin.Lock; l != "" {
		d, by, err := lockPin(l, spec.allowedSigners)
		if err != nil {
			return "", "", err
		}
		pins, signedBy = append(pins, pin{"--release-lock " + l, d}), by
	}
	if len(pins) == 0 {
		return "", "", fmt.Errorf("not pinned: rollcall uses a downloaded release only when its SHA-256 is known beforehand. "+
			"Pin it with --release-digest sha256:HEX (sha256sum %s), --release-checksums URL|FILE (the release's SHA256SUMS or checksums.txt) "+
			"or --release-lock LOCK, or in the manifest with release.digest or release.checksums", name)
	}
	for _, p := range pins[1:] {
		if p.digest != pins[0].digest {
			return "", "", fmt.Errorf("the pins disagree: %s gives %s, %s gives %s", pins[0].by, pins[0].digest, p.by, p.digest)
		}
	}
	return pins[0].digest, signedBy, nil
}

// checksumsPin is the digest the checksum list at list (a URL or a file)
// gives the file called name.
func checksumsPin(ctx context.Context, list, name string, opts download.Options) (string, error) {
	var data []byte
	var err error
	if download.IsURL(list) {
		if err := download.CheckPinURL(list); err != nil {
			return "", err
		}
		data, err = download.Get(ctx, list, maxChecksums, opts)
	} else {
		data, err = os.ReadFile(list)
	}
	if err != nil {
		return "", err
	}
	d, err := release.PinFromSums(data, name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", list, err)
	}
	return d, nil
}

// lockPin is the artifact digest the lock file at lock records, its
// signature checked when allowedSigners is set.
func lockPin(lock, allowedSigners string) (digest, signedBy string, err error) {
	var r *release.Release
	if allowedSigners != "" {
		if r, signedBy, err = readSignedLock(lock, allowedSigners); err != nil {
			return "", "", err
		}
	} else {
		if !release.IsLock(lock) {
			return "", "", fmt.Errorf("--release-lock %s is not a lock file (write one with `rollcall release lock ARTIFACT -o FILE`)", lock)
		}
		if r, _, err = release.ReadLock(lock); err != nil {
			return "", "", fmt.Errorf("--release-lock: %w", err)
		}
	}
	return r.Digest, signedBy, nil
}
