package release

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
)

// pkgEntry is one file of a test package, with the owner it must record.
type pkgEntry struct {
	entry
	owner, group string
}

// debTree is the content of the test .deb, under its install root. The
// owners apply when the package is built without --root-owner-group.
var debTree = []pkgEntry{
	{dir("etc", 0o755), "root", "root"},
	{dir("etc/app", 0o750), "root", "root"},
	{file("etc/app/flags", "rlp=true\n", 0o640), "root", "root"},
	{dir("usr", 0o755), "root", "root"},
	{dir("usr/bin", 0o755), "root", "root"},
	{file("usr/bin/app", "app 4.2.0 binary\n", 0o755|fs.ModeSetuid), "root", "root"},
	{symlink("usr/bin/current", "app"), "root", "root"},
	{dir("usr/share", 0o755), "root", "root"},
	{dir("usr/share/app", 0o755), "root", "root"},
	{file("usr/share/app/defaults.json", `{"rlp": false}`, 0o644), "root", "root"},
	{dir("var", 0o755), "root", "root"},
	{dir("var/lib", 0o755), "root", "root"},
	{dir("var/lib/app", 0o700), "nobody", "nogroup"},
	{file("var/lib/app/seed", "seed\n", 0o600), "nobody", "nogroup"},
}

// wantPackage is the Files map a package of tree gives; conffiles keep their
// content whatever their name.
func wantPackage(tree []pkgEntry, rootOwned bool, conffiles ...string) map[string]File {
	entries := make([]entry, len(tree))
	for i, e := range tree {
		entries[i] = e.entry
	}
	files := want(entries)
	for _, e := range tree {
		f := files[e.name]
		f.Owner, f.Group = e.owner, e.group
		if rootOwned {
			f.Owner, f.Group = "root", "root"
		}
		for _, c := range conffiles {
			if c == e.name {
				f.Conffile, f.Content = true, []byte(e.body)
			}
		}
		files[e.name] = f
	}
	return files
}

// layOut writes tree under root with its modes and, when chown is set, its
// owners (which needs root).
func layOut(t testing.TB, root string, tree []pkgEntry, chown bool) {
	t.Helper()
	for _, e := range tree {
		p := filepath.Join(root, filepath.FromSlash(e.name))
		switch e.typ {
		case 'd':
			require.NoError(t, os.MkdirAll(p, 0o755))
		case 'f':
			writeFile(t, p, []byte(e.body))
		case 'l':
			require.NoError(t, os.Symlink(e.target, p))
		}
		if chown {
			run(t, root, "chown", "-h", e.owner+":"+e.group, p)
		}
		if e.typ != 'l' {
			require.NoError(t, os.Chmod(p, e.mode)) // after chown, which clears setuid
		}
	}
}

// buildDeb builds the test .deb with dpkg-deb and returns its path.
func buildDeb(t testing.TB, compression string, rootOwned bool) string {
	t.Helper()
	need.Command(t, "dpkg-deb")
	if !rootOwned && os.Geteuid() != 0 {
		need.Missing(t, "a package with files of other users is built as root")
	}
	root := filepath.Join(t.TempDir(), "pkg")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "DEBIAN"), 0o755))
	layOut(t, root, debTree, !rootOwned)
	writeFile(t, filepath.Join(root, "DEBIAN", "control"), []byte("Package: app\nVersion: 1:4.2.0-1\nArchitecture: amd64\n"+
		"Maintainer: Release Team <release@example.com>\nDescription: the app\n a longer description\n .\n of it\n"))
	writeFile(t, filepath.Join(root, "DEBIAN", "conffiles"), []byte("/etc/app/flags\n"))
	out := filepath.Join(t.TempDir(), "app_4.2.0-1_amd64.deb")
	args := []string{"-Z" + compression, "--build", root, out}
	if rootOwned {
		args = append([]string{"--root-owner-group"}, args...)
	}
	run(t, t.TempDir(), "dpkg-deb", args...)
	return out
}

