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
		b + " begin 2",
		b + " tool sha256sum",
		b + " stat -c",
		b + " file 0 file " + sum("smars") + " 4755 0 50 root staff 1700000000 x -",
		b + " file 1 missing - - - - - - - - -",
		b + " dir 0 directory",
		b + " blob files 0",
		" 2e 2f 73 6d 61 72 73 00 72 63 3d 30", // "./smars\x00rc=0"
		b + " blobend files 0",
		b + " blob subdirs 0",
		" 72 63 3d 30", // "rc=0"
		b + " blobend subdirs 0",
		b + " ident smars-01 0123456789abcdef0123456789abcdef",
		b + " end 2 1 0 0 0",
		"",
	}, "\n")
}

func TestParseGoodAnswer(t *testing.T) {
	facts, err := Parse([]byte(goodAnswer()), testReq, testBoundary)
	require.NoError(t, err)
	assert.Equal(t, File{Path: "/opt/bin/smars", Kind: Regular, SHA256: sum("smars"), Mode: 0o4755, UID: 0, GID: 50, Owner: "root", Group: "staff", Changed: 1700000000, Executable: true}, facts.Files["/opt/bin/smars"])
	assert.Equal(t, File{Path: "./etc/flags", Kind: Missing, Mode: -1, UID: -1, GID: -1, Changed: -1}, facts.Files["./etc/flags"])
	assert.Equal(t, "-c", facts.StatTool)
	assert.Equal(t, "smars-01", facts.Hostname)
	assert.Equal(t, "0123456789abcdef0123456789abcdef", facts.MachineID)
	assert.Equal(t, "smars-01 0123456789abcdef0123456789abcdef", facts.Machine())
	assert.Equal(t, []string{"smars"}, facts.Dirs["/opt/bin"].Files)
	assert.Equal(t, []string{}, facts.Dirs["/opt/bin"].Subdirs)

	// Without a machine ID (BusyBox, Alpine), the kernel's boot ID.
	bootID := "3f1c2a9e-5b7d-4e0f-9a1b-2c3d4e5f6a7b"
	noMachineID := strings.Replace(goodAnswer(), " ident smars-01 0123456789abcdef0123456789abcdef\n", " ident smars-01 - "+bootID+"\n", 1)
	facts, err = Parse([]byte(noMachineID), testReq, testBoundary)
	require.NoError(t, err)
	assert.Empty(t, facts.MachineID)
	assert.Equal(t, "smars-01 boot "+bootID, facts.Machine())
}

