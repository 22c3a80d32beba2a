package shaders

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tool returns the path of a shader tool, skipping the test when it is
// missing unless QDQ_REQUIRE_GPU is set (as in CI).
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("QDQ_REQUIRE_GPU") != "" {
			t.Fatalf("QDQ_REQUIRE_GPU is set but %s is missing: %v", name, err)
		}
		t.Skipf("%s not installed (apt-get install glslc spirv-tools): %v", name, err)
	}
	return path
}

func TestEveryModuleLoads(t *testing.T) {
	builds, err := Builds()
	require.NoError(t, err)
	require.NotEmpty(t, builds)
	for _, b := range builds {
		words, err := Module(b.Name)
		require.NoError(t, err, b.Name)
		assert.Greater(t, len(words), 5, b.Name)
	}
	_, err = Module("nope")
	assert.Error(t, err)
}

// TestSPIRVIsCurrent recompiles every module and compares it with the
// embedded one: the committed SPIR-V must be what `make shaders` makes.
func TestSPIRVIsCurrent(t *testing.T) {
	glslc := tool(t, "glslc")
	out, err := exec.Command(glslc, "--version").Output()
	require.NoError(t, err)
	recorded, err := os.ReadFile("glslc.txt")
	require.NoError(t, err)
	have := strings.SplitN(string(out), "\n", 2)[0]
	if made := strings.TrimSpace(string(recorded)); made != have {
		msg := fmt.Sprintf("SPIR-V was made by %s, this machine has %s: bytes may differ (run make shaders to regenerate)", made, have)
		if os.Getenv("QDQ_REQUIRE_GPU") != "" {
			t.Fatal(msg) // CI must be able to tell whether the SPIR-V is current
		}
		t.Skip(msg)
	}
	builds, err := Builds()
	require.NoError(t, err)
	dir := t.TempDir()
	for _, b := range builds {
		spv := filepath.Join(dir, b.Name+".spv")
		args := append(append(append([]string{}, Flags...), b.Defines...), "-o", spv, b.Source)
		msg, err := exec.Command(glslc, args...).CombinedOutput()
		require.NoError(t, err, "%s", msg)
		fresh, err := os.ReadFile(spv)
		require.NoError(t, err)
		committed, err := files.ReadFile(b.Name + ".spv")
		require.NoError(t, err)
		assert.True(t, bytes.Equal(fresh, committed), "%s.spv is stale: run make shaders", b.Name)
	}
}

func TestSPIRVValidates(t *testing.T) {
	val := tool(t, "spirv-val")
	builds, err := Builds()
	require.NoError(t, err)
	for _, b := range builds {
		msg, err := exec.Command(val, "--target-env", "vulkan1.1", b.Name+".spv").CombinedOutput()
		assert.NoError(t, err, "%s: %s", b.Name, msg)
	}
}