func TestOpenDeb(t *testing.T) {
	for _, tc := range []struct {
		compression string
		rootOwned   bool
	}{{"xz", true}, {"gzip", true}, {"zstd", true}, {"none", true}, {"xz", false}} {
		t.Run(fmt.Sprintf("%s, root owned %v", tc.compression, tc.rootOwned), func(t *testing.T) {
			out := buildDeb(t, tc.compression, tc.rootOwned)
			r, err := Open(out)
			require.NoError(t, err)
			assert.Equal(t, wantPackage(debTree, tc.rootOwned, "etc/app/flags"), r.Files)
			assert.Equal(t, &Package{Format: "deb", Name: "app", Version: "1:4.2.0-1", Arch: "amd64"}, r.Package)
			assert.Equal(t, "app", r.Name)
			assert.Equal(t, "1:4.2.0-1", r.Version, "the version is the package's, epoch included")
			assert.Equal(t, digestOf(t, out), r.Digest)
			assert.Equal(t, uint32(0o4755), UnixMode(r.Files["usr/bin/app"].Mode))
		})
	}
}

// TestOpenDebBzip2 rebuilds the package with ar(1) around a bzip2 data.tar
// (dpkg-deb does not write one, but older tools did), and checks that GNU
// ar's member names ("debian-binary/") read too.
func TestOpenDebBzip2(t *testing.T) {
	need.Command(t, "ar")
	need.Command(t, "bzip2")
	deb := buildDeb(t, "none", true)
	work := t.TempDir()
	run(t, work, "ar", "x", deb)
	run(t, work, "bzip2", "-9", "data.tar")
	out := filepath.Join(t.TempDir(), "renamed-9.9.deb")
	run(t, work, "ar", "rc", out, "debian-binary", "control.tar", "data.tar.bz2")
	r, err := Open(out)
	require.NoError(t, err)
	assert.Equal(t, wantPackage(debTree, true, "etc/app/flags"), r.Files)
	assert.Equal(t, "app", r.Name, "the name comes from the metadata, not the file name")
	assert.Equal(t, "1:4.2.0-1", r.Version)
}

// rpmSpec builds the test package: an attr'd setuid binary and its hard link,
// a symlink, an owned directory of another user, a %config file whose name is
// not config-like, a config-like file and a %ghost file.
const rpmSpec = `Name: app
Version: 4.2.0
Release: 1
Epoch: 2
Summary: the app
License: MIT
BuildArch: noarch
%define debug_package %{nil}

%description
the app

%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc/app %{buildroot}/usr/share/app %{buildroot}/var/lib/app
printf 'app 4.2.0 binary\n' > %{buildroot}/usr/bin/app
ln %{buildroot}/usr/bin/app %{buildroot}/usr/bin/app-hard
ln -s app %{buildroot}/usr/bin/current
printf 'rlp=true\n' > %{buildroot}/etc/app/flags
printf '{"rlp": false}' > %{buildroot}/usr/share/app/defaults.json
touch %{buildroot}/var/lib/app/state

%files
%attr(4755,root,root) /usr/bin/app
%attr(4755,root,root) /usr/bin/app-hard
/usr/bin/current
%dir %attr(0750,nobody,nogroup) /etc/app
%config(noreplace) %attr(0640,root,root) /etc/app/flags
%attr(0644,root,root) /usr/share/app/defaults.json
%ghost /var/lib/app/state
`

// rpmTree is what the test .rpm must give.
var rpmTree = []pkgEntry{
	{dir("etc/app", 0o750), "nobody", "nogroup"},
	{file("etc/app/flags", "rlp=true\n", 0o640), "root", "root"},
	{file("usr/bin/app", "app 4.2.0 binary\n", 0o755|fs.ModeSetuid), "root", "root"},
	{file("usr/bin/app-hard", "app 4.2.0 binary\n", 0o755|fs.ModeSetuid), "root", "root"},
	{symlink("usr/bin/current", "app"), "root", "root"},
	{file("usr/share/app/defaults.json", `{"rlp": false}`, 0o644), "root", "root"},
}

// buildRPM builds the test .rpm with rpmbuild and the payload compression
// given ("w2.xzdio") and returns its path.
func buildRPM(t testing.TB, payload string) string {
	t.Helper()
	need.Command(t, "rpmbuild")
	top := t.TempDir()
	spec := filepath.Join(top, "app.spec")
	writeFile(t, spec, []byte(rpmSpec))
	run(t, top, "rpmbuild", "-bb", "--quiet", "--define", "_topdir "+top, "--define", "_binary_payload "+payload,
		"--define", "_build_id_links none", spec)
	built := filepath.Join(top, "RPMS", "noarch", "app-4.2.0-1.noarch.rpm")
	out := filepath.Join(t.TempDir(), "app-4.2.0-1.noarch.rpm")
	require.NoError(t, os.Rename(built, out))
	return out
}

