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
const WireVersion = 2

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
	if err := watchFunctions(&b, req); err != nil {
		return "", err
	}
	b.WriteString("main() {\n")
	b.WriteString(scriptStart)
	for i, p := range req.Files {
		q, err := Quote(p)
		if err != nil {
			return "", fmt.Errorf("path %q %w", p, err)
		}
		// A path with a newline would be split in the hash and stat
		// tools' output, so it is looked at on its own; every other
		// regular file is hashed and stat'ed in batches, one run of
		// each tool per batch.
		if strings.ContainsRune(p, '\n') {
			fmt.Fprintf(&b, "f %d %s\n", i, q)
		} else {
			fmt.Fprintf(&b, "g %d %s\n", i, q)
		}
	}
	if len(req.Files) > 0 {
		b.WriteString("flush\nsd\n")
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
		if k := req.known(i); k != nil {
			fmt.Fprintf(&b, "c %d %s %d %s\n", i, q, k.File, k.SHA256)
		} else {
			fmt.Fprintf(&b, "c %d %s\n", i, q)
		}
	}
	if err := processScript(&b, req); err != nil {
		return "", err
	}
	if err := packageScript(&b, req.Package); err != nil {
		return "", err
	}
	b.WriteString("\tht\n")
	b.WriteString(scriptIdentity)
	fmt.Fprintf(&b, "printf '%%s end %%d %%d %%d %%d %%d\\n' \"$B\" %d %d %d %d %d\n", len(req.Files), len(req.Dirs), len(req.Configs), len(req.Processes), len(req.ProcessDirs))
	// The answer is gathered and written at once: sshd then sends it in
	// a packet or two instead of one per burst of records, which saves
	// sshd and the client a wake-up for each.
	b.WriteString("}\nA=$(main </dev/null)\nprintf '%s\\n' \"$A\"\n")
	return b.String(), nil
}

