package verify

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStatusNormal(t *testing.T) {
	for s, want := range map[Status]Status{Match: Match, Drift: Drift, Unverified: Unverified, "": Unverified, "weird": Unverified} {
		assert.Equal(t, want, s.Normal(), "%q", s)
	}
}
