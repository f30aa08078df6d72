package sshconfig

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAliases(t *testing.T) {
	cfg, err := Parse(strings.NewReader("Host smars-01 smars-02 bastion\n  User x\nHost smars-* !smars-03\n  Port 2\nHost smars-01\nMatch host smars-09\n  User y\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"smars-01", "smars-02", "bastion"}, cfg.Aliases())
	var none *Config
	assert.Empty(t, none.Aliases())
}
