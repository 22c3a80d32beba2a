#!/usr/bin/env bash
# Builds and tests a throwaway module that imports qdq from this checkout
# (a replace directive), as a user's program would, with the go command
# given as $1: its test asserts that qdq.CPUKernels() lists the vector
# kernel sets this CPU has (from /proc/cpuinfo), so a plain build of an
# importer gets the fast kernels.
set -euo pipefail
go=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

want=""
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
has() { [[ " $flags " == *" $1 "* ]]; }
case "$(uname -m)" in
x86_64)
	if has avx2 && has f16c; then want="avx2"; fi
	if has avx512f && has avx512bw; then want="$want avx512"; fi
	;;
aarch64) want="neon" ;;
esac

cat > "$tmp/go.mod" <<MOD
module example.com/importer

go 1.26.8

require github.com/qdqvk/qdq v0.0.0

replace github.com/qdqvk/qdq => $repo
MOD
cp "$repo/go.sum" "$tmp/go.sum"
cat > "$tmp/importer_test.go" <<'GO'
package importer

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/qdqvk/qdq"
)

func TestImporterGetsTheVectorKernels(t *testing.T) {
	have := qdq.CPUKernels()
	t.Logf("qdq.CPUKernels() = %v", have)
	for _, k := range strings.Fields(os.Getenv("WANT_KERNELS")) {
		if !slices.Contains(have, k) {
			t.Errorf("qdq.CPUKernels() = %v: %q is missing", have, k)
		}
	}
}
GO
cd "$tmp"
echo "importer: $("$go" version), want kernels: ${want:-none}"
GOFLAGS=-mod=mod WANT_KERNELS="$want" "$go" test -count=1 -v ./... 2>&1 | grep -E '^(---|ok|FAIL|\s+importer_test)'
