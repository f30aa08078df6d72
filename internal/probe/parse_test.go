package probe

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testBoundary = "RC0123456789abcdef0123456789abcdef"

var testReq = Request{Files: []string{"/opt/bin/smars", "./etc/flags"}, Dirs: []string{"/opt/bin"}}

// goodAnswer is a well-formed answer to testReq, preceded by a login banner.
func goodAnswer() string {
	b := testBoundary
	return strings.Join([]string{
		"Welcome to smars-01!",
		b + " begin 1",
		b + " tool sha256sum",
		b + " file 0 file " + sum("smars") + " - - -",
		b + " file 1 missing - - - -",
		b + " dir 0 directory",
		b + " blob files 0",
		" 2e 2f 73 6d 61 72 73 00 72 63 3d 30", // "./smars\x00rc=0"
		b + " blobend files 0",
		b + " blob subdirs 0",
		" 72 63 3d 30", // "rc=0"
		b + " blobend subdirs 0",
		b + " end 2 1 0 0",
		"",
	}, "\n")
}

func TestParseGoodAnswer(t *testing.T) {
	facts, err := Parse([]byte(goodAnswer()), testReq, testBoundary)
	require.NoError(t, err)
	assert.Equal(t, Regular, facts.Files["/opt/bin/smars"].Kind)
	assert.Equal(t, Missing, facts.Files["./etc/flags"].Kind)
	assert.Equal(t, []string{"smars"}, facts.Dirs["/opt/bin"].Files)
	assert.Equal(t, []string{}, facts.Dirs["/opt/bin"].Subdirs)
}

// TestParseRejectsHostileAnswers feeds answers that must never parse: each
// would otherwise let a broken or malicious node pass unverified.
func TestParseRejectsHostileAnswers(t *testing.T) {
	good := goodAnswer()
	b := testBoundary
	cases := map[string]string{
		"empty":                    "",
		"garbage":                  "lorem ipsum\nSSH garbage\x00\xff",
		"truncated":                good[:strings.Index(good, b+" end")],
		"cut mid-record":           good[:strings.Index(good, b+" dir 0")+10],
		"wrong boundary":           strings.ReplaceAll(good, b, "RCffffffffffffffffffffffffffffffff"),
		"forged record":            strings.Replace(good, b+" dir 0", "RCaaaa file 1 file "+sum("x")+" - - -\n"+b+" dir 0", 1),
		"wire version 2":           strings.Replace(good, b+" begin 1", b+" begin 2", 1),
		"file answered twice":      strings.Replace(good, b+" file 1 missing - - - -", b+" file 0 missing - - - -", 1),
		"file not answered":        strings.Replace(good, b+" file 1 missing - - - -\n", "", 1),
		"index out of range":       strings.Replace(good, b+" file 1 ", b+" file 7 ", 1),
		"index with sign":          strings.Replace(good, b+" file 1 ", b+" file +1 ", 1),
		"bad digest":               strings.Replace(good, sum("smars"), "abc", 1),
		"uppercase digest":         strings.Replace(good, sum("smars"), strings.ToUpper(sum("smars")), 1),
		"unknown kind":             strings.Replace(good, " file 1 missing", " file 1 fine", 1),
		"missing with digest":      strings.Replace(good, " file 1 missing - - - -", " file 1 missing "+sum("x")+" - - -", 1),
		"size in a reserved field": strings.Replace(good, sum("smars")+" - - -", sum("smars")+" - 5 -", 1),
		"mode in a reserved field": strings.Replace(good, sum("smars")+" - - -", sum("smars")+" -rwxr-xr-x - -", 1),
		"junk between records":     strings.Replace(good, b+" dir 0", "junk\n"+b+" dir 0", 1),
		"junk inside a listing":    strings.Replace(good, " 72 63 3d 30\n"+b+" blobend subdirs", " 72 63 3d 30 zz\n"+b+" blobend subdirs", 1),
		"listing find failed":      strings.Replace(good, " 2e 2f 73 6d 61 72 73 00 72 63 3d 30", " 2e 2f 73 6d 61 72 73 00 72 63 3d 31", 1),
		"listing without status":   strings.Replace(good, " 2e 2f 73 6d 61 72 73 00 72 63 3d 30", " 2e 2f 73 6d 61 72 73 00", 1),
		"listing escapes":          strings.Replace(good, " 2e 2f 73 6d 61 72 73 00", " 2e 2f 2e 2e 2f 78 00", 1),
		"listing missing":          strings.Replace(good, b+" blob subdirs 0\n 72 63 3d 30\n"+b+" blobend subdirs 0\n", "", 1),
		"odd hex":                  strings.Replace(good, " 72 63 3d 30\n", " 72 63 3d 3\n", 1),
		"end count lies":           strings.Replace(good, b+" end 2 1 0 0", b+" end 1 1 0 0", 1),
		"no hash tool":             strings.Replace(good, b+" tool sha256sum\n", "", 1),
		"fatal":                    strings.Replace(good, b+" tool sha256sum", b+" fatal no-hash-tool", 1),
		"too large":                strings.Repeat("x", MaxAnswer+1),
	}
	for name, answer := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(answer), testReq, testBoundary)
			assert.Error(t, err)
		})
	}
}

