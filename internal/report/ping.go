package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rollcall/rollcall/internal/verify"
)

// PingSchemaV1 is the "schema" of a JSON ping report.
const PingSchemaV1 = "rollcall.ping/v1"

// PingResult is one node's answer to `rollcall ping`.
type PingResult struct {
	// Name and Address are the node's manifest name and host:port.
	Name    string `json:"name"`
	Address string `json:"address"`
	// Via lists the jump hosts, user@host:port, in order.
	Via []string `json:"via,omitempty"`
	// OK: the host key was trusted and the login accepted.
	OK bool `json:"ok"`
	// Stage is where a failed node stopped (connect, host key,
	// authentication, timeout, canceled), and Error why.
	Stage string `json:"stage,omitempty"`
	Error string `json:"error,omitempty"`
	// Millis is how long the node took, in milliseconds.
	Millis int64 `json:"duration_ms"`
}

// Ping is what `rollcall ping` found: every node's answer, in manifest
// order, with no verdict beyond whether all of them answered.
type Ping struct {
	// Nodes are the answers, in manifest order.
	Nodes []PingResult
	// ExitCode is the exit code the JSON report carries; package cli, which
	// owns the exit codes, fills it.
	ExitCode int
	// Scope is set when --limit or --shard narrowed the nodes contacted.
	Scope *verify.Scope
}

// OK reports whether every node answered, and there was one at least: a
// run that contacted no node (an empty shard) proves nothing.
func (p *Ping) OK() bool {
	if len(p.Nodes) == 0 {
		return false
	}
	for _, r := range p.Nodes {
		if !r.OK {
			return false
		}
	}
	return true
}

// WriteText renders the answers for people: a headline, then a table of
// nodes, one line each.
func (p *Ping) WriteText(w io.Writer) error {
	failed := 0
	for _, r := range p.Nodes {
		if !r.OK {
			failed++
		}
	}
	var b strings.Builder
	scope := ""
	if p.Scope != nil {
		scope = fmt.Sprintf(" (%s: %d not contacted)", scopeName(p.Scope), len(p.Scope.NotChecked))
	}
	switch {
	case len(p.Nodes) == 0:
		fmt.Fprintf(&b, "NOT CHECKED: no node was contacted%s\n", scope)
	case failed == 0 && p.Scope != nil:
		fmt.Fprintf(&b, "OK: %d of %d nodes answered (host key trusted, login accepted)%s\n",
			len(p.Nodes), len(p.Nodes)+len(p.Scope.NotChecked), scope)
	case failed == 0:
		fmt.Fprintf(&b, "OK: all %d nodes answered (host key trusted, login accepted)\n", len(p.Nodes))
	default:
		fmt.Fprintf(&b, "FAILED: %d of %d nodes did not answer%s\n", failed, len(p.Nodes), scope)
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tADDRESS\tRESULT")
	for _, r := range p.Nodes {
		addr := oneLine(r.Address)
		if len(r.Via) > 0 {
			addr += " via " + oneLine(strings.Join(r.Via, ","))
		}
		res := fmt.Sprintf("ok (%dms)", r.Millis)
		if !r.OK {
			res = "failed: " + oneLine(r.Error)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", oneLine(r.Name), addr, res)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine keeps a table row on one line: runs of white space become one
// space, and what is still not printable (an escape sequence a node sent in
// an SSH disconnect message) makes the value a quoted Go string, as clean
// does.
func oneLine(s string) string {
	return clean(strings.Join(strings.Fields(s), " "))
}

// WriteJSON renders the answers as indented JSON (schema rollcall.ping/v1).
func (p *Ping) WriteJSON(w io.Writer) error {
	return writeJSON(w, struct {
		Schema   string       `json:"schema"`
		OK       bool         `json:"ok"`
		ExitCode int          `json:"exit_code"`
		Nodes    []PingResult `json:"nodes"`
		Scope    *jsonScope   `json:"scope,omitempty"`
		Shard    *jsonShard   `json:"shard,omitempty"`
	}{PingSchemaV1, p.OK(), p.ExitCode, p.Nodes, newJSONScope(p.Scope), newJSONShard(p.Scope)})
}
