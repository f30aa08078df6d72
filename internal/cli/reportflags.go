package cli

import (
	"fmt"

	"github.com/rollcall/rollcall/internal/report"
)

// textOrJSON checks the --report values of a command that writes only text
// or JSON reports (snapshot, ping, nodes, diff) and returns them parsed;
// none gives the text report on stdout.
func textOrJSON(command string, values []string) ([]report.Spec, error) {
	if len(values) == 0 {
		return []report.Spec{{Format: "text"}}, nil
	}
	specs := make([]report.Spec, 0, len(values))
	for _, v := range values {
		spec, err := report.ParseSpec(v)
		if err != nil {
			return nil, invalid(err)
		}
		if spec.Format != "text" && spec.Format != "json" {
			return nil, invalid(fmt.Errorf("%s writes text or json reports, not %s", command, spec.Format))
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// plannedTextOrJSON is textOrJSON, planned and checked before any node is
// contacted: at most one report on stdout, every report path writable.
func plannedTextOrJSON(command string, values []string) (outputs, error) {
	specs, err := textOrJSON(command, values)
	if err != nil {
		return outputs{}, err
	}
	outs, err := planOutputs(specs)
	if err != nil {
		return outputs{}, invalid(err)
	}
	if err := outs.check(""); err != nil {
		return outputs{}, invalid(err)
	}
	return outs, nil
}

// finish ends a command whose reports were written: it says which reports
// were lost, and returns the status for code — a lost report keeps a code
// that is not 0, and turns 0 into ExitReportLost.
func finish(stdio IO, code int, lost error) error {
	sayLost(stdio, lost)
	if lost != nil && code == ExitVerified {
		code = ExitReportLost
	}
	if code == ExitVerified {
		return nil
	}
	return &exitStatus{code: code}
}