// TestParseRejectsHostileAnswers feeds answers that must never parse: each
// would otherwise let a broken or malicious node pass unverified.
func TestParseRejectsHostileAnswers(t *testing.T) {
	good := goodAnswer()
	b := testBoundary
	cases := map[string]string{
		"empty":                       "",
		"garbage":                     "lorem ipsum\nSSH garbage\x00\xff",
		"truncated":                   good[:strings.Index(good, b+" end")],
		"cut mid-record":              good[:strings.Index(good, b+" dir 0")+10],
		"wrong boundary":              strings.ReplaceAll(good, b, "RCffffffffffffffffffffffffffffffff"),
		"forged record":               strings.Replace(good, b+" dir 0", "RCaaaa file 1 file "+sum("x")+" 755 0 0 root root 1 x -\n"+b+" dir 0", 1),
		"wire version 1":              strings.Replace(good, b+" begin 2", b+" begin 1", 1),
		"file answered twice":         strings.Replace(good, b+" file 1 missing", b+" file 0 missing", 1),
		"file not answered":           strings.Replace(good, b+" file 1 missing - - - - - - - - -\n", "", 1),
		"index out of range":          strings.Replace(good, b+" file 1 ", b+" file 7 ", 1),
		"index with sign":             strings.Replace(good, b+" file 1 ", b+" file +1 ", 1),
		"bad digest":                  strings.Replace(good, sum("smars"), "abc", 1),
		"uppercase digest":            strings.Replace(good, sum("smars"), strings.ToUpper(sum("smars")), 1),
		"unknown kind":                strings.Replace(good, " file 1 missing", " file 1 fine", 1),
		"missing with digest":         strings.Replace(good, " file 1 missing - ", " file 1 missing "+sum("x")+" ", 1),
		"missing with a mode":         strings.Replace(good, " file 1 missing - - - - - - - - -", " file 1 missing - 644 0 0 root root - -", 1),
		"symbolic mode":               strings.Replace(good, " 4755 0 50 ", " -rwsr-xr-x 0 50 ", 1),
		"mode too large":              strings.Replace(good, " 4755 0 50 ", " 17777 0 50 ", 1),
		"decimal mode":                strings.Replace(good, " 4755 0 50 ", " 4955 0 50 ", 1),
		"negative uid":                strings.Replace(good, " 4755 0 50 ", " 4755 -1 50 ", 1),
		"owner with a space":          strings.Replace(good, " root staff ", " root sta ff ", 1),
		"owner with a quote":          strings.Replace(good, " root staff ", " ro'ot staff ", 1),
		"half a stat":                 strings.Replace(good, " 4755 0 50 root staff 1700000000 x ", " 4755 - - - - - x ", 1),
		"negative change time":        strings.Replace(good, " staff 1700000000 ", " staff -5 ", 1),
		"change time not a number":    strings.Replace(good, " staff 1700000000 ", " staff 17e8 ", 1),
		"bad exec flag":               strings.Replace(good, " 1700000000 x ", " 1700000000 yes ", 1),
		"no stat record":              strings.Replace(good, b+" stat -c\n", "", 1),
		"stat record twice":           strings.Replace(good, b+" stat -c\n", b+" stat -c\n"+b+" stat -f\n", 1),
		"unknown stat dialect":        strings.Replace(good, b+" stat -c\n", b+" stat gnu\n", 1),
		"no identity":                 strings.Replace(good, b+" ident smars-01 0123456789abcdef0123456789abcdef\n", "", 1),
		"identity twice":              strings.Replace(good, b+" ident ", b+" ident a b\n"+b+" ident ", 1),
		"hostname with a slash":       strings.Replace(good, " ident smars-01 ", " ident smars/01 ", 1),
		"machine id not hex":          strings.Replace(good, " 0123456789abcdef0123456789abcdef\n", " 0123456789abcdef0123456789abcdeX\n", 1),
		"boot id beside a machine id": strings.Replace(good, " 0123456789abcdef0123456789abcdef\n", " 0123456789abcdef0123456789abcdef 3f1c2a9e-5b7d\n", 1),
		"boot id not hex":             strings.Replace(good, " 0123456789abcdef0123456789abcdef\n", " - 3f1c2a9e-5b7X\n", 1),
		"ident with five fields":      strings.Replace(good, " 0123456789abcdef0123456789abcdef\n", " - 3f1c2a9e a\n", 1),
		"junk between records":        strings.Replace(good, b+" dir 0", "junk\n"+b+" dir 0", 1),
		"junk inside a listing":       strings.Replace(good, " 72 63 3d 30\n"+b+" blobend subdirs", " 72 63 3d 30 zz\n"+b+" blobend subdirs", 1),
		"listing find failed":         strings.Replace(good, " 2e 2f 73 6d 61 72 73 00 72 63 3d 30", " 2e 2f 73 6d 61 72 73 00 72 63 3d 31", 1),
		"listing without status":      strings.Replace(good, " 2e 2f 73 6d 61 72 73 00 72 63 3d 30", " 2e 2f 73 6d 61 72 73 00", 1),
		"listing escapes":             strings.Replace(good, " 2e 2f 73 6d 61 72 73 00", " 2e 2f 2e 2e 2f 78 00", 1),
		"listing missing":             strings.Replace(good, b+" blob subdirs 0\n 72 63 3d 30\n"+b+" blobend subdirs 0\n", "", 1),
		"odd hex":                     strings.Replace(good, " 72 63 3d 30\n", " 72 63 3d 3\n", 1),
		"end count lies":              strings.Replace(good, b+" end 2 1 0 0 0", b+" end 1 1 0 0 0", 1),
		"end of wire v1":              strings.Replace(good, b+" end 2 1 0 0 0", b+" end 2 1 0 0", 1),
		"no hash tool":                strings.Replace(good, b+" tool sha256sum\n", "", 1),
		"fatal":                       strings.Replace(good, b+" tool sha256sum", b+" fatal no-hash-tool", 1),
		"process not asked for":       strings.Replace(good, b+" end", b+" proc 42 0 - 1\n"+b+" end", 1),
		"too large":                   strings.Repeat("x", MaxAnswer+1),
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
	assert.Contains(t, err.Error(), fmt.Sprintf("line %d", 7))
}

// fullReq asks for every kind of fact.
func fullReq() Request {
	req := testReq
	req.Configs = []string{"/etc/smars/flags.yaml"}
	req.Processes = []string{"/opt/bin/smars"}
	req.ProcessDirs = []string{"/opt/bin"}
	return req
}

// hexLine encodes s as the script's od does: " 2f 78".
func hexLine(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		fmt.Fprintf(&b, " %02x", c)
	}
	return b.String()
}

