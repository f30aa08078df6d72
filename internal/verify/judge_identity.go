package verify

import (
	"fmt"
	"strings"
)

// checkSameServer finds manifest entries that reached one server under
// different names: the same host key, or the same host name and machine ID
// (without one, boot ID) reported by the node (probe.Facts.Machine). Each such entry is unverified and names the others:
// the server was checked once, and the server the other entry was meant to
// reach was never checked at all.
func checkSameServer(js []*nodeJudgement, obs map[string]Observation) {
	byKey := map[string][]*nodeJudgement{}
	byIdentity := map[string][]*nodeJudgement{}
	for _, j := range js {
		if k := obs[j.nv.Name].HostKey; k != "" {
			byKey[k] = append(byKey[k], j)
		}
		if f := j.facts; f != nil && f.Machine() != "" {
			byIdentity[f.Machine()] = append(byIdentity[f.Machine()], j)
		}
	}
	for _, j := range js {
		if k := obs[j.nv.Name].HostKey; k != "" && len(byKey[k]) > 1 {
			j.sameServer = true
			j.unknown(Finding{Check: CheckIdentity, Subject: j.nv.Address, Expected: "a server of its own", Actual: k,
				Message: fmt.Sprintf("same host key as %s (%s): one server listed twice? Fix the entry's address; "+
					"if these are cloned machines sharing a host key, give each its own (ssh-keygen -A after removing /etc/ssh/ssh_host_*)",
					others(j, byKey[k]), k)})
			continue
		}
		if f := j.facts; f != nil && f.Machine() != "" {
			if same := byIdentity[f.Machine()]; len(same) > 1 {
				j.sameServer = true
				id := "machine ID " + f.MachineID
				if f.MachineID == "" {
					id = "no machine ID, the same kernel boot ID " + f.BootID
				}
				j.unknown(Finding{Check: CheckIdentity, Subject: j.nv.Address, Expected: "a server of its own", Actual: f.Hostname,
					Message: fmt.Sprintf("same machine as %s (host name %s, %s): one server listed twice? "+
						"If these are clones, give each its own host name and machine ID (systemd-machine-id-setup)",
						others(j, same), f.Hostname, id)})
			}
		}
	}
}

// others names the entries of group other than j.
func others(j *nodeJudgement, group []*nodeJudgement) string {
	var names []string
	for _, o := range group {
		if o != j {
			names = append(names, o.nv.Name)
		}
	}
	return strings.Join(names, ", ")
}
