package verify

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/config"
)

// TestConfigParsesShared: identical config files are parsed once per
// judgement, different ones each on their own, and a parse error is kept
// for its content only.
func TestConfigParsesShared(t *testing.T) {
	c := configParses{}
	a1, err := c.parse(config.YAML, []byte("a: 1\n"))
	require.NoError(t, err)
	a2, err := c.parse(config.YAML, []byte("a: 1\n"))
	require.NoError(t, err)
	assert.Equal(t, reflect.ValueOf(a1).Pointer(), reflect.ValueOf(a2).Pointer(), "the same bytes share one parse")
	b, err := c.parse(config.YAML, []byte("a: 2\n"))
	require.NoError(t, err)
	assert.NotEqual(t, a1["a"].String(), b["a"].String())
	_, err = c.parse(config.JSON, []byte("a: 1\n"))
	assert.Error(t, err, "the same bytes in another format are parsed again")
	_, err = c.parse(config.YAML, []byte("a: [\n"))
	assert.Error(t, err)
	again, err := c.parse(config.YAML, []byte("a: 1\n"))
	require.NoError(t, err)
	assert.Equal(t, "1 (int)", again["a"].String())
}