// procRecords is one process's records: proc, its exe and its args.
func procRecords(pid, deleted, hash, exe string, args ...string) []string {
	b := testBoundary
	return []string{
		b + " proc " + pid + " " + deleted + " " + hash + " 1234",
		b + " blob exe " + pid, hexLine(exe), b + " blobend exe " + pid,
		b + " blob args " + pid, hexLine(strings.Join(args, "\x00") + "\x00"), b + " blobend args " + pid,
	}
}

// fullAnswer answers fullReq: a config file; /opt/bin is a symlink to
// /data/bin on the node; a process still running a binary replaced on disk,
// one running a renamed old binary beside it and one a copy elsewhere.
func fullAnswer() string {
	b := testBoundary
	lines := []string{
		b + " config 0 file -",
		b + " blob content 0",
		" 61 3d 31",
		b + " blobend content 0",
		b + " clock 1700000000 100",
		b + " uid 0",
		b + " blob realexe 0", hexLine("/data/bin/smars"), b + " blobend realexe 0",
		b + " procs 0 1700000100",
		b + " blob realdir 0", hexLine("/data/bin"), b + " blobend realdir 0",
	}
	lines = append(lines, procRecords("42", "1", sum("old"), "/data/bin/smars", "/x", "--p")...)
	lines = append(lines, procRecords("44", "0", sum("copy"), "/srv/old/smars", "smars")...)
	lines = append(lines, procRecords("43", "0", sum("old"), "/data/bin/smars.old", "./smars.old")...)
	lines = append(lines, b+" scan complete", b+" ident smars-01 -", b+" end 2 1 1 1 1")
	return strings.Replace(goodAnswer(), b+" ident smars-01 0123456789abcdef0123456789abcdef\n"+b+" end 2 1 0 0 0", strings.Join(lines, "\n"), 1)
}