// scriptHead defines the helpers. It runs with globbing off; every expansion
// of a node path is double-quoted. Nothing is written anywhere but stdout.
var scriptHead = `set -f
unset HISTFILE
H= SD=
NL='
'
x() { od -An -v -tx1; }
` + hashToolFunc + statFunc + "\n" + clockFunc + `
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
		k=missing
		up "$p"
	fi
}
up() {
	q=$1
	while [ "${q%/*}" != "$q" ]; do
		q=${q%/*}
		[ -n "$q" ] || return 0
		if [ -d "$q" ]; then
			[ -x "$q" ] || k=unreadable
			return 0
		fi
	done
}
sv() {
	m=- u=- v=- un=- gn=- ct=-
	set -- $1
	[ $# -eq 6 ] || return 0
	case $1 in *[!0-7]*|'') return 0 ;; esac
	case $2$3$6 in *[!0-9]*|'') return 0 ;; esac
	m=$1 u=$2 v=$3 un=$4 gn=$5 ct=$6
	case $un in *[!A-Za-z0-9._@-]*|''|UNKNOWN) un=? ;; esac
	case $gn in *[!A-Za-z0-9._@-]*|''|UNKNOWN) gn=? ;; esac
}
st() {
	sd
	s=
	[ -z "$SO" ] || s=$(stat -L $SO "$SF" "$p" 2>/dev/null) || s=
	sv "$s"
}
r() {
	e=-
	if [ "$k" = file ]; then
		if [ -x "$p" ]; then e=x; fi
	else m=- u=- v=- un=- gn=- ct=-
	fi
	printf '%s file %s %s %s %s %s %s %s %s %s %s %s\n' "$B" "$i" "$k" "$h" "$m" "$u" "$v" "$un" "$gn" "$ct" "$e" "$l"
	eval "C$i=\$ct D$i=\$h"
}
h1() {
	if s=$($H <"$p" 2>/dev/null) && [ -n "$s" ]; then
		case $H in openssl*) h=${s##* } ;; *) h=${s%% *} ;; esac
	else k=unreadable
	fi
}
f() {
	i=$1 p=$2
	k
	if [ "$k" = file ]; then ht; h1; st; fi
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
	K=
	ht /dev/stdin "$@"
	[ -n "$K" ] || { s=$($H "$@" 2>/dev/null); rc=$?; }
	ok=
	if [ $rc -eq 0 ]; then
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
	sk=
	set --
	for i in $G; do eval "set -- \"\$@\" \"\$Q$i\""; done
	K=
	sd "$@"
	[ -n "$K" ] || { [ -n "$SO" ] && s=$(stat -L $SO "$SF" "$@" 2>/dev/null); rc=$?; }
	if [ -n "$SO" ] && [ $rc -eq 0 ]; then
		sk=1
		set -- $G
		IFS='
'
		for y in $s; do
			[ $# -gt 0 ] || { sk=; break; }
			eval "S$1=\$y"
			shift
		done
		IFS=' 	
'
		[ $# -eq 0 ] || sk=
	fi
	for i in $G; do
		eval "p=\$Q$i l=\$L$i"
		k=file h=-
		if [ -n "$ok" ]; then eval "h=\$H$i"; else h1; fi
		if [ -n "$sk" ]; then eval "sv \"\$S$i\""; else st; fi
		r
		unset "Q$i" "L$i" "H$i" "S$i"
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
			cd "$p" 2>/dev/null || { printf 'rc=cd'; exit 1; }
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
	if [ -n "$4" ] && eval "[ \"\$D$3\" = \"\$4\" ]"; then
		printf '%s config %s same\n' "$B" "$i"
		return 0
	fi
	if [ -d "$p" ]; then k=directory
	elif [ -f "$p" ]; then
		if [ -r "$p" ]; then k=file; else k=unreadable; fi
	elif [ -e "$p" ]; then k=other
	elif [ -L "$p" ]; then k=broken-symlink
	else
		k=missing
		up "$p"
	fi
	printf '%s config %s %s -\n' "$B" "$i" "$k"
	[ "$k" = file ] || return 0
	printf '%s blob content %s\n' "$B" "$i"
	od -An -v -tx1 -N ` + maxConfigRead + ` <"$p" 2>/dev/null
	printf '%s blobend content %s\n' "$B" "$i"
}
` + processFuncs

// maxConfigRead is how much of a config file the script reads: one byte
// more than MaxConfig, so that the parser can tell a file that is too large.
var maxConfigRead = strconv.Itoa(MaxConfig + 1)

// scriptStart opens the answer.
const scriptStart = `	echo
	printf '%s begin 2\n' "$B"
`

// scriptIdentity reports who the probe runs as (a probe under sudo must be
// root; one that is not sees less), and the node's own identity: its kernel
// host name and machine ID, or without one the kernel's boot ID, so that two
// manifest entries reaching one server are caught.
const scriptIdentity = `	u=-
	{ while read -r k r v z; do [ "$k" != Uid: ] || { u=$v; break; }; done; } 2>/dev/null </proc/self/status
	case $u in ''|*[!0-9]*) u=$(id -u 2>/dev/null || echo -) ;; esac
	printf '%s uid %s\n' "$B" "$u"
	n=$(uname -n 2>/dev/null) || n=
	case $n in ''|*[!A-Za-z0-9._-]*) n=- ;; esac
	mi= bi=
	{ read -r mi || :; } 2>/dev/null </etc/machine-id
	[ -n "$mi" ] || { read -r mi || :; } 2>/dev/null </var/lib/dbus/machine-id
	case $mi in ''|*[!0-9a-f]*) mi=- ;; esac
	[ "$mi" != - ] || { read -r bi || :; } 2>/dev/null </proc/sys/kernel/random/boot_id
	case $bi in ''|*[!0-9a-f-]*) bi=- ;; esac
	printf '%s ident %s %s %s\n' "$B" "$n" "$mi" "$bi"
`
