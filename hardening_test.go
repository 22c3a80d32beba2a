package qdq_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/cheap"
	"github.com/qdqvk/qdq/internal/qdqtest"
)

// badInput is one known bad call: a TensorFlow security advisory's
// input translated to the API, or a gap the spec lists.
type badInput struct {
	name  string
	shape []int
	opts  qdq.Options
	kind  error
	msg   string // part of the message
}

// KnownBadInputs lists every advisory of the spec's section 7 (as far as
// the API can express it) and every gap it lists, with the error each
// must give.
func knownBadInputs() []badInput {
	with := func(f func(o *qdq.Options)) qdq.Options {
		o := qdq.DefaultOptions()
		f(&o)
		return o
	}
	given := func(min, max []float64, axis int) qdq.Options {
		return with(func(o *qdq.Options) { o.RangeGiven, o.InputMin, o.InputMax = true, min, max; setAxis(o, axis) })
	}
	bits := func(n int, signed bool) qdq.Options {
		return with(func(o *qdq.Options) { o.NumBits, o.Unsigned = n, !signed })
	}
	axis := func(a int) qdq.Options { return with(func(o *qdq.Options) { setAxis(o, a) }) }
	return []badInput{
		// TFSA-2020-027: axis=10 on a rank-1 input read out of bounds.
		{"TFSA-2020-027 axis 10", []int{2}, given([]float64{0, 0}, []float64{1, 1}, 10), qdq.ErrAxis, "Shape must be at least rank 11 but is rank 1"},
		// TFSA-2021-040: V3 with num_bits 30 and axis 3 on rank 1.
		{"TFSA-2021-040 axis 3", []int{2}, with(func(o *qdq.Options) { o.NumBits = 30; setAxis(o, 3) }), qdq.ErrAxis, "rank 4 but is rank 1"},
		// TFSA-2021-099: axis -2, unsigned, num_bits 1: heap underflow. A
		// negative axis counts from the end here, so -2 of rank 1 is out
		// of range.
		{"TFSA-2021-099 axis -2", []int{2}, with(func(o *qdq.Options) { o.Unsigned, o.NumBits = true, 1; setAxis(o, -2) }), qdq.ErrAxis, "axis -2: the tensor has rank 1"},
		// TFSA-2021-119 and TFSA-2021-185: axis -100.
		{"TFSA-2021-119/185 axis -100", []int{2, 2}, axis(-100), qdq.ErrAxis, "axis -100: the tensor has rank 2"},
		// TFSA-2022-062: input_min of shape [0] with axis -1.
		{"TFSA-2022-062 empty input_min", []int{2}, given([]float64{}, []float64{1}, -1), qdq.ErrRangeShape, "input_min must be a scalar"},
		// TFSA-2022-112: num_bits of shape [0]; the API's num_bits is an
		// int whose 0 means 8, so the nearest is a negative count.
		{"TFSA-2022-112 num_bits -1", []int{2}, bits(-1, true), qdq.ErrNumBits, "num_bits is out of range: -1"},
		// TFSA-2022-168: axis 0x7fffffff overflowed axis+1.
		{"TFSA-2022-168 axis 2^31-1", []int{2}, axis(math.MaxInt32), qdq.ErrAxis, "Shape must be at least rank 2147483648"},
		{"axis 2^31", []int{2}, axis(math.MaxInt32 + 1), qdq.ErrAxis, "Shape must be at least rank 2147483649"},
		{"axis MaxInt", []int{2}, axis(math.MaxInt), qdq.ErrAxis, "Shape must be at least rank 9223372036854775808"},
		{"axis MinInt", []int{2}, axis(math.MinInt), qdq.ErrAxis, "the tensor has rank 1"},
		{"axis = rank", []int{3, 4}, axis(2), qdq.ErrAxis, "Shape must be at least rank 3 but is rank 2"},
		{"axis of a scalar", []int{}, axis(0), qdq.ErrAxis, "Shape must be at least rank 1 but is rank 0"},
		// The spec's gaps.
		{"non-scalar input_min with axis -1", []int{4}, given([]float64{-1, -1}, []float64{1}, -1), qdq.ErrRangeShape, "input_min must be a scalar"},
		{"non-scalar input_max with axis -1", []int{4}, given([]float64{-1}, []float64{1, 2}, -1), qdq.ErrRangeShape, "input_max must be a scalar"},
		{"per-channel input_min too short", []int{3, 2}, given([]float64{-1, -1}, []float64{1, 1, 1}, 0), qdq.ErrRangeShape, "input_min_tensor has incorrect size, was 2 expected 3"},
		{"per-channel input_max too long", []int{3, 2}, given([]float64{-1, -1, -1}, []float64{1, 1, 1, 1}, 0), qdq.ErrRangeShape, "input_max_tensor has incorrect size, was 4 expected 3"},
		{"inverted range", []int{2}, given([]float64{1}, []float64{-1}, -1), qdq.ErrRange, "Invalid range: input_min 1 > input_max -1"},
		{"inverted per-channel range", []int{2, 2}, given([]float64{-1, 2}, []float64{1, 1}, 0), qdq.ErrRange, "channel 1 of axis 0"},
		{"NaN range", []int{2}, given([]float64{math.NaN()}, []float64{1}, -1), qdq.ErrRange, "input_min nan"},
		{"num_bits 1 signed narrow", []int{2}, with(func(o *qdq.Options) { o.NumBits, o.NarrowRange = 1, true }), qdq.ErrNumBits, "leaves no quantization levels"},
		{"num_bits 62 signed", []int{2}, bits(62, true), qdq.ErrNumBits, "62"},
		{"num_bits 63 unsigned", []int{2}, bits(63, false), qdq.ErrNumBits, "63"},
		{"num_bits 64", []int{2}, bits(64, false), qdq.ErrNumBits, "64"},
		{"num_bits negative", []int{2}, bits(-8, true), qdq.ErrNumBits, "-8"},
		{"num_bits huge", []int{2}, bits(math.MaxInt, false), qdq.ErrNumBits, fmt.Sprint(math.MaxInt)},
		{"num_bits MinInt", []int{2}, bits(math.MinInt, true), qdq.ErrNumBits, fmt.Sprint(math.MinInt)},
		{"round mode 7", []int{2}, with(func(o *qdq.Options) { o.RoundMode = 7 }), qdq.ErrRoundMode, "RoundMode(7)"},
	}
}

