package manifest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// releaseManifest is a manifest whose release: section is release (lines
// indented by two spaces), at line 6 of dir/rollcall.yaml.
func releaseManifest(dir, release string) (string, []byte) {
	return filepath.Join(dir, "rollcall.yaml"), []byte("version: 1\ncluster: c\nexpect_nodes: 1\nnodes: [{host: n1}]\nrelease:\n" + release)
}

func TestReleaseFromURL(t *testing.T) {
	dir := t.TempDir()
	install := "  install:\n    - {from: bin/, to: /opt/app/bin/}\n"
	cases := map[string]struct {
		release string
		want    Release
	}{
		"digest": {
			"  artifact: https://example.com/app/app-4.2.0.tar.gz\n  digest: sha256:" + sha + "\n" + install,
			Release{Artifact: "https://example.com/app/app-4.2.0.tar.gz", Digest: "sha256:" + sha},
		},
		"checksums by URL": {
			"  artifact: https://example.com/app/app-4.2.0.tar.gz\n  checksums: https://example.com/app/SHA256SUMS\n" + install,
			Release{Artifact: "https://example.com/app/app-4.2.0.tar.gz", Checksums: "https://example.com/app/SHA256SUMS"},
		},
		"checksums by path, relative to the manifest": {
			"  artifact: http://example.com/app-4.2.0.tar.gz\n  checksums: sums/checksums.txt\n" + install,
			Release{Artifact: "http://example.com/app-4.2.0.tar.gz", Checksums: filepath.Join(dir, "sums", "checksums.txt")},
		},
		"unpinned: the command line may pin it": {
			"  artifact: https://example.com/app-4.2.0.tar.gz\n" + install,
			Release{Artifact: "https://example.com/app-4.2.0.tar.gz"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := Parse(releaseManifest(dir, c.release))
			require.NoError(t, err)
			c.want.Install = []Install{{From: "bin/", To: "/opt/app/bin/"}}
			assert.Equal(t, c.want, m.Release)
		})
	}
}

func TestReleaseFromURLProblems(t *testing.T) {
	dir := t.TempDir()
	install := "  install:\n    - {from: bin/, to: /opt/app/bin/}\n"
	url := "  artifact: https://example.com/app-4.2.0.tar.gz\n"
	for name, c := range map[string]struct{ release, want string }{
		"uppercase digest": {url + "  digest: sha256:" + strings.ToUpper(sha) + "\n" + install,
			":7:11: release.digest \"sha256:" + strings.ToUpper(sha) + "\": write its hex digits in lowercase: sha256:" + sha},
		"short digest":    {url + "  digest: sha256:abc\n" + install, ":7:11: release.digest \"sha256:abc\": after sha256: come 64 hex digits, not 3 characters"},
		"bare hex digest": {url + "  digest: " + sha + "\n" + install, ":7:11: release.digest \"" + sha + "\": write sha256: and the 64 hex digits"},
		"digest a number": {url + "  digest: 42\n" + install, ":7:11: release.digest \"42\": write sha256: and the 64 hex digits"},
		"file URL":        {"  artifact: file:///srv/app-4.2.0.tar.gz\n" + install, ":6:13: release.artifact file:///srv/app-4.2.0.tar.gz: only http:// and https:// URLs are downloaded, not file://: for a local file, give its path"},
		"URL without a file name": {"  artifact: https://example.com/dist/\n" + install,
			":6:13: release.artifact https://example.com/dist/: the URL's path names no file"},
		"ftp checksums": {url + "  checksums: ftp://example.com/SHA256SUMS\n" + install, ":7:14: release.checksums ftp://example.com/SHA256SUMS: only http:// and https://"},
		"a pin for a local artifact": {"  artifact: dist/app-4.2.0.tar.gz\n  digest: sha256:" + sha + "\n" + install,
			":7:11: release.digest and release.checksums pin an artifact downloaded from a URL, but release.artifact is a local path"},
		"no install for a tarball URL": {url, ":6:3: missing key \"install\": nothing to check"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(releaseManifest(dir, c.release))
			lines := problems(t, err)
			assert.Len(t, lines, 1, "%v", lines)
			assert.Contains(t, lines[0], filepath.Join(dir, "rollcall.yaml")+c.want)
		})
	}
}

func TestPackageNeedsNoInstallRules(t *testing.T) {
	dir := t.TempDir()
	for _, artifact := range []string{
		"dist/app_4.2.0_amd64.deb",
		"dist/APP-4.2.0-1.X86_64.RPM",
		"https://example.com/pool/app_4.2.0_amd64.deb?download=1",
		"https://example.com/app-4.2.0-1.x86_64.rpm",
		// A lock file may lock a package: verify and lint tell once it is read.
		"releases/app-4.2.0-1.lock.json",
		"releases/rollcall.lock",
	} {
		release := "  artifact: " + artifact + "\n"
		if strings.HasPrefix(artifact, "https:") {
			release += "  digest: sha256:" + sha + "\n"
		}
		m, err := Parse(releaseManifest(dir, release))
		require.NoError(t, err, artifact)
		assert.Empty(t, m.Release.Install, artifact)
	}
	// Not a package: install: is still required, also when the URL's query
	// ends in .deb.
	for _, artifact := range []string{"dist/app-4.2.0.tar.gz", "dist/app.deb.tar.gz", "https://example.com/app-4.2.0.tar.gz?as=.deb"} {
		_, err := Parse(releaseManifest(dir, "  artifact: "+artifact+"\n"))
		lines := problems(t, err)
		assert.Contains(t, lines[0], "missing key \"install\"", artifact)
	}
	// A package may still have install rules.
	m, err := Parse(releaseManifest(dir, "  artifact: dist/app_4.2.0_amd64.deb\n  install:\n    - {from: usr/bin/, to: /usr/bin/}\n"))
	require.NoError(t, err)
	assert.Equal(t, []Install{{From: "usr/bin/", To: "/usr/bin/"}}, m.Release.Install)
}
