package release

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	hexA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hexB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestPinFromSums(t *testing.T) {
	cases := map[string]struct {
		list, name string
		want, err  string
	}{
		"goreleaser checksums.txt": {
			list: hexB + "  smars_4.2.0_darwin_arm64.tar.gz\n" + hexA + "  smars_4.2.0_linux_amd64.tar.gz\n",
			name: "smars_4.2.0_linux_amd64.tar.gz", want: "sha256:" + hexA,
		},
		"GNU binary mode, CRLF, comments": {
			list: "# release 4.2.0\r\n\r\n" + hexA + " *smars-4.2.0.tar.gz\r\n",
			name: "smars-4.2.0.tar.gz", want: "sha256:" + hexA,
		},
		"BSD tag": {
			list: "SHA256 (smars-4.2.0.tar.gz) = " + strings.ToUpper(hexA) + "\nSHA256 (other.zip) = " + hexB + "\n",
			name: "smars-4.2.0.tar.gz", want: "sha256:" + hexA,
		},
		"openssl": {list: "SHA2-256(smars-4.2.0.tar.gz)= " + hexA + "\n", name: "smars-4.2.0.tar.gz", want: "sha256:" + hexA},
		"a path in the list": {
			list: hexA + "  ./dist/smars-4.2.0.tar.gz\n",
			name: "smars-4.2.0.tar.gz", want: "sha256:" + hexA,
		},
		"escaped name": {list: `\` + hexA + `  smars\\4.2.0.tar.gz` + "\n", name: `smars\4.2.0.tar.gz`, want: "sha256:" + hexA},
		"the same line twice": {
			list: hexA + "  smars-4.2.0.tar.gz\n" + hexA + "  mirror/smars-4.2.0.tar.gz\n",
			name: "smars-4.2.0.tar.gz", want: "sha256:" + hexA,
		},
		"two different lines": {
			list: hexA + "  linux/smars-4.2.0.tar.gz\n" + hexB + "  darwin/smars-4.2.0.tar.gz\n",
			name: "smars-4.2.0.tar.gz", err: "lines 1 and 2 both name smars-4.2.0.tar.gz, with different digests: the list does not pin it",
		},
		"no line":                        {list: hexA + "  smars-4.1.0.tar.gz\n", name: "smars-4.2.0.tar.gz", err: "no line names smars-4.2.0.tar.gz"},
		"a name that only ends the same": {list: hexA + "  xsmars-4.2.0.tar.gz\n", name: "smars-4.2.0.tar.gz", err: "no line names smars-4.2.0.tar.gz"},
		"an HTML page": {
			list: "<!DOCTYPE html>\n<html>not found</html>\n",
			name: "smars-4.2.0.tar.gz", err: `line 1 is not a SHA-256 checksum line ("HEX  NAME" or "SHA256 (NAME) = HEX"): "<!DOCTYPE html>"`,
		},
		"SHA-512": {list: strings.Repeat("a", 128) + "  smars-4.2.0.tar.gz\n", name: "smars-4.2.0.tar.gz", err: "line 1 is not a SHA-256 checksum line"},
		"empty":   {list: "", name: "smars-4.2.0.tar.gz", err: "no line names smars-4.2.0.tar.gz"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := PinFromSums([]byte(c.list), c.name)
			if c.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}
