# qdq: fake quantization, bit for bit as TensorFlow.
#
#   make demo    build qdq and fake-quantize the bundled sample
#   make test    vet and test the default and the purego builds, with the race detector too
#   make soak    10,000 calls and 1,000 engines per backend, 10 minutes of each fuzz target (not in CI)
#   make bench   Go benchmarks and the qdq bench table
#   make bench-file  qdq run on a generated 2 GiB file against cp: time and peak RSS
#   make lint    staticcheck, pinned in tools.mod
#   make shaders recompile shaders/*.comp to the committed SPIR-V
#   make asm     regenerate the committed amd64 assembly from cpu/_asm (avo)
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
BIN       := bin/qdq
FUZZTIME  ?= 60s
BENCHSIZE ?= 64Mi
TMP       := $(or $(TMPDIR),/tmp)
# bench-file's weight file: BENCHMIB MiB of F32 data in 8 tensors.
BENCHMIB  ?= 2048

.PHONY: all build shaders asm demo test check-shim test-default test-purego test-race test-validation vet bench bench-file lint fuzz soak clean

all: build

# A plain build: the assembly kernels are chosen at run time, so the binary
# runs on any CPU of its architecture.
build:
	$(GO) build -o $(BIN) ./cmd/qdq

# Regenerates the committed SPIR-V from shaders/*.comp (needs glslc and
# spirv-val: apt-get install glslc spirv-tools).
shaders:
	cd shaders && $(GO) generate

# Regenerates cpu/kernels_amd64.s and its Go declarations from the avo
# program in cpu/_asm, a module of its own (the library does not depend on
# avo). TestAssemblyIsGenerated fails when the committed files are stale.
asm:
	cd cpu/_asm && $(GO) run . -out ../kernels_amd64.s -stubs ../kernels_stubs_amd64.go -sets ../kernels_sets_amd64.go -pkg cpu

demo: build
	@echo "== 8-bit, one range for the whole tensor =="
	$(BIN) run -v testdata/demo.npy $(or $(TMPDIR),/tmp)/qdq-demo-out.npy
	@echo
	@echo "== 8-bit, one range per row (axis 0) =="
	$(BIN) run -v -axis 0 testdata/demo.npy $(or $(TMPDIR),/tmp)/qdq-demo-out.npy
	@echo
	@echo "== 4-bit per row, HALF_UP, given range [-0.5, 0.5] =="
	$(BIN) run -v -axis 0 -bits 4 -round HALF_UP -range-given -min -0.5 -max 0.5 testdata/demo.npy $(or $(TMPDIR),/tmp)/qdq-demo-out.npy
	@echo
	@echo "== testdata/model.safetensors, 8-bit per tensor, best backend; the output must equal testdata/model.int8.safetensors =="
	$(BIN) run testdata/model.safetensors $(TMP)/qdq-demo-model.safetensors
	cmp $(TMP)/qdq-demo-model.safetensors testdata/model.int8.safetensors && echo "bit-identical to the committed expected output"
	@echo
	@echo "== the same model, 4-bit per output channel (axis 0), report in $(TMP)/qdq-demo-report.json =="
	$(BIN) run -axis 0 -bits 4 -report $(TMP)/qdq-demo-report.json testdata/model.safetensors $(TMP)/qdq-demo-model.safetensors

test: vet check-shim test-default test-purego test-race test-validation
	$(GO) run ./testdata/gen -check

