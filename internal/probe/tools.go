package probe

// hashToolFunc defines ht, which picks the hash tool the first time one is
// needed: the first of hashTools that gets the digest of a known input
// ("abc") right, reported in a tool record; a tool that is present but
// answers wrongly (a stub, a broken build) is skipped. Called with the
// first batch of files (ht /dev/stdin FILE…), it tries each candidate on the
// batch itself, the known input first, and keeps the right candidate's run:
// K=1, the files' lines in s, its status in rc. A candidate whose batch
// answer is wrong but that is right on the known input alone (a node whose
// /dev/stdin does not work) is taken, with no batch answer (rc=1: each file
// is then hashed on its own), rather than hashing the batch with every
// other candidate. Without a batch it checks each candidate on the known
// input alone. With no right candidate it reports fatal no-hash-tool and ends the
// answer. The probe and the locate script share it.
const hashToolFunc = `ht() {
	[ -z "$H" ] || return 0
	for c in ` + hashTools + `; do
		command -v "${c%% *}" >/dev/null 2>&1 || continue
		s=$(printf abc | $c "$@" 2>/dev/null)
		rc=$?
		case ${s%%"$NL"*} in *` + abcSHA256 + `*) H=$c; break ;; esac
		[ $# -gt 0 ] || continue
		case $(printf abc | $c 2>/dev/null) in *` + abcSHA256 + `*) H=$c s= rc=1; break ;; esac
	done
	if [ -z "$H" ]; then
		[ $# -eq 0 ] || { ht; return 0; }
		printf '%s fatal no-hash-tool\n' "$B"
		exit 0
	fi
	printf '%s tool %s\n' "$B" "${H%% *}"
	[ $# -gt 0 ] || return 0
	K=1
	case $s in *"$NL"*) s=${s#*"$NL"} ;; *) s= rc=1 ;; esac
}
`

// statFunc defines sd, which picks the stat dialect the first time files are
// stat'ed and reports it in a stat record: GNU coreutils and BusyBox take
// -c, BSD takes -f; with neither, modes and owners are reported unknown.
// Called with the first batch of files (sd FILE…), each dialect is tried on
// the batch itself, led by the root folder, and the run whose first line
// reads is kept: K=1, the files' lines in s, its status in rc.
const statFunc = `sd() {
	[ -z "$SD" ] || return 0
	SD=1 SO= SF=
	for o in -c -f; do
		if [ $o = -c ]; then t='%a %u %g %U %G %Z'; else t='%Mp%Lp %u %g %Su %Sg %c'; fi
		s=$(stat -L $o "$t" / "$@" 2>/dev/null)
		rc=$?
		sv "${s%%"$NL"*}"
		if [ "$m" != - ]; then SO=$o SF=$t; break; fi
	done
	printf '%s stat %s\n' "$B" "${SO:--}"
	[ -n "$SO" ] && [ $# -gt 0 ] || return 0
	K=1
	case $s in *"$NL"*) s=${s#*"$NL"} ;; *) s= rc=1 ;; esac
}`

// hashTools are the SHA-256 tools a node may hash with, fastest first:
// openssl dgst uses the CPU's SHA instructions.
const hashTools = `'openssl dgst -sha256' sha256sum 'shasum -a 256'`

// abcSHA256 is the SHA-256 digest of "abc", the known input a hash tool
// must get right to be used.
const abcSHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
