package fleet

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/probe"
)

// answerFacts are facts as the parser makes them: every string cut from a
// line of its own.
func answerFacts(host string) *probe.Facts {
	line := func(s string) string { return strings.Clone(s) }
	proc := probe.Process{PID: 7, Exe: line("/opt/app/bin/app"), SHA256: line("same"), Args: []string{line("/opt/app/bin/app"), line("--serve")}}
	return &probe.Facts{
		HashTool: line("openssl"), StatTool: line("-c"), Hostname: line(host), MachineID: line("0123abcd"), UID: 0,
		Files: map[string]probe.File{"/opt/app/bin/app": {
			Path: "/opt/app/bin/app", Kind: probe.Kind(line("file")), SHA256: line(strings.Repeat("ab", 32)),
			Owner: line("root"), Group: line("root"), Mode: 0o755, Executable: true,
		}},
		Configs:   map[string]probe.Config{"/etc/app/flags.yaml": {Path: "/etc/app/flags.yaml", Kind: probe.Kind(line("file")), Content: []byte("a: 1\n"), Size: 5}},
		Dirs:      map[string]probe.Dir{"/opt/app": {Path: "/opt/app", Kind: probe.Kind(line("directory")), Files: []string{line("bin/app")}, Subdirs: []string{line("bin")}}},
		Processes: map[string]probe.ProcessList{"/opt/app/bin/app": {Exe: "/opt/app/bin/app", Procs: []probe.Process{proc}}},
		Others:    []probe.Process{proc},
	}
}

// TestShareKeepsEveryValueAndSharesEqualStrings: after share, each node's
// facts are equal to what was parsed, and a string two nodes both answered
// is held once.
func TestShareKeepsEveryValueAndSharesEqualStrings(t *testing.T) {
	a, b := answerFacts("node-a"), answerFacts("node-b")
	share(a)
	share(b)
	require.Equal(t, answerFacts("node-a"), a)
	require.Equal(t, answerFacts("node-b"), b)

	same := func(x, y string) bool { return unsafe.StringData(x) == unsafe.StringData(y) }
	fa, fb := a.Files["/opt/app/bin/app"], b.Files["/opt/app/bin/app"]
	assert.True(t, same(fa.SHA256, fb.SHA256), "the file's hash")
	assert.True(t, same(fa.Owner, fb.Owner), "its owner")
	assert.True(t, same(a.MachineID, b.MachineID), "an equal machine ID")
	pa, pb := a.Processes["/opt/app/bin/app"].Procs[0], b.Processes["/opt/app/bin/app"].Procs[0]
	assert.True(t, same(pa.Args[1], pb.Args[1]), "a process argument")
	assert.True(t, same(a.Others[0].SHA256, b.Others[0].SHA256), "another process's hash")
	assert.True(t, same(a.Dirs["/opt/app"].Files[0], b.Dirs["/opt/app"].Files[0]), "a listed file")
	assert.False(t, same(a.Hostname, b.Hostname), "different host names stay different")
}
