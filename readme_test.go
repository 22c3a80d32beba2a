package qdq_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeExampleIsTested checks that the README's Go example is the
// body of Example_readme, which go test runs and checks, line for line.
func TestReadmeExampleIsTested(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	r := string(readme)
	at := strings.Index(r, "## Go API")
	require.NotEqual(t, -1, at, "README has a Go API section")
	start := strings.Index(r[at:], "```go\n")
	require.NotEqual(t, -1, start)
	block := r[at+start+len("```go\n"):]
	block = block[:strings.Index(block, "```")]

	src, err := os.ReadFile("example_test.go")
	require.NoError(t, err)
	s := string(src)
	const head = "func Example_readme() {\n"
	i := strings.Index(s, head)
	require.NotEqual(t, -1, i, "example_test.go has Example_readme")
	body := s[i+len(head):]
	body = body[:strings.Index(body, "\t// Output:")]
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	require.Equal(t, strings.Join(lines, "\n")+"\n", block)
}
