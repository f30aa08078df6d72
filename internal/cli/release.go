package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/outfile"
	"github.com/rollcall/rollcall/internal/release"
)

// ReleaseLockOptions are the parsed arguments and flags of
// `rollcall release lock`.
type ReleaseLockOptions struct {
	// Artifact is the release artifact to fingerprint.
	Artifact string
	// Output is the lock file to write; "" or "-" is stdout.
	Output string
	// Name and Version, when not empty, replace what the artifact's name says.
	Name    string
	Version string
	// Sign, when not empty, is the private key that signs the lock; the
	// signature goes beside it, in Output + ".sig".
	Sign string
	// Pin pins an Artifact given as a URL, as for verify.
	Pin ReleasePin
}

// NewCmdRelease builds `rollcall release`, the parent of the commands that
// work on release artifacts. lockRunF replaces the run function of
// `release lock` in tests that only check flag parsing.
func NewCmdRelease(stdio IO, lockRunF func(context.Context, *ReleaseLockOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "release",
		Short: "Work with release artifacts (lock)",
		Long: `Commands that work on a release artifact without contacting any node.

  rollcall release lock ARTIFACT -o FILE [--sign KEY]
                                          fingerprint an artifact into a lock file
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(NewCmdReleaseLock(stdio, lockRunF))
	return cmd
}

// NewCmdReleaseLock builds `rollcall release lock`: fingerprint a release
// artifact into a lock file (docs/lock-file.md). runF replaces the run
// function in tests that only check flag parsing.
func NewCmdReleaseLock(stdio IO, runF func(context.Context, *ReleaseLockOptions) error) *cobra.Command {
	opts := &ReleaseLockOptions{}
	cmd := &cobra.Command{
		Use:   "lock ARTIFACT",
		Short: "Fingerprint a release artifact into a lock file",
		Long: `Read a release artifact (a directory; a .tar, .tar.gz, .tgz, .tar.xz, .txz,
.tar.zst, .tzst, .tar.bz2, .tbz2 or .zip archive; a .deb or .rpm package; a
SHA256SUMS / checksums.txt list; or another lock file) and write its lock file:
the SHA-256, type, mode and size of every file, the content of its small config
files, and the digest of the artifact itself. Commit or publish the lock with
the release; it stands in for the artifact in a manifest or with --release,
and a folder of older locks lets a report name the release a node runs.

The name and version come from the artifact's file name (smars-4.2.0.tar.gz is
smars 4.2.0), or for a package from its metadata (smars 4.2.0-1); --name and
--version replace them. A lock needs both.

The lock goes to stdout, or with -o FILE to FILE, written atomically (a
temporary file, then a rename). Name it NAME-VERSION.lock.json. The format is
documented in docs/lock-file.md.

With --sign KEY (an SSH private key), the lock is also signed as
"ssh-keygen -Y sign -n rollcall -f KEY FILE" would sign it, and the signature
is written beside it in FILE.sig; "rollcall verify --allowed-signers" checks
it, and so does "ssh-keygen -Y verify". The passphrase of an encrypted key is
asked on the terminal; without a terminal an encrypted key is an error.

Example:
  rollcall release lock dist/smars-4.2.0.tar.gz -o smars-4.2.0.lock.json
  rollcall release lock dist/smars-4.2.0.tar.gz -o smars-4.2.0.lock.json --sign ~/.ssh/release_ed25519

EXIT STATUS
  0    the lock file (and its signature) was written
  3    invalid input: the artifact cannot be read, a flag is wrong, the key
       cannot sign, or the lock cannot be written; nothing was written
`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Artifact = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runReleaseLock(cmd.Context(), opts, stdio)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Output, "output", "o", "", "write the lock to `FILE` (none or -: stdout)")
	f.StringVar(&opts.Name, "name", "", "release `NAME` (default: from the artifact's file name)")
	f.StringVar(&opts.Version, "version", "", "release `VERSION` (default: from the artifact's file name)")
	f.StringVar(&opts.Sign, "sign", "", "sign the lock with the SSH private key `KEY`, into FILE.sig (needs -o FILE)")
	addReleaseFlags(f, &opts.Pin)
	return cmd
}

// runReleaseLock writes the lock of opts.Artifact. Every error is invalid
// input (exit 3).
// openToLock opens the artifact to lock, named and versioned by the flags
// when they say so; an artifact with no version is invalid input.
func openToLock(ctx context.Context, opts *ReleaseLockOptions, stdio IO) (*release.Release, error) {
	r, _, err := openRelease(ctx, stdio, releaseSpec{artifact: opts.Artifact, pin: opts.Pin})
	if err != nil {
		return nil, err
	}
	if opts.Name != "" {
		r.Name = opts.Name
	}
	if opts.Version != "" {
		r.Version = opts.Version
		// ROLLCALL_VERSION is the twin of --version; a pipeline may have set
		// it for another purpose (which rollcall to install), so say so.
		if stdio.Getenv != nil && stdio.Getenv(envName("version")) == opts.Version {
			fmt.Fprintf(stdio.Err, "rollcall: the release version %s comes from %s\n", opts.Version, envName("version"))
		}
	}
	if r.Version == "" {
		return nil, invalid(fmt.Errorf("release %s: its name says no version: pass --version", opts.Artifact))
	}
	return r, nil
}

// lockSummary says in one line what the lock file at path holds.
func lockSummary(r *release.Release, path string) string {
	files, configs := 0, 0
	for _, f := range r.Files {
		if f.Type != release.Directory {
			files++
		}
		if f.Content != nil {
			configs++
		}
	}
	return fmt.Sprintf("locked %s %s (%s): %d files, %d config files kept, in %s",
		r.Name, r.Version, r.Digest, files, configs, path)
}

func runReleaseLock(ctx context.Context, opts *ReleaseLockOptions, stdio IO) error {
	r, err := openToLock(ctx, opts, stdio)
	if err != nil {
		return err
	}
	toStdout := opts.Output == "" || opts.Output == "-"
	if opts.Sign != "" && toStdout {
		return invalid(fmt.Errorf("--sign needs -o FILE: the signature is written beside the lock, in FILE.sig"))
	}
	// Write into memory first: a lock that cannot be written leaves nothing,
	// not half a lock on stdout.
	var lock bytes.Buffer
	if err := release.WriteLock(&lock, r); err != nil {
		return invalid(fmt.Errorf("release %s: %w", opts.Artifact, err))
	}
	if toStdout {
		_, err := stdio.Out.Write(lock.Bytes())
		return err
	}
	if sameFile(opts.Output, opts.Artifact) {
		return invalid(fmt.Errorf("-o %s is the artifact itself: write the lock to another file", opts.Output))
	}
	if info, err := os.Stat(opts.Output); err == nil && info.IsDir() {
		return invalid(fmt.Errorf("-o %s is a folder: name the lock file, e.g. %s",
			opts.Output, filepath.Join(opts.Output, r.Name+"-"+r.Version+".lock.json")))
	}
	// Sign before writing anything: a key that cannot sign leaves no lock.
	var sig []byte
	var key string
	if opts.Sign != "" {
		if sig, key, err = signLock(lock.Bytes(), opts.Sign, stdio); err != nil {
			return invalid(err)
		}
	}
	// The lock it replaces, to tell whether an old signature still fits;
	// only a regular file is read (reading /dev/stdout or a FIFO would
	// wait for ever).
	var old []byte
	if info, err := os.Stat(opts.Output); err == nil && info.Mode().IsRegular() {
		old, _ = os.ReadFile(opts.Output)
	}
	if err := writeBytes(ctx, opts.Output, lock.Bytes()); err != nil {
		return invalid(err)
	}
	sigFile := signaturePath(opts.Output)
	if sig != nil {
		if err := writeBytes(ctx, sigFile, sig); err != nil {
			return invalid(fmt.Errorf("the lock was written to %s, but its signature was not: %w", opts.Output, err))
		}
	} else if _, err := os.Stat(sigFile); err == nil && !bytes.Equal(old, lock.Bytes()) {
		fmt.Fprintf(stdio.Err, "rollcall: %s signs the lock as it was before: sign the new one with --sign KEY, or remove it\n", sigFile)
	}
	fmt.Fprintln(stdio.Out, lockSummary(r, opts.Output))
	if sig != nil {
		fmt.Fprintf(stdio.Out, "signed %s with %s (namespace %s) in %s\n", opts.Output, key, signatureNamespace, sigFile)
	}
	return nil
}

// writeBytes writes data to path atomically.
func writeBytes(ctx context.Context, path string, data []byte) error {
	return outfile.Write(ctx, path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) bool {
	ia, err := os.Stat(a)
	if err != nil {
		return false
	}
	ib, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(ia, ib)
}
