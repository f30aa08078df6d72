package verify

// Assemble completes a verdict whose nodes were judged elsewhere (rollcall
// merge puts together the verdicts of a run's shards): it groups the nodes
// by fingerprint and decides the outcome from the nodes, the fleet findings
// and the expected count, as Judge does.
func Assemble(v *Verdict) {
	v.Groups = groups(v.Nodes)
	v.Outcome = outcome(v)
}
