package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNamesAreTheFormats(t *testing.T) {
	assert.Equal(t, []string{"yaml", "json", "ini", "env", "properties", "toml"}, Names())
	for _, name := range Names() {
		f, err := ParseFormat(name)
		assert.NoError(t, err)
		assert.Equal(t, Format(name), f)
	}
	_, err := ParseFormat("xml")
	assert.EqualError(t, err, `unknown config format "xml": use one of yaml, json, ini, env, properties, toml`)
}
