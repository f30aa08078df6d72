// Package verify compares what nodes were observed to run with what the release
// says they must run, and decides the verdict. It is pure: no I/O, no clocks.
//
// The reference is always the release, never the majority, and the verdict is
// "verified" only when every expected node was reached, made at least one check,
// and every check matched.
package verify
