package gpu

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestConfigFromEnv(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want Config
	}{
		{nil, Config{}},
		{map[string]string{envDevice: "1", envLibrary: "/x/libvulkan.so", envFaults: "vkQueueSubmit@2"},
			Config{Device: "1", Library: "/x/libvulkan.so", Faults: "vkQueueSubmit@2"}},
		{map[string]string{envNoSubgroups: "1", envNoFloat64: "1", envStaging: "1", envGuard: "1", envMaxPiece: "4096"},
			Config{NoSubgroups: true, NoFloat64: true, Staging: true, Guard: true, MaxPiece: 4096}},
		// Only 1 switches on; a chunk size that is not a positive count is
		// ignored.
		{map[string]string{envNoSubgroups: "yes", envStaging: "0", envMaxPiece: "-5"}, Config{}},
		{map[string]string{envMaxPiece: "lots"}, Config{}},
	}
	for _, c := range cases {
		for _, name := range []string{envDevice, envLibrary, envNoSubgroups, envNoFloat64, envStaging, envMaxPiece, envGuard, envFaults} {
			t.Setenv(name, c.env[name])
		}
		assert.Equal(t, c.want, ConfigFromEnv(), "%v", c.env)
	}
}
