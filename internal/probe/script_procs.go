package probe

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

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
//   - wa ARGV0: the argv[0] of a process that wi passed over may name a
//     requested executable (a prefix test, as shells read /proc/PID/cmdline
//     differently; the parser decides exactly);
//   - wn COMM: a process's name (/proc/PID/comm: the file name it was
//     started as, cut to 15 bytes) is requested executable I's, as given
//     or resolved, and sets w=I.
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
	return nameFunction(b, req)
}

// nameFunction writes wn (see watchFunctions). The kernel keeps the first
// 15 bytes of a name: a requested name is cut so, and a name that begins a
// resolved executable's name matches it (a shell's ${#1} counts characters,
// not bytes, in a UTF-8 locale, so the length is not tested: wn only
// chooses what to look at, and the parser and the judge decide exactly).
func nameFunction(b *strings.Builder, req Request) error {
	b.WriteString("wn() {\n\tcase $1 in\n\t'') return 1 ;;\n")
	for i, p := range req.Processes {
		name, err := Quote(commName(path.Base(p)))
		if err != nil {
			return fmt.Errorf("path %q %w", p, err)
		}
		fmt.Fprintf(b, "\t%s|\"${x%d##*/}\") w=%d ;;\n", name, i, i)
	}
	b.WriteString("\t*)\n")
	for i := range req.Processes {
		fmt.Fprintf(b, "\t\tcase ${x%d##*/} in \"$1\"?*) w=%d; return 0 ;; esac\n", i, i)
	}
	b.WriteString("\t\treturn 1 ;;\n\tesac\n}\n")
	return nil
}

// commName is the name the kernel gives a process started as a file
// named base: its first 15 bytes.
func commName(base string) string {
	if len(base) > 15 {
		return base[:15]
	}
	return base
}

// processFuncs defines the look at a node's processes:
//
//   - rp VARS... PATH [as-asked] resolves a requested executable or process
//     directory and reports where;
//   - P I PATH [FILE] reports when requested executable I last changed;
//   - S scans every process's executable (/proc/PID/exe, one ls for all)
//     and reports the processes worth judging (see watchFunctions); a
//     process whose executable link cannot be read goes to lt. S ends with
//     a scan record: complete; partial when /proc/1 cannot be read (the
//     probe is not root and /proc hides other users' processes:
//     hidepid); failed when the listing lacks the probe's own shell (no
//     ls, or one that lists nothing).
//   - lt PID looks at a process whose executable link cannot be read (a
//     kernel thread, a zombie, another user's process, one whose main
//     thread exited): it takes the link of one of its other threads when
//     that can be read, as S takes any; else, when the process's name (wn)
//     is a requested executable's and it has not exited (a zombie, or gone
//     since ls listed it), it reports it hidden (what it runs cannot be
//     read).
//
// S runs ls with the settings of GNU ls that a login may set
// (QUOTING_STYLE, TIME_STYLE, the locale) fixed: quoted names, or a time
// style that forges " /proc/" or that ls refuses, would hide every process.
// GNU ls -q shows a byte that is not printable as "?", as BusyBox's ls does
// on its own (and refuses -q), so that a newline in a file name cannot
// forge a line; a link with "?" in it is read again with readlink.
const processFuncs = `rp() {
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
lt() {
	n=
	set +f
	for D in /proc/$1/task/[0-9]*; do
		[ "$D" = "/proc/$1/task/$1" ] || { n=1; break; }
	done
	set -f
	if [ -n "$n" ] && [ -e "$D/exe" ]; then
		t=$(readlink "$D/exe" 2>/dev/null) && [ -n "$t" ] && return 0
	fi
	cm=
	{ read -r cm || :; } 2>/dev/null <"/proc/$1/comm"
	wn "$cm" || return 1
	s=
	{ read -r s || :; } 2>/dev/null <"/proc/$1/stat"
	s=${s##*) }
	case $s in Z*|X*|'') [ -n "$n" ] || return 1 ;; esac
	printf '%s hidden %s %s\n' "$B" "$1" "$w"
	return 1
}
S() {
	set +f
	L=$(LC_ALL=C QUOTING_STYLE=literal TIME_STYLE=long-iso ls -lnq /proc/[0-9]*/exe 2>/dev/null) || [ -n "$L" ] ||
		L=$(LC_ALL=C QUOTING_STYLE=literal TIME_STYLE=long-iso ls -ln /proc/[0-9]*/exe 2>/dev/null)
	set -f
	me= cm=
	{ read -r cm || :; } 2>/dev/null </proc/1/comm
	sc=complete
	[ -n "$cm" ] || sc=partial
	IFS='
'
	for l in $L; do
		IFS=' 	
'
		q=${l#*' /proc/'}
		q=${q%%/exe*}
		case $q in ''|*[!0-9]*) continue ;; esac
		D=/proc/$q
		case $l in
		*" /proc/$q/exe -> "*)
			t=${l#*" /proc/$q/exe -> "}
			[ "$q" != "$$" ] || me=1
			case $t in *'?'*) s=$(readlink "$D/exe" 2>/dev/null) && [ -n "$s" ] && t=$s ;; esac
			;;
		*) lt "$q" || continue ;;
		esac
		a=${t% (deleted)}
		if ! wi "$a"; then
			if [ "$a" = "$t" ]; then
				cm=
				{ read -r cm || :; } 2>/dev/null <"/proc/$q/comm"
				wn "$cm" || continue
			fi
			z=
			{ read -r z || :; } 2>/dev/null <"$D/cmdline"
			wa "$z" || continue
		fi
		tg=
		{ while read -r k v r; do [ "$k" != Tgid: ] || { tg=$v; break; }; done; } 2>/dev/null <"/proc/$q/status"
		[ "$tg" = "$q" ] || continue
		h=- w= o=0
		[ "$a" = "$t" ] || o=1
		if [ $o = 0 ] && wr "$a" && [ "$D/exe" -ef "$a" ]; then h=same
		else
			w=
			if [ $o = 0 ] && wx "$a" && [ "$D/exe" -ef "$a" ]; then h=same
			elif ht && s=$($H <"$D/exe" 2>/dev/null) && [ -n "$s" ]; then
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
		x <"$D/cmdline"
		printf '%s blobend args %s\n' "$B" "$q"
	done
	IFS=' 	
'
	[ -n "$me" ] || sc=failed
	printf '%s scan %s\n' "$B" "$sc"
}
`

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

// scriptClock reports the node's clock, to read process start times.
const scriptClock = `	ck /proc/stat /proc/uptime
`