// TestKnownBadInputs runs every known bad input on every backend and
// entry point: a clear *qdq.Error of the right kind, nothing written.
func TestKnownBadInputs(t *testing.T) {
	engines := map[string]*qdq.Engine{"cpu": cpuEngine}
	ref, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU, Reference: true})
	require.NoError(t, err)
	defer ref.Close()
	engines["reference"] = ref
	if g, err := qdq.NewEngine(qdq.Config{Backend: qdq.GPU}); err == nil {
		defer g.Close()
		engines["gpu"] = g
	} else if requireGPU() {
		t.Fatalf("QDQ_REQUIRE_GPU is set but: %v", err)
	}
	for _, bad := range knownBadInputs() {
		for _, dtype := range qdqtest.DTypes {
			n := 1
			for _, d := range bad.shape {
				n *= d
			}
			vals := make([]float64, n)
			for i := range vals {
				vals[i] = float64(i) - 1.5
			}
			in := qdqtest.Tensor(t, dtype, bad.shape, vals)
			check := func(how string, err error) {
				t.Helper()
				require.Error(t, err, "%s, %v, %s", bad.name, dtype, how)
				var qe *qdq.Error
				require.ErrorAs(t, err, &qe, "%s, %v, %s: %v", bad.name, dtype, how, err)
				assert.ErrorIs(t, err, bad.kind, "%s, %v, %s: %v", bad.name, dtype, how, err)
				assert.Contains(t, err.Error(), bad.msg, "%s, %v, %s", bad.name, dtype, how)
			}
			for name, e := range engines {
				out := qdqtest.Tensor(t, dtype, bad.shape, vals) // must stay as it is
				_, err := e.RunInto(context.Background(), out, in, bad.opts)
				check(name+" RunInto", err)
				assert.Equal(t, vals, qdqtest.Values(out), "%s, %v: the output was written", bad.name, dtype)
				_, _, err = e.Run(context.Background(), in, bad.opts)
				check(name+" Run", err)
				_, err = e.RunBatch(context.Background(), []qdq.Job{{In: in, Out: qdq.ZerosLike(in), Options: qdq.DefaultOptions()}, {In: in, Out: out, Options: bad.opts}})
				check(name+" RunBatch", err)
			}
		}
	}
}

