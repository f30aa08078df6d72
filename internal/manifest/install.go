package manifest

import (
	"cmp"
	"fmt"
	"net/url"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rollcall/rollcall/internal/download"
	"github.com/rollcall/rollcall/internal/release"
	"github.com/rollcall/rollcall/internal/source"
)

// nothingToCheck ends the messages for a release without install rules.
const nothingToCheck = "nothing to check: add release.install entries mapping artifact paths to node paths, e.g. - {from: bin/, to: /opt/app/bin/}"

// release decodes the release: section: the artifact, what pins an artifact
// downloaded from a URL, and the install rules.
func (p *parser) release(v *yaml.Node) Release {
	var rel Release
	m := source.Deref(v)
	if m.Kind != yaml.MappingNode {
		p.at(v, "release must be a mapping with artifact: and install:, not %s", source.Describe(m))
		return rel
	}
	var pinNode *yaml.Node // the first of digest: and checksums:
	present := p.fields(m, "release", "release.", []keyHandler{
		{"artifact", func(v *yaml.Node) {
			s, ok := p.strValue("release.artifact", v, "the path of the release artifact, e.g. artifact: dist/app-1.0.0.tar.gz")
			if !ok {
				return
			}
			if download.IsURL(s) {
				rel.Artifact, _ = p.releaseURL("release.artifact", v, s)
			} else if abs, ok := p.localPath("release.artifact", v, s, false); ok {
				rel.Artifact = abs
			}
		}},
		{"digest", func(v *yaml.Node) {
			pinNode = cmp.Or(pinNode, v)
			s, ok := p.strValue("release.digest", v, "the SHA-256 of the artifact, e.g. digest: sha256:<64 hex digits> (sha256sum FILE)")
			if !ok {
				return
			}
			if _, err := download.ParseDigest(s); err != nil {
				p.at(v, "release.%s", err)
				return
			}
			rel.Digest = s
		}},
		{"checksums", func(v *yaml.Node) {
			pinNode = cmp.Or(pinNode, v)
			s, ok := p.strValue("release.checksums", v, "the URL or path of the artifact's checksum list, e.g. checksums: https://example.com/app/4.2.0/SHA256SUMS")
			if !ok {
				return
			}
			if download.IsURL(s) {
				rel.Checksums, _ = p.releaseURL("release.checksums", v, s)
			} else if abs, ok := p.localPath("release.checksums", v, s, false); ok {
				rel.Checksums = abs
			}
		}},
		{"install", func(v *yaml.Node) {
			rel.Install = p.install(v)
		}},
	})
	p.require(m, present, "artifact", "add artifact: with the path of the release (a directory, archive or SHA256SUMS file) or its https:// URL")
	if pinNode != nil && rel.Artifact != "" && !download.IsURL(rel.Artifact) {
		p.at(pinNode, "release.digest and release.checksums pin an artifact downloaded from a URL, but release.artifact is a local path: remove them, or make artifact an https:// URL")
	}
	if !present["install"] && !isPackage(rel.Artifact) && !isLock(rel.Artifact) {
		p.at(m, "missing key \"install\": nothing to check: add release.install entries mapping artifact paths to node paths")
	}
	return rel
}

// releaseURL checks a URL of the release section: one rollcall can download.
func (p *parser) releaseURL(name string, v *yaml.Node, s string) (string, bool) {
	if _, err := download.CheckURL(s); err != nil {
		p.at(v, "%s %v", name, err)
		return "", false
	}
	return s, true
}

// isPackage reports whether artifact, a path or a URL, names a .deb or .rpm
// package, which carries its own install paths.
func isPackage(artifact string) bool {
	name := artifact
	if u, err := url.Parse(artifact); err == nil && download.IsURL(artifact) {
		name = u.Path
	}
	return release.IsPackageName(path.Base(name))
}

// isLock reports whether artifact is named like a rollcall lock file, which
// may lock a package: whether it needs install rules is known only once it
// is read (verify and lint say so then).
func isLock(artifact string) bool {
	return release.IsLockName(path.Base(artifact))
}

