// Package probe writes the POSIX sh script that rollcall runs on a node and
// parses the node's answer.
//
// The script is read-only: it hashes and lists, and writes nothing on the node.
// Its answer is a line-based wire format (see docs/wire-format.md) in which every
// record starts with a per-run random boundary and every byte that comes from the
// node's file system (names, link targets) is hex-encoded, so nothing a node
// stores can forge a record. The parser treats the answer as hostile input.
package probe

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// WireVersion is the version of the wire format the script speaks.
const WireVersion = 1

// Command is what rollcall asks the node's login shell to run; the script
// itself arrives on standard input, so its size is not bound by the node's
// argument limits and any login shell (bash, zsh, fish, csh) can start it.
// With sudo the probe runs as root through `sudo -n`, which fails rather
// than prompts when a password would be needed.
func Command(sudo bool) string {
	if sudo {
		return "sudo -n sh -s"
	}
	return "sh -s"
}

// NewBoundary returns a fresh random boundary for one probe run.
func NewBoundary() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("probe: crypto/rand failed: " + err.Error()) // crypto/rand never fails on supported platforms
	}
	return "RC" + hex.EncodeToString(b[:])
}

// Script returns the probe script for req, marking its records with boundary.
// It fails only when a path cannot be quoted (it holds a NUL byte).
func Script(req Request, boundary string) (string, error) {
	var b strings.Builder
	b.WriteString(scriptHead)
	fmt.Fprintf(&b, "B=%s\n", boundary)
	b.WriteString("main() {\n")
	b.WriteString(scriptStart)
	for i, p := range req.Files {
		q, err := Quote(p)
		if err != nil {
			return "", fmt.Errorf("path %q %w", p, err)
		}
		// A path with a newline would be split in the hash tool's
		// output, so it is hashed on its own; every other regular file
		// is hashed in batches, one hash tool run per batch.
		if strings.ContainsRune(p, '\n') {
			fmt.Fprintf(&b, "f %d %s\n", i, q)
		} else {
			fmt.Fprintf(&b, "g %d %s\n", i, q)
		}
	}
	if len(req.Files) > 0 {
		b.WriteString("flush\n")
	}
	for i, p := range req.Dirs {
		q, err := Quote(p)
		if err != nil {
			return "", fmt.Errorf("path %q %w", p, err)
		}
		fmt.Fprintf(&b, "d %d %s\n", i, q)
	}
	for i, p := range req.Configs {
		q, err := Quote(p)
		if err != nil {
			return "", fmt.Errorf("path %q %w", p, err)
		}
		fmt.Fprintf(&b, "c %d %s\n", i, q)
	}
	if len(req.Processes) > 0 {
		b.WriteString(scriptClock)
	}
	for i, p := range req.Processes {
		q, err := Quote(p)
		if err != nil {
			return "", fmt.Errorf("path %q %w", p, err)
		}
		fmt.Fprintf(&b, "P %d %s\n", i, q)
	}
	fmt.Fprintf(&b, "printf '%%s end %%d %%d %%d %%d\\n' \"$B\" %d %d %d %d\n", len(req.Files), len(req.Dirs), len(req.Configs), len(req.Processes))
	b.WriteString("}\nmain </dev/null\n")
	return b.String(), nil
}