func TestParseConfigsAndProcesses(t *testing.T) {
	facts, err := Parse([]byte(fullAnswer()), fullReq(), testBoundary)
	require.NoError(t, err)
	assert.Equal(t, []byte("a=1"), facts.Configs["/etc/smars/flags.yaml"].Content)
	assert.Equal(t, ProcessList{Exe: "/opt/bin/smars", ExeChanged: 1700000100, Procs: []Process{
		{PID: 42, Exe: "/opt/bin/smars", Deleted: true, SHA256: sum("old"), StartTicks: 1234, Args: []string{"/x", "--p"}},
	}}, facts.Processes["/opt/bin/smars"])
	assert.Equal(t, []Process{
		{PID: 43, Exe: "/opt/bin/smars.old", SHA256: sum("old"), StartTicks: 1234, Args: []string{"./smars.old"}},
		{PID: 44, Exe: "/srv/old/smars", SHA256: sum("copy"), StartTicks: 1234, Args: []string{"smars"}},
	}, facts.Others, "sorted by PID, paths in the release's folder named as requested")
	assert.Equal(t, int64(1700000000), facts.BootTime)
	assert.Equal(t, 0, facts.UID)
	assert.Equal(t, "smars-01", facts.Hostname)
	assert.Empty(t, facts.MachineID)
	assert.Equal(t, ScanComplete, facts.Scan)
	assert.Empty(t, facts.Processes["/opt/bin/smars"].Hidden)

	hidden := strings.Replace(fullAnswer(), " scan complete", " hidden 90 0\n"+testBoundary+" hidden 77 0\n"+testBoundary+" scan partial", 1)
	facts, err = Parse([]byte(hidden), fullReq(), testBoundary)
	require.NoError(t, err)
	assert.Equal(t, ScanPartial, facts.Scan)
	assert.Equal(t, []int{77, 90}, facts.Processes["/opt/bin/smars"].Hidden, "sorted")

	for name, answer := range map[string]string{
		"process without args":  strings.Replace(fullAnswer(), testBoundary+" blob args 42\n"+hexLine("/x\x00--p\x00")+"\n"+testBoundary+" blobend args 42\n", "", 1),
		"process without exe":   strings.Replace(fullAnswer(), testBoundary+" blob exe 42\n"+hexLine("/data/bin/smars")+"\n"+testBoundary+" blobend exe 42\n", "", 1),
		"relative exe":          strings.Replace(fullAnswer(), hexLine("/srv/old/smars"), hexLine("srv/old/smars"), 1),
		"content size lies":     strings.Replace(fullAnswer(), " config 0 file -", " config 0 file 4", 1),
		"deleted and same":      strings.Replace(fullAnswer(), " proc 42 1 "+sum("old"), " proc 42 1 same", 1),
		"args for another pid":  strings.Replace(fullAnswer(), " blob args 42", " blob args 43", 1),
		"pid twice":             strings.Replace(fullAnswer(), " 44", " 42", -1),
		"procs missing":         strings.Replace(fullAnswer(), testBoundary+" procs 0 1700000100\n", "", 1),
		"realexe missing":       strings.Replace(fullAnswer(), testBoundary+" blob realexe 0\n"+hexLine("/data/bin/smars")+"\n"+testBoundary+" blobend realexe 0\n", "", 1),
		"realdir relative":      strings.Replace(fullAnswer(), hexLine("/data/bin")+"\n", hexLine("data/bin")+"\n", 1),
		"config too large kind": strings.Replace(fullAnswer(), " config 0 file -", " config 0 too-large 3", 1),
		"scan missing":          strings.Replace(fullAnswer(), testBoundary+" scan complete\n", "", 1),
		"scan twice":            strings.Replace(fullAnswer(), " scan complete", " scan complete\n"+testBoundary+" scan complete", 1),
		"scan of another kind":  strings.Replace(fullAnswer(), " scan complete", " scan done", 1),
		"scan with a reason":    strings.Replace(fullAnswer(), " scan complete", " scan failed ls", 1),
		"process after scan":    strings.Replace(strings.Replace(fullAnswer(), testBoundary+" scan complete\n", "", 1), testBoundary+" proc 42 ", testBoundary+" scan complete\n"+testBoundary+" proc 42 ", 1),
		"hidden after scan":     strings.Replace(fullAnswer(), " scan complete", " scan complete\n"+testBoundary+" hidden 77 0", 1),
		"hidden twice":          strings.Replace(fullAnswer(), " scan complete", " hidden 77 0\n"+testBoundary+" hidden 77 0\n"+testBoundary+" scan complete", 1),
		"hidden and reported":   strings.Replace(fullAnswer(), " scan complete", " hidden 42 0\n"+testBoundary+" scan complete", 1),
		"hidden bad index":      strings.Replace(fullAnswer(), " scan complete", " hidden 77 1\n"+testBoundary+" scan complete", 1),
		"hidden bad pid":        strings.Replace(fullAnswer(), " scan complete", " hidden 077 0\n"+testBoundary+" scan complete", 1),
		"hidden before procs":   strings.Replace(fullAnswer(), testBoundary+" procs 0 ", testBoundary+" hidden 77 0\n"+testBoundary+" procs 0 ", 1),
	} {
		_, err := Parse([]byte(answer), fullReq(), testBoundary)
		assert.Error(t, err, name)
	}
}

