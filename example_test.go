package qdq_test

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/qdqvk/qdq"
)

// Fake-quantize a slice to signed 8 bits with TensorFlow's defaults.
func ExampleApply() {
	out, res, err := qdq.Apply([]float32{-10, 5, 1.23, -0.5}, nil, qdq.DefaultOptions())
	if err != nil {
		panic(err)
	}
	ch := res.Channels[0]
	fmt.Println(out)
	// The results are float32 values widened to float64.
	fmt.Printf("range [%g, %g] scale %g inverse %g\n", float32(ch.Min), float32(ch.Max), float32(ch.Scale), float32(ch.InverseScale))
	// Output:
	// [-10 5 1.25 -0.46875]
	// range [-10, 9.921875] scale 12.8 inverse 0.078125
}

// A given range clamps to its adjusted bounds: with [-1, 1] the max side
// sets the scale (127), so the min becomes -128/127.
func ExampleApply_rangeGiven() {
	opts := qdq.Options{RangeGiven: true, InputMin: []float64{-1}, InputMax: []float64{1}}
	out, _, err := qdq.Apply([]float64{-2, -0.5, 0.3, 33}, nil, opts)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.6f\n", out)
	// Output:
	// [-1.007874 -0.503937 0.299213 1.000000]
}

// Per-channel fake quantization of a [2, 3] matrix along axis 0, on an
// engine that is reused across calls. Row 0 takes its scale from its min
// (-8/-1), row 1 from its max (7/4); 2*1.75 = 3.5 rounds to even, 4, and
// -0.1 rounds to -0.
func ExampleEngine_Run() {
	engine, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU})
	if err != nil {
		panic(err)
	}
	defer engine.Close()
	in, err := qdq.NewTensor([]int{2, 3}, []float32{-1, 0.3, 0.8, 4, 2, -0.1})
	if err != nil {
		panic(err)
	}
	opts := qdq.Options{NumBits: 4, PerChannel: true} // one range per index of axis 0
	out, res, err := engine.Run(context.Background(), in, opts)
	if err != nil {
		panic(err)
	}
	data, _ := qdq.Data[float32](out)
	fmt.Println(data)
	for i, ch := range res.Channels {
		fmt.Printf("channel %d: scale %g\n", i, ch.Scale)
	}
	// Output:
	// [-1 0.25 0.75 4 2.2857144 -0]
	// channel 0: scale 8
	// channel 1: scale 1.75
}

// bfloat16 values compute in float32 and round once at the end.
func ExampleBFloat16FromFloat32() {
	in := []qdq.BFloat16{qdq.BFloat16FromFloat32(0.3), qdq.BFloat16FromFloat32(-1)}
	opts := qdq.DefaultOptions()
	opts.NumBits = 4
	out, _, err := qdq.Apply(in, nil, opts)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0], out[1], out[0].Bits() == qdq.BFloat16FromFloat32(0.25).Bits())
	// Output:
	// 0.25 -1 true
}

// Errors are values that name the problem, in TensorFlow's words.
func ExampleError() {
	_, _, err := qdq.Apply([]float32{1}, nil, qdq.Options{NumBits: 64, Unsigned: true})
	fmt.Println(err)
	fmt.Println(errors.Is(err, qdq.ErrNumBits))
	// Output:
	// qdq: num_bits is out of range: 64 with signed_input_ false
	// true
}

// The README's example: plain slices on the shared engine, then a
// reusable engine, per channel, on a tensor that arrives in two parts.
func Example_readme() {
	// Plain slices, on a shared engine; the zero Options are TensorFlow's
	// defaults (8 bits, signed, one range per tensor, HALF_TO_EVEN).
	out, res, err := qdq.Apply([]float32{-10, 5, 1.23, -0.5}, nil, qdq.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(out, res.Channels[0].InverseScale)

	// A reusable engine (a GPU when there is one), 4 bits per index of
	// axis 0, with cancellation.
	engine, err := qdq.NewEngine(qdq.Config{Backend: qdq.Auto})
	if err != nil {
		panic(err)
	}
	defer engine.Close()
	ctx := context.Background()
	weights := []float32{0.5, -1, 0.25, 2, -0.75, 1.5}
	in, err := qdq.NewTensor([]int{2, 3}, weights) // []float32, []float64, []float16.Float16 or []qdq.BFloat16
	if err != nil {
		panic(err)
	}
	opts := qdq.Options{NumBits: 4, PerChannel: true, Axis: 0}
	q, res, err := engine.Run(ctx, in, opts) // or engine.RunInto(ctx, out, in, opts), in place allowed
	if err != nil {
		panic(err)
	}
	fmt.Println(q, len(res.Channels))

	// The same tensor arriving in two parts, one range for all of it:
	// ranges first, merged, then each part with the merged range; the bits
	// are those of one call over the whole tensor.
	whole := qdq.Options{NumBits: 4}
	parts := []qdq.Tensor{}
	merged := qdq.EmptyRange()
	for _, rows := range [][]float32{weights[:3], weights[3:]} {
		part, _ := qdq.NewTensor([]int{1, 3}, slices.Clone(rows))
		r, err := engine.Ranges(ctx, part, whole)
		if err != nil {
			panic(err)
		}
		parts, merged = append(parts, part), merged.Merge(r[0])
	}
	for _, part := range parts { // in place
		if _, err := engine.RunIntoRanges(ctx, part, part, whole, []qdq.Range{merged}); err != nil {
			panic(err)
		}
	}
	one, _, err := engine.Run(ctx, in, whole)
	if err != nil {
		panic(err)
	}
	fmt.Println(parts[0], parts[1], one)
	// Output:
	// [-10 5 1.25 -0.46875] 0.078125
	// float32[2 3]{0.5, -1, 0.25, 2, -0.8571429, 1.4285715} 2
	// float32[1 3]{0.5714286, -1.1428572, 0.2857143} float32[1 3]{2, -0.8571429, 1.4285715} float32[2 3]{0.5714286, -1.1428572, 0.2857143, 2, -0.8571429, 1.4285715}
}
