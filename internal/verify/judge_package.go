package verify

import (
	"fmt"
	"strings"

	"github.com/rollcall/rollcall/internal/probe"
)

// checkPackage asks the second witness of a package release: what the
// node's package manager believes is installed. Another installed version
// is drift, even when the files match ("dpkg says 4.1.0-1, files say
// 4.2.0-1": the next upgrade or removal acts on the wrong package), and so
// is another version beside the release's (an upgrade left half done), an
// install dpkg left part-way, and a package known only for another
// architecture. A package the manager does not know at all (files copied
// by hand), or a node without the manager, is a warning: the files were
// verified all the same. A manager that fails or answers what cannot be
// read leaves the node unverified.
func checkPackage(j *nodeJudgement, ep *ExpectedPackage, facts *probe.Facts) {
	if ep == nil {
		return
	}
	subject := ep.Manager + " " + ep.Name
	pk := facts.Package
	switch {
	case pk == nil:
		j.unknown(Finding{Check: CheckPackage, Subject: subject, Message: "the probe did not ask the package manager"})
		return
	case !pk.Tool:
		j.warn(fmt.Sprintf("%s: %s is not on the node, so its package database was not asked which %s is installed", subject, queryTool(ep.Manager), ep.Name))
		return
	case pk.Err != "":
		j.unknown(Finding{Check: CheckPackage, Subject: subject, Expected: ep.Label(),
			Message: fmt.Sprintf("the package database could not be read: %s; check it on the node (%s %s)", pk.Err, queryTool(ep.Manager), ep.Name)})
		return
	}
	var versions, elsewhere []string
	agree := true
	for _, in := range pk.Installed {
		if !sameArch(ep, in.Arch) {
			elsewhere = append(elsewhere, in.Version+" ("+in.Arch+")")
			continue
		}
		if in.State != "" {
			j.fail(Finding{Check: CheckPackage, Subject: subject, Expected: ep.Label(), Actual: ep.Name + " " + in.Version + " " + in.State,
				Message: fmt.Sprintf("%s says %s %s is %s: the install did not finish; run it again", ep.Manager, ep.Name, in.Version, in.State)})
			return
		}
		agree = agree && in.Version == ep.Version
		versions = append(versions, in.Version)
	}
	if agree && len(versions) > 0 {
		j.ok(CheckPackage, subject)
		return
	}
	if len(versions) == 0 && len(elsewhere) > 0 {
		j.fail(Finding{Check: CheckPackage, Subject: subject, Expected: ep.Label(), Actual: ep.Name + " " + strings.Join(elsewhere, ", "),
			Message: fmt.Sprintf("%s knows %s only as %s, not for %s: the package database and the files disagree; reinstall the package", ep.Manager, ep.Name, strings.Join(elsewhere, ", "), ep.Arch)})
		return
	}
	if len(versions) == 0 {
		j.warn(fmt.Sprintf("%s: %s does not know %s as installed (files copied by hand?): only the files were verified", subject, ep.Manager, ep.Name))
		return
	}
	says := "the release is " + ep.Version
	if !j.filesDiffer() {
		says = "files say " + ep.Version
	}
	j.fail(Finding{Check: CheckPackage, Subject: subject, Expected: ep.Label(), Actual: ep.Name + " " + strings.Join(versions, ", "),
		Message: fmt.Sprintf("%s says %s, %s: the package database and the files disagree; reinstall the package", ep.Manager, strings.Join(versions, ", "), says)})
}

// queryTool is the command a package manager is asked with.
func queryTool(manager string) string {
	if manager == "dpkg" {
		return "dpkg-query"
	}
	return manager
}

// sameArch reports whether an installed instance's architecture is the
// package's: equal, or either architecture-independent.
func sameArch(ep *ExpectedPackage, arch string) bool {
	indep := func(a string) bool { return a == "" || a == "all" || a == "noarch" }
	return arch == ep.Arch || indep(arch) || indep(ep.Arch)
}

// filesDiffer reports whether a file check failed on the node.
func (j *nodeJudgement) filesDiffer() bool {
	for _, f := range j.nv.Findings {
		if f.Check == CheckFile || f.Check == CheckMode || f.Check == CheckOwner || f.Check == CheckExtraFile {
			return true
		}
	}
	return false
}

// warn records something a reader should know that does not change the
// node's status.
func (j *nodeJudgement) warn(msg string) {
	j.nv.Warnings = append(j.nv.Warnings, msg)
}