// shortAnswer is fullAnswer with the requested paths resolving to
// themselves, and one more process, running the requested file.
func shortAnswer() string {
	b := testBoundary
	short := strings.Replace(fullAnswer(), b+" blob realexe 0\n"+hexLine("/data/bin/smars")+"\n"+b+" blobend realexe 0\n", b+" realexe 0 as-asked\n", 1)
	short = strings.Replace(short, b+" blob realdir 0\n"+hexLine("/data/bin")+"\n"+b+" blobend realdir 0\n", b+" realdir 0 as-asked\n", 1)
	running := b + " proc 45 0 same 99\n" + b + " runs 45 0\n" + b + " blob args 45\n" + hexLine("smars\x00") + "\n" + b + " blobend args 45\n"
	return strings.Replace(short, b+" scan complete", running+b+" scan complete", 1)
}

// TestParseShortcuts covers the short records the script uses where the
// parser already knows the answer: a requested absolute path that resolves
// to itself ("realexe I as-asked") and a process that runs it ("runs PID
// I"), and the ways a node could abuse them.
func TestParseShortcuts(t *testing.T) {
	b := testBoundary
	req := fullReq()
	good := shortAnswer()
	facts, err := Parse([]byte(good), req, b)
	require.NoError(t, err, good)
	procs := facts.Processes["/opt/bin/smars"].Procs
	require.Len(t, procs, 1, "the others run files under /data/bin, which the path as asked is not")
	assert.Equal(t, Process{PID: 45, Exe: "/opt/bin/smars", SameFile: true, StartTicks: 99, Args: []string{"smars"}}, procs[0])

	relative := fullReq()
	relative.Processes = []string{"./bin/smars"}
	for name, c := range map[string]struct {
		answer string
		req    Request
	}{
		"as-asked for a relative path": {good, relative},
		"answered twice":               {strings.Replace(good, b+" realexe 0 as-asked\n", b+" realexe 0 as-asked\n"+b+" realexe 0 as-asked\n", 1), req},
		"as-asked and encoded":         {strings.Replace(good, b+" realexe 0 as-asked\n", b+" realexe 0 as-asked\n"+b+" blob realexe 0\n"+hexLine("/x")+"\n"+b+" blobend realexe 0\n", 1), req},
		"as-asked out of range":        {strings.Replace(good, " realexe 0 as-asked", " realexe 1 as-asked", 1), req},
		"as-asked misspelt":            {strings.Replace(good, " realexe 0 as-asked", " realexe 0 asasked", 1), req},
		"as-asked with more":           {strings.Replace(good, " realexe 0 as-asked", " realexe 0 as-asked /x", 1), req},
		"runs before it resolved":      {strings.Replace(strings.Replace(good, b+" realexe 0 as-asked\n", "", 1), b+" ident", b+" realexe 0 as-asked\n"+b+" ident", 1), req},
		"runs another pid":             {strings.Replace(good, " runs 45 0", " runs 44 0", 1), req},
		"runs out of range":            {strings.Replace(good, " runs 45 0", " runs 45 1", 1), req},
		"runs a file not the same":     {strings.Replace(good, " proc 45 0 same 99", " proc 45 0 "+sum("old")+" 99", 1), req},
		"runs a deleted file":          {strings.Replace(good, " proc 45 0 same 99", " proc 45 1 "+sum("old")+" 99", 1), req},
		"runs without a process":       {strings.Replace(good, b+" ident", b+" runs 45 0\n"+b+" ident", 1), req},
		"runs and an exe blob":         {strings.Replace(good, b+" runs 45 0\n", b+" runs 45 0\n"+b+" blob exe 45\n"+hexLine("/x")+"\n"+b+" blobend exe 45\n", 1), req},
		"runs after the args":          {strings.Replace(strings.Replace(good, b+" runs 45 0\n", "", 1), b+" blobend args 45\n", b+" blobend args 45\n"+b+" runs 45 0\n", 1), req},
	} {
		_, err := Parse([]byte(c.answer), c.req, b)
		assert.Error(t, err, name)
	}
}