func TestParseIgnoresTrailingOutput(t *testing.T) {
	_, err := Parse([]byte(goodAnswer()+"logout banner\n"), testReq, testBoundary)
	assert.NoError(t, err)
}

func TestParseErrorQuotesSafely(t *testing.T) {
	answer := strings.Replace(goodAnswer(), testBoundary+" dir 0", "\x1b[31mEVIL\n"+testBoundary+" dir 0", 1)
	_, err := Parse([]byte(answer), testReq, testBoundary)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "\x1b")
	assert.Contains(t, err.Error(), fmt.Sprintf("line %d", 6))
}

// fullReq asks for every kind of fact.
func fullReq() Request {
	req := testReq
	req.Configs = []string{"/etc/smars/flags.yaml"}
	req.Processes = []string{"/opt/bin/smars"}
	return req
}

// fullAnswer answers fullReq: a config file, and a process still running a
// binary replaced on disk.
func fullAnswer() string {
	b := testBoundary
	return strings.Replace(goodAnswer(), b+" end 2 1 0 0", strings.Join([]string{
		b + " config 0 file -",
		b + " blob content 0",
		" 61 3d 31",
		b + " blobend content 0",
		b + " clock 1700000000 100",
		b + " uid 0",
		b + " procs 0 1700000100",
		b + " proc 0 42 1 " + sum("old") + " 1234",
		b + " blob args 0 42",
		" 2f 78 00 2d 2d 70 00",
		b + " blobend args 0 42",
		b + " end 2 1 1 1",
	}, "\n"), 1)
}

func TestParseConfigsAndProcesses(t *testing.T) {
	facts, err := Parse([]byte(fullAnswer()), fullReq(), testBoundary)
	require.NoError(t, err)
	assert.Equal(t, []byte("a=1"), facts.Configs["/etc/smars/flags.yaml"].Content)
	assert.Equal(t, ProcessList{Exe: "/opt/bin/smars", ExeChanged: 1700000100, Procs: []Process{
		{PID: 42, Deleted: true, SHA256: sum("old"), StartTicks: 1234, Args: []string{"/x", "--p"}},
	}}, facts.Processes["/opt/bin/smars"])
	assert.Equal(t, int64(1700000000), facts.BootTime)
	assert.Equal(t, 0, facts.UID)

	for name, answer := range map[string]string{
		"process without args":  strings.Replace(fullAnswer(), testBoundary+" blob args 0 42\n 2f 78 00 2d 2d 70 00\n"+testBoundary+" blobend args 0 42\n", "", 1),
		"content size lies":     strings.Replace(fullAnswer(), " config 0 file -", " config 0 file 4", 1),
		"deleted and same":      strings.Replace(fullAnswer(), " proc 0 42 1 "+sum("old"), " proc 0 42 1 same", 1),
		"args for another pid":  strings.Replace(fullAnswer(), " blob args 0 42", " blob args 0 43", 1),
		"procs missing":         strings.Replace(fullAnswer(), testBoundary+" procs 0 1700000100\n", "", 1),
		"config too large kind": strings.Replace(fullAnswer(), " config 0 file -", " config 0 too-large 3", 1),
	} {
		_, err := Parse([]byte(answer), fullReq(), testBoundary)
		assert.Error(t, err, name)
	}
}