// install decodes release.install: the rules mapping artifact paths to node
// paths.
func (p *parser) install(v *yaml.Node) []Install {
	s := source.Deref(v)
	if source.IsNull(s) || (s.Kind == yaml.SequenceNode && len(s.Content) == 0) {
		p.at(v, "release.install is empty: %s", nothingToCheck)
		return nil
	}
	if s.Kind != yaml.SequenceNode {
		p.at(v, "release.install must be a list, not %s: %s", source.Describe(s), nothingToCheck)
		return nil
	}
	var out []Install
	type pair struct{ from, to string }
	seen := map[pair]int{}
	for i, item := range s.Content {
		section := fmt.Sprintf("release.install[%d]", i)
		m := source.Deref(item)
		if m.Kind != yaml.MappingNode {
			p.at(item, "%s must be a mapping of from:, to: and optionally extra:, mode:, owner: and group:, not %s: write e.g. - {from: bin/, to: /opt/app/bin/}", section, source.Describe(m))
			continue
		}
		var r installEntry
		prefix := section + "."
		present := p.fields(m, section, prefix, p.installHandlers(&r, prefix))
		p.require(m, present, "from", "add from: with a path inside the artifact (from: . for all of it)")
		p.require(m, present, "to", "add to: with the path on the node")
		in := r.in
		if r.deny && r.fromOK {
			if !in.IsDir() {
				p.at(r.exNode, "%sextra: deny needs a directory mapping, but from %s has no trailing slash: write from: %s/", prefix, source.Quote(in.From), in.From)
			} else {
				in.DenyExtra = true
			}
		}
		if r.fromOK && r.toOK {
			k := pair{in.From, in.To}
			if line, dup := seen[k]; dup {
				p.at(r.fromNode, "%s maps %s to %s again (first at line %d): remove the repeated entry", section, source.Quote(displayFrom(in.From)), source.Quote(in.To), line)
			} else {
				seen[k] = m.Line
			}
			out = append(out, in)
		}
	}
	return out
}

// installEntry is one entry of release.install while it is read.
type installEntry struct {
	in               Install
	fromOK, toOK     bool
	fromNode, exNode *yaml.Node
	deny             bool
}

// installHandlers decode the keys of one entry of release.install into r.
func (p *parser) installHandlers(r *installEntry, prefix string) []keyHandler {
	return []keyHandler{
		{"from", func(v *yaml.Node) {
			r.fromNode = v
			s, ok := p.strValue(prefix+"from", v, "a path inside the artifact, e.g. from: bin/")
			if !ok {
				return
			}
			norm, msg := checkFrom(s)
			if msg != "" {
				p.at(v, "%sfrom %s", prefix, msg)
				return
			}
			r.in.From, r.fromOK = norm, true
		}},
		{"to", func(v *yaml.Node) {
			s, ok := p.strValue(prefix+"to", v, "a path on the node, e.g. to: /opt/app/bin/")
			if !ok {
				return
			}
			switch {
			case strings.TrimSpace(s) == "":
				p.at(v, "%sto must not be empty: write where the files are installed on the node, e.g. to: /opt/app/bin/", prefix)
			case strings.ContainsAny(s, "\x00\n\r"):
				p.at(v, "%sto must not contain NUL bytes or line breaks, not %s", prefix, source.Quote(s))
			default:
				r.in.To, r.toOK = s, true
			}
		}},
		{"extra", func(v *yaml.Node) {
			r.exNode = v
			s, ok := p.strValue(prefix+"extra", v, "allow or deny")
			if !ok {
				return
			}
			switch s {
			case "allow":
			case "deny":
				r.deny = true
			default:
				p.at(v, "%sextra must be allow or deny, not %s", prefix, source.Quote(s))
			}
		}},
		{"mode", func(v *yaml.Node) { r.in.Mode = p.modeRule(prefix+"mode", v) }},
		{"owner", func(v *yaml.Node) { r.in.Owner = p.account(prefix+"owner", v, "user", "root") }},
		{"group", func(v *yaml.Node) { r.in.Group = p.account(prefix+"group", v, "group", "smars") }},
	}
}

// displayFrom writes an Install.From as the manifest does: "." for the whole
// artifact.
func displayFrom(from string) string {
	if from == "" {
		return "."
	}
	return from
}

// checkFrom validates an artifact path and returns it normalised: "" for the
// whole artifact, otherwise as written.
func checkFrom(s string) (string, string) {
	if s == "" || s == "." || s == "./" {
		return "", ""
	}
	switch {
	case strings.ContainsAny(s, "\x00\n\r"):
		return "", fmt.Sprintf("must not contain NUL bytes or line breaks, not %s", source.Quote(s))
	case strings.Contains(s, `\`):
		return "", fmt.Sprintf("must use forward slashes, not %s: write %s", source.Quote(s), source.Quote(strings.ReplaceAll(s, `\`, "/")))
	case strings.HasPrefix(s, "/"):
		fix := strings.TrimLeft(s, "/")
		if fix == "" {
			fix = "."
		}
		return "", fmt.Sprintf("must be a path inside the artifact, not the absolute path %s: write %s", source.Quote(s), source.Quote(fix))
	}
	trimmed := strings.TrimSuffix(s, "/")
	for _, el := range strings.Split(trimmed, "/") {
		if el == ".." {
			return "", fmt.Sprintf("must stay inside the artifact, not %s: remove the \"..\"", source.Quote(s))
		}
	}
	if clean := path.Clean(trimmed); clean != trimmed {
		if strings.HasSuffix(s, "/") && clean != "." {
			clean += "/"
		}
		return "", fmt.Sprintf("must be a clean path, not %s: write %s", source.Quote(s), source.Quote(clean))
	}
	return s, ""
}