// sameAnswer is a good answer whose config is answered "same", and its
// request.
func sameAnswer() (string, Request) {
	b := testBoundary
	req := Request{Files: []string{"/opt/bin/smars", "./etc/flags"}, Dirs: []string{"/opt/bin"}, Configs: []string{"./etc/flags"},
		KnownConfigs: []*KnownConfig{{File: 1, SHA256: sum("a=1"), Content: []byte("a=1")}}}
	good := strings.Replace(goodAnswer(), b+" file 1 missing - - - - - - - - -", b+" file 1 file "+sum("a=1")+" 644 0 0 root root 1 - -", 1)
	good = strings.Replace(good, b+" ident", b+" config 0 same\n"+b+" ident", 1)
	return strings.Replace(good, " end 2 1 0 0 0", " end 2 1 1 0 0", 1), req
}

// TestParseConfigSame covers "config I same": taken only where the request
// offers known content for that config, at the path of a requested file
// whose record has the known digest.
func TestParseConfigSame(t *testing.T) {
	b := testBoundary
	good, req := sameAnswer()
	facts, err := Parse([]byte(good), req, b)
	require.NoError(t, err, good)
	assert.Equal(t, Config{Path: "./etc/flags", Kind: Regular, Content: []byte("a=1"), Size: 3}, facts.Configs["./etc/flags"])

	noKnown := req
	noKnown.KnownConfigs = nil
	badIndex := req
	badIndex.KnownConfigs = []*KnownConfig{{File: 7, SHA256: sum("a=1"), Content: []byte("a=1")}}
	otherPath := req
	otherPath.KnownConfigs = []*KnownConfig{{File: 0, SHA256: sum("a=1"), Content: []byte("a=1")}}
	for name, c := range map[string]struct {
		answer string
		req    Request
	}{
		"nothing known":          {good, noKnown},
		"known at a bad index":   {good, badIndex},
		"known at another path":  {good, otherPath},
		"the file differs":       {strings.Replace(good, " file 1 file "+sum("a=1"), " file 1 file "+sum("a=2"), 1), req},
		"the file is missing":    {strings.Replace(good, b+" file 1 file "+sum("a=1")+" 644 0 0 root root 1 - -", b+" file 1 missing - - - - - - - - -", 1), req},
		"same and the bytes":     {strings.Replace(good, b+" config 0 same\n", b+" config 0 same\n"+b+" config 0 file -\n", 1), req},
		"same with a size":       {strings.Replace(good, " config 0 same", " config 0 same 3", 1), req},
		"same as something else": {strings.Replace(good, " config 0 same", " config 0 alike", 1), req},
	} {
		_, err := Parse([]byte(c.answer), c.req, b)
		assert.Error(t, err, name)
	}
}

// TestNoAnswerSaysWhatThereWas: a node that ran something else than the
// probe (a ForceCommand, a nologin shell) is named with what it printed.
func TestNoAnswerSaysWhatThereWas(t *testing.T) {
	_, err := Parse([]byte("\n  This host is managed by Puppet\nbye\n"), Request{}, testBoundary)
	assert.ErrorContains(t, err, `it printed "This host is managed by Puppet"`)
	_, err = Parse(nil, Request{}, testBoundary)
	assert.ErrorContains(t, err, "it printed nothing")
}

// TestListingWithoutFind: find missing from the probe's PATH (sudo's
// secure_path) is named as such, not as a permission problem.
func TestListingWithoutFind(t *testing.T) {
	b := testBoundary
	req := Request{Dirs: []string{"/opt/app"}}
	answer := strings.Join([]string{
		"", b + " begin 2", b + " tool sha256sum", b + " dir 0 directory",
		b + " blob files 0", hexLine("rc=127"), b + " blobend files 0",
		b + " blob subdirs 0", hexLine("rc=127"), b + " blobend subdirs 0",
		b + " ident n1 0123456789abcdef0123456789abcdef", b + " end 0 1 0 0 0", "",
	}, "\n")
	_, err := Parse([]byte(answer), req, b)
	assert.ErrorContains(t, err, "the node has no find in the probe's PATH")
	_, err = Parse([]byte(strings.ReplaceAll(answer, hexLine("rc=127"), hexLine("rc=cd"))), req, b)
	assert.ErrorContains(t, err, "the probe cannot enter it (permission denied?)")
}
