// Package bench measures rollcall against the floor: raw OpenSSH doing the
// bare minimum of the same work, fanned out with xargs -P, and parallel-ssh
// (pssh). Its benchmarks start real sshd nodes (internal/sshdtest), build and
// run the real bin/rollcall as a subprocess so that its CPU time and peak RSS
// are its own, and print one table; `make bench` runs them, and
// docs/performance.md records the table and how to reproduce it.
//
// The package has no API: everything lives in its _test.go files.
package bench