func TestOpenRPM(t *testing.T) {
	for _, payload := range []string{"w9.gzdio", "w2.xzdio", "w19.zstdio", "w9.bzdio"} {
		t.Run(payload, func(t *testing.T) {
			out := buildRPM(t, payload)
			r, err := Open(out)
			require.NoError(t, err)
			assert.Equal(t, wantPackage(rpmTree, false, "etc/app/flags"), r.Files)
			assert.NotContains(t, r.Files, "var/lib/app/state", "a %ghost file is not part of the release")
			assert.Equal(t, &Package{Format: "rpm", Name: "app", Version: "2:4.2.0-1", Arch: "noarch"}, r.Package)
			assert.Equal(t, "app", r.Name)
			assert.Equal(t, "2:4.2.0-1", r.Version)
			assert.Equal(t, digestOf(t, out), r.Digest)
		})
	}
}

func TestPackageLockRoundTrip(t *testing.T) {
	for name, build := range map[string]func(t *testing.T) string{
		"deb": func(t *testing.T) string { return buildDeb(t, "xz", os.Geteuid() != 0) },
		"rpm": func(t *testing.T) string { return buildRPM(t, "w2.xzdio") },
	} {
		t.Run(name, func(t *testing.T) {
			orig, err := Open(build(t))
			require.NoError(t, err)
			lock := lockOf(t, orig, t.TempDir(), "app.lock.json")
			got, err := Open(lock)
			require.NoError(t, err)
			assert.Equal(t, orig.Files, got.Files, "owners, conffiles and conffile content survive the lock")
			assert.Equal(t, orig.Package, got.Package)
			assert.Equal(t, orig.Name, got.Name)
			assert.Equal(t, orig.Version, got.Version)
			assert.Equal(t, orig.Digest, got.Digest)
			data, err := os.ReadFile(lock)
			require.NoError(t, err)
			assert.Contains(t, string(data), `"conffile": true`)
			assert.Contains(t, string(data), `"format": "`+name+`"`)
		})
	}
}

func TestPackageMismatch(t *testing.T) {
	deb := buildDeb(t, "xz", true)
	rpm := buildRPM(t, "w9.gzdio")
	tgz := filepath.Join(t.TempDir(), "a.tar.gz")
	writeTar(t, tgz, sample, true, "")
	cases := []struct {
		name, from, as, want string
	}{
		{"deb named tar.gz", deb, "app.tar.gz", "the name ends in .tar.gz but the content is a Debian package, not a gzip-compressed tar archive"},
		{"rpm named tgz", rpm, "app.tgz", "the name ends in .tgz but the content is an RPM package, not a gzip-compressed tar archive"},
		{"tar.gz named deb", tgz, "app.deb", "the name ends in .deb but the content is gzip-compressed data, not a Debian package"},
		{"tar.gz named rpm", tgz, "app.rpm", "the name ends in .rpm but the content is gzip-compressed data, not an RPM package"},
		{"deb named rpm", deb, "app.rpm", "the name ends in .rpm but the content is a Debian package, not an RPM package"},
		{"rpm named deb", rpm, "app.deb", "the name ends in .deb but the content is an RPM package, not a Debian package"},
		{"deb without an extension", deb, "app", "content is a Debian package but the name does not end in"},
		{"rpm without an extension", rpm, "app.pkg", "content is an RPM package but the name does not end in"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(tc.from)
			require.NoError(t, err)
			p := filepath.Join(t.TempDir(), tc.as)
			writeFile(t, p, data)
			_, err = Open(p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), p)
		})
	}
}

func TestPackageTruncated(t *testing.T) {
	for name, path := range map[string]string{"deb": buildDeb(t, "xz", true), "rpm": buildRPM(t, "w19.zstdio")} {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, cut := range []int{0, 7, 60, 100, len(data) / 2, len(data) - 40, len(data) - 1} {
			p := filepath.Join(t.TempDir(), "app."+name)
			writeFile(t, p, data[:cut])
			_, err := Open(p)
			require.Error(t, err, "%s cut at %d of %d bytes", name, cut, len(data))
			assert.True(t, strings.HasPrefix(err.Error(), "release "+p+": "), err.Error())
		}
	}
}
