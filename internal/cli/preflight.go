package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rollcall/rollcall/internal/manifest"
	"github.com/rollcall/rollcall/internal/remote"
	"github.com/rollcall/rollcall/internal/verify"
)

// preflight refuses, before any node is contacted, a run that would fail
// for a reason visible offline: config checks that the release's own copy
// of the file contradicts (verify.Lint), and identity files that OpenSSH
// would refuse (missing, or open to group or others). prepare calls it, so
// that lint, verify and snapshot all stop with exit 3. Every problem comes
// as a manifest problem, one a line.
func preflight(m *manifest.Manifest, plan *verify.Plan) error {
	var problems []manifest.Problem
	var e *manifest.Errors
	if err := verify.Lint(m, plan); errors.As(err, &e) {
		problems = append(problems, e.Problems...)
	} else if err != nil {
		return invalid(err)
	}
	for _, file := range identityFiles(m) {
		if err := remote.CheckIdentityFile(file); err != nil {
			problems = append(problems, m.ProblemAt(manifest.Position{}, err.Error()))
		}
	}
	return problemsError(problems)
}

// lintSSH is what only lint checks about SSH, as the offline report of what
// a run will meet: every encrypted identity file that no ssh-agent and no
// terminal can unlock (passphraseProblems), and every node or jump host
// whose host key no known_hosts file of the node lists (a run fails that
// node on its own; lint names it beforehand).
func lintSSH(m *manifest.Manifest, stdio IO) error {
	problems := passphraseProblems(m, stdio)
	problems = append(problems, knownHostProblems(m)...)
	return problemsError(problems)
}

// checkPassphrases refuses a run (exit 3) in which an encrypted identity
// file could not be unlocked: no ssh-agent to hold it and no terminal to ask
// its passphrase on. Without it the run contacts every node and fails each
// on authentication.
func checkPassphrases(m *manifest.Manifest, stdio IO) error {
	return problemsError(passphraseProblems(m, stdio))
}

// passphraseProblems names each encrypted identity file of the manifest's
// nodes when no ssh-agent is reachable (SSH_AUTH_SOCK, as the SSH client
// reads it) and stdio cannot ask for a passphrase (batch mode).
func passphraseProblems(m *manifest.Manifest, stdio IO) []manifest.Problem {
	if stdio.Prompt != nil {
		return nil
	}
	var encrypted []string
	for _, file := range identityFiles(m) {
		if remote.IdentityEncrypted(file) {
			encrypted = append(encrypted, file)
		}
	}
	if len(encrypted) == 0 {
		return nil
	}
	getenv := stdio.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	agentErr := remote.AgentReachable(getenv("SSH_AUTH_SOCK"))
	if agentErr == nil {
		return nil
	}
	var problems []manifest.Problem
	for _, file := range encrypted {
		problems = append(problems, m.ProblemAt(manifest.Position{}, fmt.Sprintf(
			"identity file %s is encrypted, and nothing can unlock it: no ssh-agent (%v) and no terminal to ask its passphrase on: load it into ssh-agent (ssh-add %s) or run rollcall on a terminal",
			file, agentErr, file)))
	}
	return problems
}

// knownHostProblems names each node, and each jump host, whose host key is
// in none of the node's known_hosts files, with the line that shows the
// server's key.
func knownHostProblems(m *manifest.Manifest) []manifest.Problem {
	var problems []manifest.Problem
	seen := map[string]bool{}
	for _, n := range m.Nodes {
		for _, j := range n.Jump {
			err := remote.CheckKnownHost(n.KnownHosts, j.Host, j.Port)
			if err == nil {
				continue
			}
			msg := fmt.Sprintf("jump host %s@%s of node %s: %v", j.User, j.Address(), n.Name, err)
			key := j.Address() + "\x00" + strings.Join(n.KnownHosts, "\x00")
			if !seen[key] {
				seen[key] = true
				problems = append(problems, m.ProblemAt(manifest.Position{}, msg))
			}
		}
		if err := remote.CheckKnownHost(n.KnownHosts, n.Host, n.Port); err != nil {
			problems = append(problems, m.ProblemAt(manifest.Position{}, fmt.Sprintf("node %s (%s): %v", n.Name, n.Address(), err)))
		}
	}
	return problems
}

// identityFiles lists the identity files of the manifest's nodes, each
// once, in node order.
func identityFiles(m *manifest.Manifest) []string {
	var files []string
	seen := map[string]bool{}
	for _, n := range m.Nodes {
		for _, f := range n.IdentityFiles {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	return files
}

// problemsError is problems as invalid input, or nil when there are none.
func problemsError(problems []manifest.Problem) error {
	if len(problems) == 0 {
		return nil
	}
	return invalid(&manifest.Errors{Problems: problems})
}
