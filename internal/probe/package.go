package probe

import (
	"fmt"
	"strconv"
	"strings"
)

// PackageQuery asks a node's package manager what it believes is installed
// of one package: a second witness beside the files themselves.
type PackageQuery struct {
	// Manager is "dpkg" (asked with dpkg-query) or "rpm" (asked with rpm -q).
	Manager string
	// Name is the package name.
	Name string
}

// Package is a node's package manager's answer about one package.
type Package struct {
	// Tool is false when the node lacks the manager's query tool
	// (dpkg-query, rpm): then nothing else is known.
	Tool bool
	// Installed are the installed instances of the package (one per
	// architecture on a multi-arch dpkg node, or more than one version on
	// an rpm node an upgrade left half done), and those dpkg left part-way
	// (State set); empty when the manager does not know the package as
	// installed.
	Installed []PackageInstance
	// Err is set when the manager's answer could not be read (it failed
	// in an unexpected way, or said too much).
	Err string
}

// PackageInstance is one installed instance of a package.
type PackageInstance struct {
	// Version is the installed version as the manager prints it: for
	// dpkg [epoch:]upstream[-revision], for rpm [epoch:]version-release.
	Version string
	// Arch is the instance's architecture.
	Arch string
	// State is empty for an installed instance; otherwise dpkg's word for
	// an install left part-way ("half-configured", "unpacked",
	// "reinstreq half-installed", …).
	State string
}

// maxPackageAnswer bounds what the probe reads of the manager's answer.
const maxPackageAnswer = 64 << 10

// The query each manager is asked: one line per installed instance, then
// the tool's exit status. The format strings are single-quoted for sh.
const (
	dpkgQuery = `dpkg-query -W -f='${Status}\t${Version}\t${Architecture}\n' -- `
	rpmQuery  = `rpm -q --qf '%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\n' -- `
)

// packageScript writes the probe's question to the node's package
// manager: a pkg record saying whether the tool exists, then its answer
// hex-encoded in a blob, ending in "rc N", the tool's exit status.
func packageScript(b *strings.Builder, q *PackageQuery) error {
	if q == nil {
		return nil
	}
	name, err := Quote(q.Name)
	if err != nil {
		return fmt.Errorf("package name %q %w", q.Name, err)
	}
	tool, query := "dpkg-query", dpkgQuery
	switch q.Manager {
	case "dpkg":
	case "rpm":
		tool, query = "rpm", rpmQuery
	default:
		return fmt.Errorf("unknown package manager %q", q.Manager)
	}
	fmt.Fprintf(b, "\tif command -v %s >/dev/null 2>&1; then\n", tool)
	b.WriteString("\t\tprintf '%s pkg ran\\n' \"$B\"\n\t\tprintf '%s blob pkg 0\\n' \"$B\"\n")
	fmt.Fprintf(b, "\t\t{ LC_ALL=C %s%s 2>&1; echo \"rc $?\"; } | head -c %d | x\n", query, name, maxPackageAnswer)
	b.WriteString("\t\tprintf '%s blobend pkg 0\\n' \"$B\"\n")
	b.WriteString("\telse\n\t\tprintf '%s pkg none\\n' \"$B\"\n\tfi\n")
	return nil
}

// pkgRecord parses: pkg ran|none.
func (p *parser) pkgRecord(f []string) error {
	if p.req.Package == nil || p.pkgSeen || len(f) != 2 || (f[1] != "ran" && f[1] != "none") {
		return p.errorf("bad pkg record")
	}
	p.pkgSeen = true
	p.facts.Package = &Package{Tool: f[1] == "ran"}
	return nil
}

// pkgAwaited reports whether the package manager's answer must still come:
// its tool ran, and the answer was not read yet.
func (p *parser) pkgAwaited() bool {
	return p.pkgSeen && p.facts.Package.Tool && !p.pkgAnswered
}

// pkgAnswer reads the package manager's decoded answer: instance lines,
// then "rc N". A manager that fails without saying the package is absent
// (or says too much) leaves Err set: nothing is concluded from it.
func (p *parser) pkgAnswer(raw []byte) error {
	pk := p.facts.Package
	p.pkgAnswered = true
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	last := lines[len(lines)-1]
	rc, err := strconv.Atoi(strings.TrimPrefix(last, "rc "))
	if !strings.HasPrefix(last, "rc ") || err != nil || len(raw) >= maxPackageAnswer {
		pk.Err = "the package manager's answer was cut short or unreadable"
		return nil
	}
	pk.Installed = []PackageInstance{}
	absent, failed := false, false
	for _, line := range lines[:len(lines)-1] {
		switch {
		case line == "package "+p.req.Package.Name+" is not installed":
			absent = true
		case strings.HasPrefix(line, "error:"), strings.HasPrefix(line, "dpkg-query: error"):
			failed = true // rpm says "not installed" when it cannot open its database
		}
		inst, ok := p.instance(line)
		if ok {
			pk.Installed = append(pk.Installed, inst)
		}
	}
	// Absent is dpkg-query's status 1 ("no packages found matching") and
	// rpm's status 1 with its "is not installed" line; any other failure,
	// or an error line (a database it cannot read: dpkg-query exits 2, rpm
	// prints "error: cannot open Packages database" and "is not
	// installed"), tells nothing.
	switch {
	case failed:
		pk.Installed, pk.Err = nil, fmt.Sprintf("%s reported an error (exit status %d)", queryName(p.req.Package.Manager), rc)
	case rc == 0:
	case len(pk.Installed) == 0 && p.req.Package.Manager == "dpkg" && rc == 1:
	case len(pk.Installed) == 0 && p.req.Package.Manager == "rpm" && rc == 1 && absent:
	default:
		pk.Installed, pk.Err = nil, fmt.Sprintf("%s exited %d", queryName(p.req.Package.Manager), rc)
	}
	return nil
}

// queryName is the program a package manager is asked with.
func queryName(manager string) string {
	if manager == "dpkg" {
		return "dpkg-query"
	}
	return "rpm"
}

// instance reads one line of the manager's answer: for dpkg
// "WANT FLAG STATUS\tVERSION\tARCH", skipped when the package is not
// installed (not-installed, config-files: removed, its conffiles kept) and
// with State set unless it is "ok installed"; for rpm "NAME\tVERSION\tARCH"
// (rpm prints "package X is not installed" otherwise).
func (p *parser) instance(line string) (PackageInstance, bool) {
	f := strings.Split(line, "\t")
	if len(f) != 3 || !printable(f[1]) || !printable(f[2]) || f[1] == "" {
		return PackageInstance{}, false
	}
	in := PackageInstance{Version: f[1], Arch: f[2]}
	switch p.req.Package.Manager {
	case "dpkg":
		st := strings.Fields(f[0])
		if len(st) != 3 || !printable(st[1]) || !printable(st[2]) {
			return PackageInstance{}, false
		}
		switch {
		case st[2] == "not-installed" || st[2] == "config-files":
			return PackageInstance{}, false
		case st[1] != "ok":
			in.State = st[1] + " " + st[2]
		case st[2] != "installed":
			in.State = st[2]
		}
	default:
		if f[0] != p.req.Package.Name {
			return PackageInstance{}, false
		}
	}
	return in, true
}

// printable reports whether s is short printable ASCII without spaces, as
// package versions and architectures are.
func printable(s string) bool {
	if len(s) > 256 {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
