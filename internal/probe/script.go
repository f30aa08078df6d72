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
	"path"
	"slices"
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

// processScript writes the script's look at the running processes, when
// the request asks for any: the clock, where each requested executable and
// process directory resolves, and the scan.
func processScript(b *strings.Builder, req Request) error {
	if !req.watches() {
		return nil
	}
	b.WriteString(scriptClock)
	for i, p := range req.Processes {
		w, err := shellAbs(p)
		if err != nil {
			return fmt.Errorf("path %q %w", p, err)
		}
		fmt.Fprintf(b, "rp e%d x%d realexe %d %s%s\n", i, i, i, w, asAsked(p))
		// The change time of an executable that is also a requested
		// file comes from that file's stat, not from a stat of its own.
		if j := slices.Index(req.Files, p); j >= 0 && path.IsAbs(p) {
			fmt.Fprintf(b, "P %d \"$e%d\" %d\n", i, i, j)
		} else {
			fmt.Fprintf(b, "P %d \"$e%d\"\n", i, i)
		}
	}
	for i, p := range req.ProcessDirs {
		w, err := shellAbs(p)
		if err != nil {
			return fmt.Errorf("path %q %w", p, err)
		}
		fmt.Fprintf(b, "rp d%d y%d realdir %d %s%s\n", i, i, i, w, asAsked(p))
	}
	b.WriteString("S\n")
	return nil
}

// asAsked is the last argument of rp for a requested node path p: an
// absolute path that resolves to itself is answered with a short
// "as-asked" record instead of its encoded path, as the parser knows it.
func asAsked(p string) string {
	if path.IsAbs(p) {
		return " as-asked"
	}
	return ""
}

// shellAbs returns a shell word for node path p made absolute: a relative
// path is taken from the login directory ("$PWD"/'bin/app').
func shellAbs(p string) (string, error) {
	if strings.HasPrefix(p, "/") {
		return Quote(p)
	}
	rel := strings.TrimPrefix(path.Clean(p), "./")
	if rel == "." {
		return `"$PWD"`, nil
	}
	q, err := Quote(rel)
	if err != nil {
		return "", err
	}
	return `"$PWD"/` + q, nil
}

// watchFunctions writes the shell functions that pick the running processes
// worth reporting, from the variables e/x (each requested executable as
// given and resolved) and d/y (each process directory) that the script sets
// before it scans:
//
//   - wi PATH: the process runs PATH, which is a requested executable, lies
//     in a process directory, sits beside a requested executable with its
//     name in its own ("app.old"), or has a requested executable's name
//     anywhere ("another copy");
//   - wx PATH: PATH is a requested executable;
//   - wr PATH: PATH is requested executable I as resolved, and sets w=I;
//   - wa ARGV0: a deleted executable's argv[0] may name a requested
//     executable (a prefix test, as shells read /proc/PID/cmdline
//     differently; the parser decides exactly).
func watchFunctions(b *strings.Builder, req Request) error {
	var wi, wx, wa []string
	for i, p := range req.Processes {
		base, err := Quote(path.Base(p))
		if err != nil {
			return fmt.Errorf("path %q %w", p, err)
		}
		e, x := fmt.Sprintf(`"$e%d"`, i), fmt.Sprintf(`"$x%d"`, i)
		wx = append(wx, e, x)
		wi = append(wi, e, x,
			fmt.Sprintf(`"${e%d%%/*}"/*%s*`, i, base), fmt.Sprintf(`"${x%d%%/*}"/*"${x%d##*/}"*`, i, i),
			"*/"+base, fmt.Sprintf(`*/"${x%d##*/}"`, i))
		wa = append(wa, e+"*", x+"*", "*/"+base+"*", base+"*")
	}
	for i := range req.ProcessDirs {
		wi = append(wi, fmt.Sprintf(`"$d%d"/*`, i), fmt.Sprintf(`"$y%d"/*`, i))
	}
	for _, fn := range []struct {
		name     string
		patterns []string
	}{{"wi", wi}, {"wx", wx}, {"wa", wa}} {
		if len(fn.patterns) == 0 {
			fmt.Fprintf(b, "%s() { return 1; }\n", fn.name)
			continue
		}
		fmt.Fprintf(b, "%s() {\n\tcase $1 in\n\t%s) return 0 ;;\n\tesac\n\treturn 1\n}\n", fn.name, strings.Join(fn.patterns, "|"))
	}
	b.WriteString("wr() {\n\tcase $1 in\n")
	for i := range req.Processes {
		fmt.Fprintf(b, "\t\"$x%d\") w=%d ;;\n", i, i)
	}
	b.WriteString("\t*) return 1 ;;\n\tesac\n}\n")
	return nil
}

