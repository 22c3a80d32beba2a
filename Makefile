# qdq: fake quantization, bit for bit as TensorFlow.
#
#   make demo    build qdq and fake-quantize the bundled sample
#   make test    vet and test the portable and the SIMD builds
#   make bench   Go benchmarks and the qdq bench table
#   make lint    staticcheck, pinned in tools.mod
#   make shaders recompile shaders/*.comp to the committed SPIR-V
#   make fuzz    run every fuzz target for FUZZTIME each

# GO is a Go command new enough for go.mod: the one on PATH, or one that
# .ci/go.sh fetches once from the Go module proxy.
ifeq ($(origin GO),undefined)
GO := $(shell .ci/go.sh)
endif
ifeq ($(GO),)
$(error no suitable Go command: see .ci/go.sh)
endif
GOFMT     := $(dir $(GO))gofmt
SIMD      := GOEXPERIMENT=simd
BIN       := bin/qdq
FUZZTIME  ?= 60s
BENCHSIZE ?= 64Mi

.PHONY: all build shaders demo test test-portable test-simd test-validation vet bench lint fuzz clean

all: build

# The command is built with the SIMD kernels (they are chosen at run time,
# so the binary still runs on CPUs without AVX2).
build:
	$(SIMD) $(GO) build -o $(BIN) ./cmd/qdq

# Regenerates the committed SPIR-V from shaders/*.comp (needs glslc and
# spirv-val: apt-get install glslc spirv-tools).
shaders:
	cd shaders && $(GO) generate

demo: build
	@echo "== 8-bit, one range for the whole tensor =="
	$(BIN) run -v testdata/demo.npy $(or $(TMPDIR),/tmp)/qdq-demo-out.npy
	@echo
	@echo "== 8-bit, one range per row (axis 0) =="
	$(BIN) run -v -axis 0 testdata/demo.npy $(or $(TMPDIR),/tmp)/qdq-demo-out.npy
	@echo
	@echo "== 4-bit per row, HALF_UP, given range [-0.5, 0.5] =="
	$(BIN) run -v -axis 0 -bits 4 -round HALF_UP -range-given -min -0.5 -max 0.5 testdata/demo.npy $(or $(TMPDIR),/tmp)/qdq-demo-out.npy

test: vet test-portable test-simd test-validation
	$(GO) run ./testdata/gen -check

vet:
	@test -z "$$($(GOFMT) -l .)" || { echo "gofmt needed:"; $(GOFMT) -l .; exit 1; }
	$(GO) vet ./...
	$(SIMD) $(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet ./...
	$(GO) vet -tags novulkan ./...

test-portable:
	$(GO) test -count=1 ./...

test-simd:
	$(SIMD) $(GO) test -count=1 ./...

# The Vulkan tests again under the Khronos validation layer, which must
# report nothing.
test-validation:
	@VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation $(GO) test -count=1 -v ./gpu > .validation.log 2>&1 || { cat .validation.log; exit 1; }
	@VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation $(GO) test -count=1 -v -short -run 'GPU|Vulkan' . >> .validation.log 2>&1 || { cat .validation.log; exit 1; }
	@if grep -E "Validation (Error|Warning)" .validation.log; then exit 1; fi
	@grep -q "^ok" .validation.log && rm -f .validation.log && echo "validation layer: clean"

bench: build
	$(SIMD) $(GO) test -run '^$$' -bench . -benchtime 5x ./...
	$(BIN) bench -size $(BENCHSIZE)

lint:
	$(GO) tool -modfile=tools.mod staticcheck ./...
	$(SIMD) $(GO) tool -modfile=tools.mod staticcheck ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/npy
	$(GO) test -run '^$$' -fuzz '^FuzzOptions$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s .
	$(GO) test -run '^$$' -fuzz '^FuzzReadHeader$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/safetensors

clean:
	rm -rf bin
