package qdq_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/x448/float16"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/qdqtest"
)

func TestParseNames(t *testing.T) {
	for _, d := range qdqtest.DTypes {
		got, err := qdq.ParseDType(d.String())
		require.NoError(t, err)
		assert.Equal(t, d, got)
	}
	for s, want := range map[string]qdq.DType{"F32": qdq.F32, "f64": qdq.F64, "Half": qdq.F16, "BF16": qdq.BF16, " bfloat16 ": qdq.BF16} {
		got, err := qdq.ParseDType(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	d, err := qdq.ParseDType("int8")
	assert.ErrorIs(t, err, qdq.ErrDType)
	assert.Zero(t, d.Size(), "an invalid dtype comes with the error")
	assert.Equal(t, "DType(9)", qdq.DType(9).String())
	assert.Equal(t, 0, qdq.DType(0).Size())

	for s, want := range map[string]qdq.RoundMode{"HALF_TO_EVEN": qdq.HalfToEven, "HALF_UP": qdq.HalfUp, "half_up": qdq.HalfUp, "half-to-even": qdq.HalfToEven} {
		got, err := qdq.ParseRoundMode(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	m, err := qdq.ParseRoundMode("HALF_DOWN")
	assert.ErrorIs(t, err, qdq.ErrRoundMode)
	assert.NotContains(t, []qdq.RoundMode{qdq.HalfToEven, qdq.HalfUp}, m, "an invalid round mode comes with the error")

	for s, want := range map[string]qdq.Backend{"auto": qdq.Auto, "CPU": qdq.CPU, "Gpu": qdq.GPU} {
		got, err := qdq.ParseBackend(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	b, err := qdq.ParseBackend("tpu")
	assert.ErrorIs(t, err, qdq.ErrBackend)
	_, err = qdq.NewEngine(qdq.Config{Backend: b})
	assert.ErrorIs(t, err, qdq.ErrBackend, "an invalid backend comes with the error")
}

// TestTextMarshalling checks that the enumerations read back what they
// write, as JSON and flag values use them.
func TestTextMarshalling(t *testing.T) {
	type doc struct {
		DType   qdq.DType
		Round   qdq.RoundMode
		Backend qdq.Backend
	}
	in := doc{qdq.BF16, qdq.HalfUp, qdq.GPU}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"DType":"bfloat16","Round":"HALF_UP","Backend":"gpu"}`, string(b))
	var out doc
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)
	_, err = json.Marshal(doc{DType: 0})
	assert.Error(t, err, "the zero DType is not a dtype")
	assert.Error(t, json.Unmarshal([]byte(`{"Backend":"tpu"}`), &out))
}

// setAxis sets TensorFlow's axis attribute on o: -1 for one range over
// the tensor, else that channel axis.
func setAxis(o *qdq.Options, axis int) { o.PerChannel, o.Axis = axis != -1, axis }

// TestZeroOptionsAreTensorFlows checks that the zero Options run as
// TensorFlow's defaults (8 bits, signed, one range per tensor from the
// data, HALF_TO_EVEN): the same bits as those written out.
func TestZeroOptionsAreTensorFlows(t *testing.T) {
	assert.Equal(t, qdq.Options{}, qdq.DefaultOptions())
	src := []float32{-10, 5, 1.23, -0.5, 0.3, 7.7}
	got, res, err := qdq.Apply(src, []int{2, 3}, qdq.Options{})
	require.NoError(t, err)
	want, wres, err := qdq.Apply(src, []int{2, 3}, qdq.Options{NumBits: 8, RoundMode: qdq.HalfToEven})
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, wres.Channels, res.Channels)
	require.Len(t, res.Channels, 1, "one range for the whole tensor")
	assert.Equal(t, qdq.Channel{Min: -10, Max: 9.921875, Scale: float64(float32(12.8)), InverseScale: 0.078125}, res.Channels[0], "signed 8 bits: [-128, 127] levels")
	_, _, err = qdq.Apply(src, nil, qdq.Options{NumBits: -1})
	assert.ErrorIs(t, err, qdq.ErrNumBits)
}

func TestTensorAccessors(t *testing.T) {
	h := []float16.Float16{float16.Fromfloat32(1), float16.Fromfloat32(-2)}
	tn, err := qdq.NewTensor([]int{2}, h)
	require.NoError(t, err)
	assert.Equal(t, qdq.F16, tn.DType())
	assert.Equal(t, []uint16{0x3c00, 0xc000}, tn.Bits16())
	back, ok := qdq.Data[float16.Float16](tn)
	require.True(t, ok)
	assert.Equal(t, h, back)
	_, ok = qdq.Data[float32](tn)
	assert.False(t, ok)
	assert.Equal(t, -2.0, tn.Float64At(1))

	shape := []int{1, 2}
	tn, err = qdq.NewTensor(shape, []float32{1, 2})
	require.NoError(t, err)
	shape[0] = 7
	assert.Equal(t, []int{1, 2}, tn.Shape(), "the tensor keeps its own copy of the shape")
	assert.Equal(t, 2, tn.Rank())

	_, err = qdq.NewTensorBits(qdq.F32, []int{1}, []uint16{1})
	assert.ErrorIs(t, err, qdq.ErrDType)
	assert.Equal(t, "0.5", qdq.BFloat16FromFloat32(0.5).String())
	assert.True(t, qdq.BFloat16FromFloat32(float32(math.NaN())).IsNaN())
	assert.Equal(t, uint16(0x3f80), qdq.BFloat16FromBits(0x3f80).Bits())
}

func TestInPlaceAndOverlap(t *testing.T) {
	data := []float32{-1, 0.3, 0.8, 0.555}
	want, _, err := qdq.Apply(data, nil, qdq.DefaultOptions())
	require.NoError(t, err)
	_, err = qdq.ApplyInto(data, data, nil, qdq.DefaultOptions())
	require.NoError(t, err)
	assert.Equal(t, want, data, "in place gives the same result")

	buf := make([]float32, 5)
	_, err = qdq.ApplyInto(buf[1:], buf[:4], nil, qdq.DefaultOptions())
	assert.ErrorIs(t, err, qdq.ErrShape, "a shifted overlap is refused")
	_, err = qdq.ApplyInto(buf[:3], buf[:4], nil, qdq.DefaultOptions())
	assert.ErrorIs(t, err, qdq.ErrShape, "a short output is refused")
}

func TestEngineLifecycle(t *testing.T) {
	e, err := qdq.NewEngine(qdq.Config{})
	require.NoError(t, err)
	assert.Equal(t, qdq.CPU, e.Backend())
	assert.NotEmpty(t, e.FallbackReason(), "auto says why it runs on the CPU")
	in, err := qdq.NewTensor([]int{1}, []float32{1})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.NoError(t, e.Close(), "Close is idempotent")
	_, _, err = e.Run(context.Background(), in, qdq.DefaultOptions())
	assert.ErrorIs(t, err, qdq.ErrClosed)

	_, err = qdq.NewEngine(qdq.Config{Backend: 7})
	assert.ErrorIs(t, err, qdq.ErrBackend)
	cpu, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU})
	require.NoError(t, err)
	assert.Empty(t, cpu.FallbackReason())

	var zero qdq.Engine
	_, res, err := zero.Run(context.Background(), in, qdq.DefaultOptions())
	require.NoError(t, err)
	assert.Equal(t, qdq.CPU, res.Backend, "the zero Engine runs on the CPU")
	_, err = qdq.NewEngine(qdq.Config{Backend: qdq.CPU, Workers: math.MaxInt})
	require.NoError(t, err)
}

// gpuEngine opens a GPU engine (lavapipe counts), skipping when there is
// no Vulkan device unless QDQ_REQUIRE_GPU is set.
func gpuEngine(t *testing.T) *qdq.Engine {
	t.Helper()
	e, err := qdq.NewEngine(qdq.Config{Backend: qdq.GPU})
	if err != nil {
		require.ErrorIs(t, err, qdq.ErrBackend)
		if os.Getenv("QDQ_REQUIRE_GPU") != "" {
			t.Fatalf("QDQ_REQUIRE_GPU is set but: %v", err)
		}
		t.Skipf("no Vulkan device (set QDQ_REQUIRE_GPU=1 to make this fail): %v", err)
	}
	t.Cleanup(func() { e.Close() })
	t.Logf("GPU engine on %s", e.Device())
	return e
}

func TestGPUEngineFallsBackPerCall(t *testing.T) {
	e := gpuEngine(t)
	assert.Equal(t, qdq.GPU, e.Backend())
	assert.NotEmpty(t, e.Device())
	in32, err := qdq.NewTensor([]int{3}, []float32{-1, 0.3, 0.8})
	require.NoError(t, err)
	_, res, err := e.Run(context.Background(), in32, qdq.DefaultOptions())
	require.NoError(t, err)
	assert.Equal(t, qdq.GPU, res.Backend)
	assert.Empty(t, res.Fallback)

	// Subnormal values with a huge scale: exact only on a device that
	// keeps subnormals, else the call runs on the CPU and says why.
	tiny, err := qdq.NewTensor([]int{3}, []float32{1e-39, -3e-39, 5e-39})
	require.NoError(t, err)
	_, res, err = e.Run(context.Background(), tiny, qdq.DefaultOptions())
	require.NoError(t, err)
	if res.Backend == qdq.CPU {
		assert.Contains(t, res.Fallback, "subnormal")
	}
}

func TestGPUWithoutFloat64FallsBack(t *testing.T) {
	t.Setenv("QDQ_VULKAN_NO_FLOAT64", "1")
	e := gpuEngine(t)
	in, err := qdq.NewTensor([]int{3}, []float64{-1, 0.3, 0.8})
	require.NoError(t, err)
	out, res, err := e.Run(context.Background(), in, qdq.DefaultOptions())
	require.NoError(t, err)
	assert.Equal(t, qdq.CPU, res.Backend)
	assert.Contains(t, res.Fallback, "shaderFloat64")
	want, _, err := qdqtest.Reference(t, in, qdq.DefaultOptions())
	require.NoError(t, err)
	_, same := qdqtest.Same(want, out)
	assert.True(t, same)
}

// TestWithoutVulkanLoader runs this test binary again with the Vulkan
// loader pointed nowhere: GPU engines fail, Auto runs on the CPU and
// says why.
func TestWithoutVulkanLoader(t *testing.T) {
	if os.Getenv("QDQ_TEST_NO_LOADER") == "1" {
		_, err := qdq.NewEngine(qdq.Config{Backend: qdq.GPU})
		require.ErrorIs(t, err, qdq.ErrBackend)
		e, err := qdq.NewEngine(qdq.Config{})
		require.NoError(t, err)
		require.Equal(t, qdq.CPU, e.Backend())
		require.Contains(t, e.FallbackReason(), "Vulkan loader")
		return
	}
	if os.Getenv("QDQ_EMULATED") != "" {
		t.Skip("QDQ_EMULATED is set: this test starts its own binary again, which an emulator without binfmt_misc cannot")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWithoutVulkanLoader$", "-test.v")
	cmd.Env = append(os.Environ(), "QDQ_TEST_NO_LOADER=1", "QDQ_VULKAN_LIBRARY=/nonexistent/libvulkan.so.1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "--- PASS: TestWithoutVulkanLoader")
}

// TestAbsurdWorkerCounts checks that the worker count is only an upper
// bound: huge values neither overflow the work split nor allocate per
// worker.
func TestAbsurdWorkerCounts(t *testing.T) {
	vals := make([]float64, 1<<17)
	for i := range vals {
		vals[i] = float64(i%97) - 40
	}
	in := qdqtest.Tensor(t, qdq.F32, []int{2, 1 << 16}, vals)
	for _, w := range []int{-5, 1 << 20, 1 << 60, 1 << 61, math.MaxInt} {
		e, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU, Workers: w})
		require.NoError(t, err)
		for _, axis := range []int{-1, 0, 1} {
			o := qdq.DefaultOptions()
			setAxis(&o, axis)
			want, _, err := qdqtest.Reference(t, in, o)
			require.NoError(t, err)
			got, _, err := e.Run(context.Background(), in, o)
			require.NoError(t, err, "workers %d axis %d", w, axis)
			_, same := qdqtest.Same(want, got)
			assert.True(t, same, "workers %d axis %d", w, axis)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	e, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU})
	require.NoError(t, err)
	in, err := qdq.NewTensor([]int{1 << 20}, make([]float32, 1<<20))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = e.Run(ctx, in, qdq.DefaultOptions())
	assert.ErrorIs(t, err, context.Canceled)
}

// TestConcurrentUse shares one engine between goroutines running mixed
// dtypes and axes; every result must equal the reference's.
func TestConcurrentUse(t *testing.T) {
	e, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU})
	require.NoError(t, err)
	defer e.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			dtype := qdqtest.DTypes[g%4]
			vals := make([]float64, 3*40000)
			for i := range vals {
				vals[i] = math.Sin(float64(i*(g+1))) * float64(g+1)
			}
			in := qdqtest.Tensor(t, dtype, []int{3, 40000}, vals)
			opts := qdq.DefaultOptions()
			setAxis(&opts, g%3-1)
			if opts.Axis == 1 {
				setAxis(&opts, 0)
			}
			got, _, err := e.Run(context.Background(), in, opts)
			if err != nil {
				errs <- err
				return
			}
			want, _, err := qdqtest.Reference(t, in, opts)
			if err != nil {
				errs <- err
				return
			}
			if i, ok := qdqtest.Same(want, got); !ok {
				errs <- fmt.Errorf("goroutine %d (%v, axis %d): element %d differs from the reference", g, dtype, opts.Axis, i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestOutputErrorsNameTheOutput(t *testing.T) {
	_, err := qdq.ApplyInto(make([]float32, 2), make([]float32, 3), []int{3}, qdq.DefaultOptions())
	require.ErrorIs(t, err, qdq.ErrShape)
	assert.Equal(t, "qdq: output: data has 2 elements but shape [3] needs 3", err.Error())
}

// TestGPULargeTensors crosses the device's limits for real: a tensor over
// 128 MiB (lavapipe's maxStorageBufferRange, so it is split), more than
// 65,535 workgroups of 256 in one dispatch, and more than 65,535
// channels. Results must equal the CPU's.
func TestGPULargeTensors(t *testing.T) {
	if testing.Short() {
		t.Skip("large tensors are skipped with -short")
	}
	e := gpuEngine(t)
	cpuEngine, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU})
	require.NoError(t, err)
	for _, c := range []struct {
		shape []int
		axis  int
		given bool
	}{
		{[]int{2, 17 << 20}, -1, false}, // 34Mi float32: 136 MiB
		{[]int{17 << 20}, -1, true},     // 17Mi elements: 68K workgroups
		{[]int{70001, 3}, 0, false},     // 70,001 channels
	} {
		n := 1
		for _, d := range c.shape {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(math.Sin(float64(i)*0.001)) * float32(1+i%7)
		}
		in, err := qdq.NewTensor(c.shape, data)
		require.NoError(t, err)
		o := qdq.DefaultOptions()
		setAxis(&o, c.axis)
		if c.given {
			o.RangeGiven, o.InputMin, o.InputMax = true, []float64{-3}, []float64{2}
		}
		got, res, err := e.Run(context.Background(), in, o)
		require.NoError(t, err, "%v", c.shape)
		assert.Equal(t, qdq.GPU, res.Backend, "%v: %s", c.shape, res.Fallback)
		want, _, err := cpuEngine.Run(context.Background(), in, o)
		require.NoError(t, err)
		i, same := qdqtest.Same(want, got)
		assert.True(t, same, "%v axis %d: element %d differs", c.shape, c.axis, i)
	}
}

// TestGPUConcurrentUse shares one GPU engine between goroutines (the
// context's two lanes run two calls at once, the others wait); every
// result must equal the reference's.
func TestGPUConcurrentUse(t *testing.T) {
	e := gpuEngine(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			dtype := qdqtest.DTypes[g%4]
			vals := make([]float64, 3*5000)
			for i := range vals {
				vals[i] = math.Cos(float64(i*(g+1))) * float64(g+1)
			}
			in := qdqtest.Tensor(t, dtype, []int{3, 5000}, vals)
			for axis := -1; axis < 2; axis++ {
				o := qdq.DefaultOptions()
				setAxis(&o, axis)
				got, _, err := e.Run(context.Background(), in, o)
				if err != nil {
					errs <- err
					return
				}
				want, _, err := qdqtest.Reference(t, in, o)
				if err != nil {
					errs <- err
					return
				}
				if i, ok := qdqtest.Same(want, got); !ok {
					errs <- fmt.Errorf("goroutine %d (%v, axis %d): element %d differs", g, dtype, axis, i)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDTypeRound(t *testing.T) {
	assert.Equal(t, float64(float32(0.1)), qdq.F32.Round(0.1))
	assert.Equal(t, 0.1, qdq.F64.Round(0.1))
	assert.True(t, math.IsInf(qdq.F16.Round(70000), 1), "beyond float16's range")
	assert.Equal(t, 65504.0, qdq.F16.Round(65519))
	assert.Equal(t, 1.0009765625, qdq.F16.Round(1.0004882812500009), "rounded once, not through float32")
	assert.Equal(t, 1.0, qdq.BF16.Round(1+0x1p-9), "a tie goes to even")
	assert.Equal(t, 1+0x1p-7, qdq.BF16.Round(1+0x1p-8+0x1p-30))
}