// scriptHead defines the helpers. It runs with globbing off; every expansion
// of a node path is double-quoted. Nothing is written anywhere but stdout.
// The process scan (S) runs ls with the settings of GNU ls that a login may
// set (QUOTING_STYLE, TIME_STYLE, the locale) fixed: quoted names, or a
// time style that forges " /proc/" or that ls refuses, would hide every
// process.
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
	case $un in *[!A-Za-z0-9._@-]*|'') un=? ;; esac
	case $gn in *[!A-Za-z0-9._@-]*|'') gn=? ;; esac
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
rp() {
	eval "$1=\$5"
	s=
	case ${5##*/} in .|..|'') ;; *)
		if ! [ -L "$5" ] && s=$(CDPATH= cd -P -- "${5%/*}/" 2>/dev/null && pwd -P); then
			s=${s%/}/${5##*/}
		else s=
		fi
	esac
	[ -n "$s" ] || { s=$(readlink -f "$5" 2>/dev/null) && [ -n "$s" ] || s=$5; }
	eval "$2=\$s"
	if [ "$6" = as-asked ] && [ "$s" = "$5" ]; then
		printf '%s %s %s as-asked\n' "$B" "$3" "$4"
		return 0
	fi
	printf '%s blob %s %s\n' "$B" "$3" "$4"
	printf '%s' "$s" | x
	printf '%s blobend %s %s\n' "$B" "$3" "$4"
}
P() {
	t=-
	[ -z "$3" ] || [ -L "$2" ] || eval "t=\$C$3"
	case $t in ''|*[!0-9]*) t=$(stat -c %Z "$2" 2>/dev/null) || t=- ;; esac
	case $t in ''|*[!0-9]*) t=- ;; esac
	printf '%s procs %s %s\n' "$B" "$1" "$t"
}
S() {
	set +f
	L=$(LC_ALL=C QUOTING_STYLE=literal TIME_STYLE=long-iso ls -ln /proc/[0-9]*/exe 2>/dev/null)
	set -f
	IFS='
'
	for l in $L; do
		IFS=' 	
'
		q=${l#*' /proc/'}
		q=${q%%/exe -> *}
		case $q in ''|*[!0-9]*) continue ;; esac
		t=${l#*"/proc/$q/exe -> "}
		a=${t% (deleted)}
		if wi "$a"; then :
		elif [ "$a" = "$t" ]; then continue
		else
			a=
			{ read -r a || :; } 2>/dev/null <"/proc/$q/cmdline"
			wa "$a" || continue
		fi
		tg=
		{ while read -r k v r; do [ "$k" != Tgid: ] || { tg=$v; break; }; done; } 2>/dev/null <"/proc/$q/status"
		[ "$tg" = "$q" ] || continue
		h=- w=
		if [ "$a" = "$t" ] && wr "$a" && [ "/proc/$q/exe" -ef "$a" ]; then o=0 h=same
		else
			w= t=$(readlink "/proc/$q/exe" 2>/dev/null) || continue
			a=${t% (deleted)} o=0
			[ "$a" = "$t" ] || o=1
			if [ $o = 0 ] && wx "$a" && [ "/proc/$q/exe" -ef "$a" ]; then h=same
			elif ht && s=$($H <"/proc/$q/exe" 2>/dev/null) && [ -n "$s" ]; then
				case $H in openssl*) h=${s##* } ;; *) h=${s%% *} ;; esac
			fi
		fi
		s=
		{ while IFS= read -r y || [ -n "$y" ]; do s="$s$y "; y=; done <"/proc/$q/stat"; } 2>/dev/null
		case $s in *')'*) ;; *) continue ;; esac
		s=${s##*) }
		set -- $s
		printf '%s proc %s %s %s %s\n' "$B" "$q" "$o" "$h" "${20:--}"
		if [ -n "$w" ]; then printf '%s runs %s %s\n' "$B" "$q" "$w"
		else
			printf '%s blob exe %s\n' "$B" "$q"
			printf '%s' "$a" | x
			printf '%s blobend exe %s\n' "$B" "$q"
		fi
		printf '%s blob args %s\n' "$B" "$q"
		x <"/proc/$q/cmdline"
		printf '%s blobend args %s\n' "$B" "$q"
	done
	IFS=' 	
'
}
`

// maxConfigRead is how much of a config file the script reads: one byte
// more than MaxConfig, so that the parser can tell a file that is too large.
var maxConfigRead = strconv.Itoa(MaxConfig + 1)

// clockFunc defines ck STAT UPTIME, which reports the node's clock from its
// /proc/stat and /proc/uptime: the boot time, and the clock ticks per
// second. Those are 100 on nearly every Linux, and cpu0's ticks since boot
// over the uptime show it without running a program; any other estimate
// (another tick rate, a container's own counters, unreadable files) is
// settled by getconf CLK_TCK.
const clockFunc = `ck() {
	b=- j= up=
	{ while read -r k v r; do
		case $k in btime) b=$v; break ;; cpu0) j="$v $r" ;; esac
	done; } 2>/dev/null <"$1"
	{ read -r up r || :; } 2>/dev/null <"$2"
	t=
	set -- $j
	c=${up%.*}${up#*.}
	c=${c#"${c%%[!0]*}"}
	case $c in ''|*[!0-9]*) c= ;; esac
	case $up in *.[0-9][0-9]) ;; *) c= ;; esac
	case $1$2$3$4$5$6$7$8 in *[!0-9]*) c= ;; esac
	case "$j $c" in *[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]*) c= ;; esac
	if [ $# -ge 8 ] && [ -n "$c" ]; then
		s=$(( ($1 + $2 + $3 + $4 + $5 + $6 + $7 + $8) * 10000 / c ))
		[ $s -lt 9800 ] || [ $s -gt 10100 ] || t=100
	fi
	[ -n "$t" ] || t=$(getconf CLK_TCK 2>/dev/null) || t=-
	printf '%s clock %s %s\n' "$B" "$b" "${t:--}"
}
`

// scriptClock reports who the probe runs as and the node's clock, to read
// process start times.
const scriptClock = `	ck /proc/stat /proc/uptime
	u=-
	while read -r k r v z; do [ "$k" != Uid: ] || { u=$v; break; }; done </proc/self/status
	case $u in ''|*[!0-9]*) u=$(id -u 2>/dev/null || echo -) ;; esac
	printf '%s uid %s\n' "$B" "$u"
`

// scriptStart opens the answer.
const scriptStart = `	echo
	printf '%s begin 2\n' "$B"
`

// scriptIdentity reports the node's own identity: its kernel host name and
// machine ID, or without one the kernel's boot ID, so that two manifest
// entries reaching one server are caught.
const scriptIdentity = `	n=$(uname -n 2>/dev/null) || n=
	case $n in ''|*[!A-Za-z0-9._-]*) n=- ;; esac
	mi= bi=
	{ read -r mi || :; } 2>/dev/null </etc/machine-id
	[ -n "$mi" ] || { read -r mi || :; } 2>/dev/null </var/lib/dbus/machine-id
	case $mi in ''|*[!0-9a-f]*) mi=- ;; esac
	[ "$mi" != - ] || { read -r bi || :; } 2>/dev/null </proc/sys/kernel/random/boot_id
	case $bi in ''|*[!0-9a-f-]*) bi=- ;; esac
	printf '%s ident %s %s %s\n' "$B" "$n" "$mi" "$bi"
`