// TestSharedEngineUnderLoad shares one engine of each backend between 32
// goroutines running every dtype, per tensor and along each axis, with
// ranges found and given: every result must be the reference's, bit for
// bit (run with -race in CI).
func TestSharedEngineUnderLoad(t *testing.T) {
	backends := []qdq.Backend{qdq.CPU, qdq.GPU}
	for _, backend := range backends {
		t.Run(backend.String(), func(t *testing.T) {
			var e *qdq.Engine
			if backend == qdq.GPU {
				e = gpuEngine(t)
			} else {
				e = engineFor(t, backend)
			}
			const goroutines = 32
			calls := 6
			if testing.Short() {
				calls = 2
			}
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for g := range goroutines {
				wg.Go(func() {
					dtype := qdqtest.DTypes[g%len(qdqtest.DTypes)]
					shape := []int{3 + g%5, 64 + 17*g, 2}
					n := shape[0] * shape[1] * shape[2]
					vals := make([]float64, n)
					for i := range vals {
						vals[i] = math.Sin(float64(i*(g+3))) * float64(1+g%7)
					}
					in := qdqtest.Tensor(t, dtype, shape, vals)
					for c := range calls {
						o := qdq.DefaultOptions()
						setAxis(&o, (g+c)%4-1)
						o.NumBits = 2 + (g+c)%14
						if c%3 == 2 {
							depth := 1
							if o.Axis >= 0 {
								depth = shape[o.Axis]
							}
							o.RangeGiven = true
							for range depth {
								o.InputMin, o.InputMax = append(o.InputMin, -0.5), append(o.InputMax, 0.75)
							}
						}
						got, res, err := e.Run(context.Background(), in, o)
						if err != nil {
							errs <- fmt.Errorf("goroutine %d call %d: %w", g, c, err)
							return
						}
						want, wantRes, err := qdqtest.Reference(t, in, o)
						if err != nil {
							errs <- err
							return
						}
						if i, ok := qdqtest.Same(want, got); !ok {
							errs <- fmt.Errorf("goroutine %d call %d (%v, axis %d): element %d differs", g, c, dtype, o.Axis, i)
							return
						}
						if len(res.Channels) != len(wantRes.Channels) {
							errs <- fmt.Errorf("goroutine %d call %d: %d channels, want %d", g, c, len(res.Channels), len(wantRes.Channels))
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestEnginesOpenAndClose creates and closes 200 engines of each backend,
// each running a call: no goroutine may be left (the package's TestMain
// checks with goleak), and neither the Go heap nor the C heap may grow
// with the count. Under the validation layer (make test-validation) an
// engine that leaked a Vulkan object at Close would be reported there.
// QDQ_SOAK=1 (make soak) runs 5 rounds of 200 and logs each, to show
// where the resident set levels off.
func TestEnginesOpenAndClose(t *testing.T) {
	count, rounds := 200, 1
	switch {
	case os.Getenv("QDQ_SOAK") != "":
		rounds = 5
	case testing.Short():
		count = 40
	}
	in := qdqtest.Tensor(t, qdq.F32, []int{4, 256}, make([]float64, 1024))
	for _, backend := range []qdq.Backend{qdq.CPU, qdq.GPU} {
		if backend == qdq.GPU {
			gpuEngine(t) // skips or fails without a device, as the rules say
		}
		run := func(k int) {
			for range k {
				e, err := qdq.NewEngine(qdq.Config{Backend: backend})
				require.NoError(t, err)
				_, _, err = e.Run(context.Background(), in, qdq.DefaultOptions())
				require.NoError(t, err)
				require.NoError(t, e.Close())
				_, _, err = e.Run(context.Background(), in, qdq.DefaultOptions())
				require.ErrorIs(t, err, qdq.ErrClosed)
			}
		}
		run(count / 4) // warm up: pools, pipeline caches of the driver
		heap0, rss0, c0 := heapInUse(), residentSet(), cHeapInUse()
		for r := range rounds {
			h, rss, c := heapInUse(), residentSet(), cHeapInUse()
			run(count)
			h1, rss1, c1 := heapInUse(), residentSet(), cHeapInUse()
			t.Logf("%v: engines %d-%d: heap in use %+d bytes, C heap in use %+d bytes, resident set %+d KiB",
				backend, r*count+1, (r+1)*count, int64(h1)-int64(h), c1-c, (rss1-rss)/1024)
		}
		heap1, rss1, c1 := heapInUse(), residentSet(), cHeapInUse()
		n := rounds * count
		grown := int64(heap1) - int64(heap0)
		t.Logf("%v: %d engines: heap in use %d -> %d bytes (%+d), C heap in use %+d bytes, resident set %+d KiB",
			backend, n, heap0, heap1, grown, c1-c0, (rss1-rss0)/1024)
		assert.Less(t, grown, int64(4<<20), "%v: the heap grew by %d bytes over %d engines", backend, grown, n)
		assertCHeapStable(t, c0, c1, n, 1<<10, "engines")
	}
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// cHeapInUse returns the C allocator's bytes in use after a Go collection
// (which runs the finalizers that free C memory), or -1 where the build
// cannot tell.
func cHeapInUse() int64 {
	runtime.GC()
	runtime.GC()
	n, ok := cheap.InUse()
	if !ok {
		return -1
	}
	return int64(n)
}

// assertCHeapStable fails when the C heap grew from before to after by
// more than perOp bytes for each of n operations, beyond 512 KiB of room
// for the allocator's per-thread caches (a leak in the Vulkan shim once
// left some 10 KiB per engine here).
func assertCHeapStable(t *testing.T, before, after int64, n, perOp int, ops string) {
	t.Helper()
	if before < 0 || after < 0 {
		t.Logf("the C heap is not measured in this build")
		return
	}
	limit := int64(512<<10 + n*perOp)
	assert.Less(t, after-before, limit, "the C heap grew by %d bytes over %d %s", after-before, n, ops)
}

// requireGPU reports whether QDQ_REQUIRE_GPU asks GPU tests to fail rather
// than skip without a device.
func requireGPU() bool { return os.Getenv("QDQ_REQUIRE_GPU") != "" }

// TestSoak makes many sequential calls on one engine of each backend:
// the Go heap and the resident set must not grow with the count. It
// makes 500 calls on the CPU and 100 on the GPU (lavapipe takes some 40 ms
// a call); QDQ_SOAK=1 (make soak) makes 10,000 on each and prints the
// growth for the README.
func TestSoak(t *testing.T) {
	soak := os.Getenv("QDQ_SOAK") != ""
	vals := make([]float64, 3*4096)
	for i := range vals {
		vals[i] = math.Cos(float64(i))
	}
	for _, backend := range []qdq.Backend{qdq.CPU, qdq.GPU} {
		t.Run(backend.String(), func(t *testing.T) {
			var e *qdq.Engine
			calls := 500
			if backend == qdq.GPU {
				e, calls = gpuEngine(t), 100
			} else {
				e = engineFor(t, backend)
			}
			switch {
			case soak:
				calls = 10_000
			case testing.Short():
				calls /= 5
			}
			ins := make([]qdq.Tensor, len(qdqtest.DTypes))
			outs := make([]qdq.Tensor, len(qdqtest.DTypes))
			for i, d := range qdqtest.DTypes {
				ins[i] = qdqtest.Tensor(t, d, []int{3, 4096}, vals)
				outs[i] = qdq.ZerosLike(ins[i])
			}
			run := func(k int) {
				for c := range k {
					o := qdq.DefaultOptions()
					setAxis(&o, c%3-1)
					i := c % len(ins)
					_, err := e.RunInto(context.Background(), outs[i], ins[i], o)
					require.NoError(t, err)
				}
			}
			run(max(calls/10, 3*len(ins))) // warm up: buffers, pools, a pipeline per dtype and axis
			heap0, rss0, c0 := heapInUse(), residentSet(), cHeapInUse()
			run(calls)
			heap1, rss1, c1 := heapInUse(), residentSet(), cHeapInUse()
			t.Logf("%v: %d calls: heap in use %+d bytes, C heap in use %+d bytes, resident set %+d KiB",
				backend, calls, int64(heap1)-int64(heap0), c1-c0, (rss1-rss0)/1024)
			assert.Less(t, int64(heap1)-int64(heap0), int64(1<<20), "the heap grows with the calls")
			assertCHeapStable(t, c0, c1, calls, 64, "calls")
			if rss0 > 0 {
				assert.Less(t, rss1-rss0, int64(32<<20), "the resident set grows with the calls")
			}
		})
	}
}

// residentSet returns the process's resident set in bytes from
// /proc/self/statm, or 0 where there is none.
func residentSet() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, rss int64
	if _, err := fmt.Sscan(string(b), &size, &rss); err != nil {
		return 0
	}
	return rss * int64(os.Getpagesize())
}

// TestCancellationIsPrompt cancels large runs partway: each must return
// an error wrapping context.Canceled within 100 ms of the work item (CPU
// work item, GPU chunk, file piece) in progress, leave no output file,
// and leave the engine usable (goleak checks that no goroutine stays).
func TestCancellationIsPrompt(t *testing.T) {
	// slack is the 100 ms the issue allows, plus room for a busy machine
	// under the race detector.
	slack := 100 * time.Millisecond
	if raceEnabled {
		slack *= 5
	}
	check := func(t *testing.T, what string, item time.Duration, run func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		var cancelled time.Time
		var once sync.Once
		stop := func() { once.Do(func() { cancelled = time.Now(); cancel() }) }
		timer := time.AfterFunc(2*item+10*time.Millisecond, stop)
		defer timer.Stop()
		err := run(ctxWithStop{ctx, stop})
		returned := time.Now()
		stop()
		require.ErrorIs(t, err, context.Canceled, "%s", what)
		late := returned.Sub(cancelled)
		t.Logf("%s: returned %v after the cancel (a work item takes %v)", what, late.Round(time.Microsecond), item.Round(time.Microsecond))
		assert.Less(t, late, item+slack, "%s stopped %v after the cancel", what, late)
	}

	t.Run("cpu", func(t *testing.T) {
		e := engineFor(t, qdq.CPU)
		const n = 1 << 25
		in, err := qdq.NewTensor([]int{n}, make([]float32, n))
		require.NoError(t, err)
		out := qdq.ZerosLike(in)
		// A work item is about n/(8*workers) elements: time a call of that
		// size.
		part, err := qdq.NewTensor([]int{n / 16}, make([]float32, n/16))
		require.NoError(t, err)
		start := time.Now()
		_, err = e.RunInto(context.Background(), part, part, qdq.DefaultOptions())
		require.NoError(t, err)
		item := time.Since(start)
		check(t, "a 32Mi-element call", item, func(ctx context.Context) error {
			for {
				if _, err := e.RunInto(ctx, out, in, qdq.DefaultOptions()); err != nil {
					return err
				}
			}
		})
		_, err = e.RunInto(context.Background(), out, in, qdq.DefaultOptions())
		require.NoError(t, err, "the engine still works")
	})

	t.Run("gpu", func(t *testing.T) {
		t.Setenv("QDQ_VULKAN_MAX_CHUNK", fmt.Sprint(1<<20)) // many chunks
		e := gpuEngine(t)
		const n = 1 << 22
		in, err := qdq.NewTensor([]int{n}, make([]float32, n))
		require.NoError(t, err)
		out := qdq.ZerosLike(in)
		chunk, err := qdq.NewTensor([]int{1 << 18}, make([]float32, 1<<18))
		require.NoError(t, err)
		start := time.Now()
		_, err = e.RunInto(context.Background(), chunk, chunk, qdq.DefaultOptions())
		require.NoError(t, err)
		item := time.Since(start)
		check(t, "a 16-chunk GPU call", item, func(ctx context.Context) error {
			for {
				if _, err := e.RunInto(ctx, out, in, qdq.DefaultOptions()); err != nil {
					return err
				}
			}
		})
		_, err = e.RunInto(context.Background(), out, in, qdq.DefaultOptions())
		require.NoError(t, err, "the engine still works")
	})
}

// ctxWithStop is a context that its user can cancel from inside the run.
type ctxWithStop struct {
	context.Context
	stop func()
}

// TestGPUFaults makes the GPU fail on purpose (gpu.FaultEnv): out of
// memory at an allocation, a failed submission, a device lost mid-batch.
// No wrong output is ever returned or written: a call the device fails
// runs again on the CPU and says so in Result.Fallback, and the engine
// stays usable, on the GPU after a passing fault and on the CPU once the
// device is lost.
func TestGPUFaults(t *testing.T) {
	gpuEngine(t) // skips or fails without a device, as the rules say
	vals := make([]float64, 4*5000)
	for i := range vals {
		vals[i] = math.Sin(float64(i) / 7)
	}
	for _, tc := range []struct {
		fault string
		lost  bool
	}{
		{"vkAllocateMemory@1", false},
		{"vkCreateComputePipelines@2", false},
		{"vkQueueSubmit@1", false},
		{"vkWaitForFences@2", true},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			t.Setenv("QDQ_VULKAN_FAULT", tc.fault)
			e := gpuEngine(t)
			for i, dtype := range qdqtest.DTypes {
				in := qdqtest.Tensor(t, dtype, []int{4, 5000}, vals)
				o := qdq.DefaultOptions()
				setAxis(&o, i%2-1)
				got, res, err := e.Run(context.Background(), in, o)
				require.NoError(t, err, "%v", dtype)
				want, _, err := qdqtest.Reference(t, in, o)
				require.NoError(t, err)
				at, same := qdqtest.Same(want, got)
				require.True(t, same, "%v: element %d differs after a fault", dtype, at)
				if res.Backend == qdq.CPU && dtype != qdq.F64 {
					assert.Contains(t, res.Fallback, "gpu: ", "%v: the fallback says why", dtype)
				}
			}
			// A batch after the fault (the weights package runs a file).
			jobs := batchJobs(t)
			_, err := e.RunBatch(context.Background(), jobs)
			require.NoError(t, err)
			for i, j := range jobs {
				want, _, err := qdqtest.Reference(t, j.In, j.Options)
				require.NoError(t, err)
				_, same := qdqtest.Same(want, j.Out)
				assert.True(t, same, "batch job %d", i)
			}
			_, res, err := e.Run(context.Background(), qdqtest.Tensor(t, qdq.F32, []int{4, 5000}, vals), qdq.DefaultOptions())
			require.NoError(t, err)
			if tc.lost {
				assert.Equal(t, qdq.CPU, res.Backend, "a lost device runs nothing more")
				assert.Contains(t, res.Fallback, "device lost")
			} else {
				assert.Equal(t, qdq.GPU, res.Backend, "the GPU runs again after a passing fault")
			}
		})
	}
}

// TestGPUDeviceLostMidBatch loses the device during a batch's second
// submission: every job still gets the reference's bits (from the CPU),
// and the engine goes on on the CPU.
func TestGPUDeviceLostMidBatch(t *testing.T) {
	gpuEngine(t)
	t.Setenv("QDQ_VULKAN_FAULT", "vkWaitForFences@2")
	e := gpuEngine(t)
	jobs := batchJobs(t)
	results, err := e.RunBatch(context.Background(), jobs)
	require.NoError(t, err)
	onCPU := 0
	for i, j := range jobs {
		want, _, err := qdqtest.Reference(t, j.In, j.Options)
		require.NoError(t, err)
		at, same := qdqtest.Same(want, j.Out)
		assert.True(t, same, "job %d: element %d differs", i, at)
		if results[i].Backend == qdq.CPU {
			onCPU++
		}
	}
	assert.Positive(t, onCPU, "the jobs after the loss ran on the CPU")
	_, res, err := e.Run(context.Background(), jobs[0].In, jobs[0].Options)
	require.NoError(t, err)
	assert.Equal(t, qdq.CPU, res.Backend)
	assert.Contains(t, res.Fallback, "device lost")
}

// engineFor returns an engine for backend; a GPU engine needs a Vulkan
// device, and the test is skipped without one unless QDQ_REQUIRE_GPU is
// set.
func engineFor(t *testing.T, backend qdq.Backend) *qdq.Engine {
	e, err := qdq.NewEngine(qdq.Config{Backend: backend})
	if err != nil && backend == qdq.GPU && os.Getenv("QDQ_REQUIRE_GPU") == "" {
		t.Skipf("no GPU: %v", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e
}

// cpuEngine runs the single-tensor calls others are compared with.
var cpuEngine, _ = qdq.NewEngine(qdq.Config{Backend: qdq.CPU})
