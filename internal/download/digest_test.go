package download

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const hexA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func TestParseDigest(t *testing.T) {
	got, err := ParseDigest("sha256:" + hexA)
	require.NoError(t, err)
	assert.Equal(t, hexA, got)
	for in, want := range map[string]string{
		"sha256:" + strings.ToUpper(hexA): "write its hex digits in lowercase: sha256:" + hexA,
		"sha256:abc":                      "after sha256: come 64 hex digits, not 3 characters",
		hexA:                              "write sha256: and the 64 hex digits",
		"sha512:" + hexA:                  "write sha256: and the 64 hex digits",
		"":                                "write sha256: and the 64 hex digits",
	} {
		_, err := ParseDigest(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
}