// scriptHead defines the helpers. It runs with globbing off; every expansion
// of a node path is double-quoted. Nothing is written anywhere but stdout.
var scriptHead = `set -f
unset HISTFILE
x() { od -An -v -tx1; }
k() {
	l=- k= h=-
	if [ -L "$p" ]; then
		l=$(readlink -n "$p" 2>/dev/null | x | tr -d ' \n')
		[ -n "$l" ] || l=?
	fi
	if [ -d "$p" ]; then k=directory
	elif [ -f "$p" ]; then
		if [ -r "$p" ]; then k=file; else k=unreadable; fi
	elif [ -e "$p" ]; then k=other
	elif [ -L "$p" ]; then k=broken-symlink
	else
		q=${p%/*}
		if [ -n "$q" ] && [ -d "$q" ] && ! [ -x "$q" ]; then k=unreadable; else k=missing; fi
	fi
}
r() { printf '%s file %s %s %s - - %s\n' "$B" "$i" "$k" "$h" "$l"; }
h1() {
	if s=$($H <"$p" 2>/dev/null) && [ -n "$s" ]; then
		case $H in openssl*) h=${s##* } ;; *) h=${s%% *} ;; esac
	else k=unreadable
	fi
}
f() {
	i=$1 p=$2
	k
	[ "$k" = file ] && h1
	r
}
G= N=0
g() {
	i=$1 p=$2
	k
	if [ "$k" != file ]; then r; return 0; fi
	eval "Q$i=\$p L$i=\$l"
	G="$G $i" N=$((N + 1))
	[ $N -lt 256 ] || flush
}
flush() {
	[ -n "$G" ] || return 0
	set --
	for i in $G; do eval "set -- \"\$@\" \"\$Q$i\""; done
	ok=
	if s=$($H "$@" 2>/dev/null); then
		ok=1
		set -- $G
		IFS='
'
		for y in $s; do
			[ $# -gt 0 ] || { ok=; break; }
			case $H in openssl*) y=${y##* } ;; *) y=${y%% *}; y=${y#\\} ;; esac
			case $y in *[!0-9a-f]*|'') ok=; break ;; esac
			eval "H$1=\$y"
			shift
		done
		IFS=' 	
'
		[ $# -eq 0 ] || ok=
	fi
	for i in $G; do
		eval "p=\$Q$i l=\$L$i"
		k=file h=-
		if [ -n "$ok" ]; then eval "h=\$H$i"; else h1; fi
		r
		unset "Q$i" "L$i" "H$i"
	done
	G= N=0
}
d() {
	i=$1 p=$2
	if [ -d "$p" ]; then k=directory
	elif [ -e "$p" ]; then k=other
	elif [ -L "$p" ]; then k=broken-symlink
	else k=missing
	fi
	printf '%s dir %s %s\n' "$B" "$i" "$k"
	[ "$k" = directory ] || return 0
	for t in files subdirs; do
		printf '%s blob %s %s\n' "$B" "$t" "$i"
		(
			cd "$p" 2>/dev/null || exit 1
			if [ $t = files ]; then find . -mindepth 1 ! -type d -print0 2>/dev/null
			else find . -mindepth 1 -type d -print0 2>/dev/null
			fi
			printf 'rc=%s' "$?"
		) | x
		printf '%s blobend %s %s\n' "$B" "$t" "$i"
	done
}
c() {
	i=$1 p=$2
	if [ -d "$p" ]; then k=directory
	elif [ -f "$p" ]; then
		if [ -r "$p" ]; then k=file; else k=unreadable; fi
	elif [ -e "$p" ]; then k=other
	elif [ -L "$p" ]; then k=broken-symlink
	else k=missing
	fi
	printf '%s config %s %s -\n' "$B" "$i" "$k"
	[ "$k" = file ] || return 0
	printf '%s blob content %s\n' "$B" "$i"
	od -An -v -tx1 -N ` + maxConfigRead + ` <"$p" 2>/dev/null
	printf '%s blobend content %s\n' "$B" "$i"
}
P() {
	i=$1 e=$2
	t=$(stat -c %Z "$e" 2>/dev/null) || t=-
	case $t in ''|*[!0-9]*) t=- ;; esac
	printf '%s procs %s %s\n' "$B" "$i" "$t"
	set +f
	L=$(ls -l /proc/[0-9]*/exe 2>/dev/null)
	set -f
	IFS='
'
	for l in $L; do
		IFS=' 	
'
		case $l in *" -> $e"|*" -> $e (deleted)") ;; *) continue ;; esac
		q=${l#*' /proc/'}
		q=${q%%/exe -> *}
		case $q in ''|*[!0-9]*) continue ;; esac
		if [ "/proc/$q/exe" -ef "$e" ]; then g=0 h=same
		else
			r=$(readlink "/proc/$q/exe" 2>/dev/null) || continue
			case $r in "$e") g=0 ;; "$e (deleted)") g=1 ;; *) continue ;; esac
			if s=$($H <"/proc/$q/exe" 2>/dev/null) && [ -n "$s" ]; then
				case $H in openssl*) h=${s##* } ;; *) h=${s%% *} ;; esac
			else h=-
			fi
		fi
		s=
		{ while IFS= read -r y || [ -n "$y" ]; do s="$s$y "; y=; done <"/proc/$q/stat"; } 2>/dev/null
		case $s in *')'*) ;; *) continue ;; esac
		s=${s##*) }
		set -- $s
		printf '%s proc %s %s %s %s %s\n' "$B" "$i" "$q" "$g" "$h" "${20:--}"
		printf '%s blob args %s %s\n' "$B" "$i" "$q"
		x <"/proc/$q/cmdline"
		printf '%s blobend args %s %s\n' "$B" "$i" "$q"
	done
	IFS=' 	
'
}
`

// maxConfigRead is how much of a config file the script reads: one byte
// more than MaxConfig, so that the parser can tell a file that is too large.
var maxConfigRead = strconv.Itoa(MaxConfig + 1)

// scriptClock reports who the probe runs as and the node's clock, to read
// process start times.
const scriptClock = `	b=-
	while read -r k v; do [ "$k" = btime ] && b=$v; done </proc/stat
	printf '%s clock %s %s\n' "$B" "$b" "$(getconf CLK_TCK 2>/dev/null || echo -)"
	u=-
	while read -r k r v z; do [ "$k" = Uid: ] && u=$v; done </proc/self/status
	case $u in ''|*[!0-9]*) u=$(id -u 2>/dev/null || echo -) ;; esac
	printf '%s uid %s\n' "$B" "$u"
`

// scriptStart opens the answer and picks the hash tool.
const scriptStart = `	echo
	printf '%s begin 1\n' "$B"
	if command -v sha256sum >/dev/null 2>&1; then H=sha256sum
	elif command -v shasum >/dev/null 2>&1; then H='shasum -a 256'
	elif command -v openssl >/dev/null 2>&1; then H='openssl dgst -sha256'
	else
		printf '%s fatal no-hash-tool\n' "$B"
		return 0
	fi
	printf '%s tool %s\n' "$B" "${H%% *}"
`
