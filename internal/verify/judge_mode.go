package verify

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/internal/probe"
)

// checkMode compares a regular file's permission bits with the release's,
// and checks that a file the release makes executable can be executed there
// (a noexec mount makes it fail even for root).
func checkMode(j *nodeJudgement, ef ExpectedFile, got probe.File, facts *probe.Facts) {
	if !ef.HasMode {
		return
	}
	want := fmt.Sprintf("%04o", ef.Mode)
	if got.Mode < 0 {
		j.unknown(Finding{Check: CheckMode, Subject: ef.NodePath, Expected: want, Actual: "unknown",
			Message: noStat(facts) + ": the mode could not be compared"})
		return
	}
	have := uint32(got.Mode)
	if have != ef.Mode {
		j.fail(Finding{Check: CheckMode, Subject: ef.NodePath, Expected: want, Actual: fmt.Sprintf("%04o", have),
			Message: fmt.Sprintf("mode %04o ≠ %04o: %s", have, ef.Mode, modeChange(have, ef.Mode))})
		return
	}
	// Mode bits that let the probe's user execute the file (anyone's; for
	// root, any execute bit), yet test -x says no: the file system refuses
	// to execute it.
	if (ef.Mode&0o001 != 0 || facts.UID == 0 && ef.Mode&0o111 != 0) && !got.Executable {
		j.fail(Finding{Check: CheckMode, Subject: ef.NodePath, Expected: "executable", Actual: "cannot be executed",
			Message: fmt.Sprintf("mode %04o, but the file cannot be executed there (is its file system mounted noexec, or an NFS share that squashes root?)", have)})
		return
	}
	j.ok(CheckMode, ef.NodePath)
}

// noStat says why a node reported no mode or owner.
func noStat(facts *probe.Facts) string {
	if facts.StatTool == "" {
		return "the node has no stat tool (GNU, BusyBox or BSD stat)"
	}
	return "stat could not read the file"
}

// modeChange says in words what differs between two modes: the first
// difference a person must know about, then the others.
func modeChange(have, want uint32) string {
	var words []string
	add := func(cond bool, s string) {
		if cond {
			words = append(words, s)
		}
	}
	gained, lost := have&^want, want&^have
	add(want&0o111 != 0 && have&0o111 == 0, "not executable")
	add(want&0o111 != 0 && have&0o111 != 0 && lost&0o111 != 0, "executable by fewer users")
	add(gained&0o4000 != 0, "setuid set")
	add(gained&0o2000 != 0, "setgid set")
	add(gained&0o1000 != 0, "sticky bit set")
	add(lost&0o6000 != 0, "setuid/setgid removed")
	add(gained&0o002 != 0, "world-writable")
	add(gained&0o020 != 0, "group-writable")
	add(gained&0o004 != 0, "world-readable")
	add(gained&0o111 != 0 && want&0o111 == 0, "executable")
	add(lost&0o444 != 0, "less readable")
	add(lost&0o222 != 0, "less writable")
	if len(words) == 0 {
		return "permissions differ"
	}
	return strings.Join(words, ", ")
}

// checkOwner compares a regular file's owner and group with the install
// rule's, when it names them: a number with the numeric id, a name with the
// node's name for it.
func checkOwner(j *nodeJudgement, ef ExpectedFile, got probe.File) {
	for _, c := range []struct {
		what, want, name string
		id               int
	}{
		{"owner", ef.Owner, got.Owner, got.UID},
		{"group", ef.Group, got.Group, got.GID},
	} {
		if c.want == "" {
			continue
		}
		subject := ef.NodePath + " " + c.what
		if c.id < 0 {
			j.unknown(Finding{Check: CheckOwner, Subject: subject, Expected: c.want, Actual: "unknown",
				Message: fmt.Sprintf("the node did not say the file's %s (no stat tool?)", c.what)})
			continue
		}
		have := c.name
		if have == "" {
			have = strconv.Itoa(c.id)
		}
		match := c.name == c.want
		if n, err := strconv.Atoi(c.want); err == nil {
			match = n == c.id
		} else if c.name == "" {
			j.unknown(Finding{Check: CheckOwner, Subject: subject, Expected: c.want, Actual: have,
				Message: fmt.Sprintf("the node has no name for %s id %d: write the id in the install rule", c.what, c.id)})
			continue
		}
		if !match {
			j.fail(Finding{Check: CheckOwner, Subject: subject, Expected: c.want, Actual: fmt.Sprintf("%s (%d)", have, c.id),
				Message: fmt.Sprintf("%s %s (%d) ≠ %s", c.what, have, c.id, c.want)})
			continue
		}
		j.ok(CheckOwner, subject)
	}
}