vet:
	@test -z "$$($(GOFMT) -l .)" || { echo "gofmt needed:"; $(GOFMT) -l .; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags purego ./...
	CGO_ENABLED=0 $(GO) vet ./...
	$(GO) vet -tags novulkan ./...
	GOARCH=arm64 CGO_ENABLED=0 $(GO) vet ./...

# The Vulkan structures gpu/internal/vk/vkshim.c declares by layout, checked against
# the Vulkan headers (apt-get install gcc libvulkan-dev). Without them it
# skips, like the GPU tests, unless QDQ_REQUIRE_GPU is set.
check-shim:
	@if echo '#include <vulkan/vulkan.h>' | $(CC) -fsyntax-only -x c - 2>/dev/null; then \
		$(CC) -Wall -Wextra -Wno-missing-field-initializers -Werror -fsyntax-only gpu/internal/vk/testdata/layout_check.c && echo "vkshim layouts: match <vulkan/vulkan.h>"; \
	elif [ -n "$$QDQ_REQUIRE_GPU" ]; then \
		echo "check-shim: QDQ_REQUIRE_GPU is set but $(CC) cannot compile against <vulkan/vulkan.h> (apt-get install gcc libvulkan-dev)"; exit 1; \
	else \
		echo "check-shim: skipped, $(CC) cannot compile against <vulkan/vulkan.h> (apt-get install gcc libvulkan-dev)"; \
	fi

test-default:
	$(GO) test -count=1 ./...

# The portable kernels alone, as a CPU without the vector instructions
# gets them.
test-purego:
	$(GO) test -count=1 -tags purego ./...

# Every package under the race detector (CPU and lavapipe paths), in short
# mode: the exhaustive 2^32 sweeps are left to the other runs.
test-race:
	$(GO) test -race -short -count=1 ./...

# The Vulkan tests again under the Khronos validation layer, which must
# report nothing.
test-validation:
	@VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation $(GO) test -count=1 -v ./gpu > .validation.log 2>&1 || { cat .validation.log; exit 1; }
	@VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation $(GO) test -count=1 -v -short -run 'GPU|Vulkan|Engines|SharedEngine|KnownBad|Soak' . >> .validation.log 2>&1 || { cat .validation.log; exit 1; }
	@VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation $(GO) test -count=1 -v -short ./weights >> .validation.log 2>&1 || { cat .validation.log; exit 1; }
	@if grep -E "Validation (Error|Warning)" .validation.log; then exit 1; fi
	@grep -q "^ok" .validation.log && rm -f .validation.log && echo "validation layer: clean"

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 5x ./...
	$(BIN) bench -size $(BENCHSIZE)

# qdq run on a generated F32 file (BENCHMIB MiB, 8 tensors) on the CPU,
# against cp of the same file to the same file system, and against cp
# followed by sync of the copy (qdq syncs its output before renaming it).
# The figures of one run are comparable; /usr/bin/time (apt-get install
# time) gives the peak RSS.
bench-file: build
	@test -f $(TMP)/qdq-bench-$(BENCHMIB).safetensors || $(GO) run ./testdata/gen -big $(TMP)/qdq-bench-$(BENCHMIB).safetensors -mib $(BENCHMIB)
	@rm -f $(TMP)/qdq-bench-copy.safetensors $(TMP)/qdq-bench-out.safetensors; sync
	@cat $(TMP)/qdq-bench-$(BENCHMIB).safetensors > /dev/null
	@s=$$(date +%s%N); cp $(TMP)/qdq-bench-$(BENCHMIB).safetensors $(TMP)/qdq-bench-copy.safetensors; e=$$(date +%s%N); \
	sync $(TMP)/qdq-bench-copy.safetensors; f=$$(date +%s%N); rm -f $(TMP)/qdq-bench-copy.safetensors; sync; \
	/usr/bin/time -f '%e %M' -o $(TMP)/qdq-bench-time $(BIN) run -backend cpu -q $(TMP)/qdq-bench-$(BENCHMIB).safetensors $(TMP)/qdq-bench-out.safetensors; \
	read q rss < $(TMP)/qdq-bench-time; rm -f $(TMP)/qdq-bench-out.safetensors $(TMP)/qdq-bench-time; \
	awk -v cp=$$(( (e-s)/1000000 )) -v cps=$$(( (f-s)/1000000 )) -v q=$$q -v rss=$$rss -v mib=$(BENCHMIB) 'BEGIN { \
		printf "file            %d MiB F32, 8 tensors\n", mib; \
		printf "cp              %.2f s\n", cp/1000; \
		printf "cp + sync       %.2f s\n", cps/1000; \
		printf "qdq run (cpu)   %.2f s, %.0f MiB/s, peak RSS %.0f MiB (%.1f%% of the file)\n", q, mib/q, rss/1024, 100*rss/1024/mib; \
		printf "throughput vs cp: %.2fx, vs cp + sync: %.2fx\n", cp/1000/q, cps/1000/q }'

lint:
	$(GO) tool -modfile=tools.mod staticcheck ./...
	$(GO) tool -modfile=tools.mod staticcheck -tags purego ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/npy
	$(GO) test -run '^$$' -fuzz '^FuzzOptions$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s .
	$(GO) test -run '^$$' -fuzz '^FuzzReadHeader$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/safetensors
	$(GO) test -run '^$$' -fuzz '^FuzzQuantizeFile$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./weights

# The long runs: TestSoak with 10,000 calls on each backend (heap and
# resident-set growth printed), then every fuzz target for FUZZTIME
# (10 minutes unless set). The README records the last results.
soak:
	@QDQ_SOAK=1 $(GO) test -count=1 -timeout 60m -v -run '^(TestSoak|TestEnginesOpenAndClose)$$' . > .soak.log 2>&1 || { cat .soak.log; exit 1; }
	@grep -E 'calls:|engines' .soak.log; rm -f .soak.log
	$(MAKE) fuzz FUZZTIME=$(or $(filter-out 60s,$(FUZZTIME)),10m)

clean:
	rm -rf bin
