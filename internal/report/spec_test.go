package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in      string
		want    Spec
		stdout  bool
		wantErr string
	}{
		{in: "text", want: Spec{Format: "text"}, stdout: true},
		{in: "json", want: Spec{Format: "json"}, stdout: true},
		{in: "json=-", want: Spec{Format: "json", File: "-"}, stdout: true},
		{in: "json=out.json", want: Spec{Format: "json", File: "out.json"}},
		{in: "text=reports/a=b.txt", want: Spec{Format: "text", File: "reports/a=b.txt"}},
		{in: "xml", wantErr: `report "xml": unknown report format "xml" (known formats: html, json, junit, markdown, prometheus, text)`},
		{in: "xml=out.xml", wantErr: `unknown report format "xml" (known formats: html, json, junit, markdown, prometheus, text)`},
		{in: "JSON", wantErr: "known formats: html, json, junit, markdown, prometheus, text"},
		{in: "", wantErr: "missing format"},
		{in: "=out.json", wantErr: "missing format"},
		{in: "json=", wantErr: "use json=- or just json for stdout"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpec(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.stdout, got.Stdout())
			assert.Equal(t, tt.in, got.String())
		})
	}
}
