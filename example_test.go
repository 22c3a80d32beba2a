package qdq_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

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
	opts := qdq.DefaultOptions()
	opts.RangeGiven = true
	opts.InputMin, opts.InputMax = []float64{-1}, []float64{1}
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
	opts := qdq.DefaultOptions()
	opts.NumBits, opts.Axis = 4, 0
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
	opts := qdq.DefaultOptions()
	opts.NumBits = 0
	_, _, err := qdq.Apply([]float32{1}, nil, opts)
	fmt.Println(err)
	// Output:
	// qdq: num_bits is out of range: 0 with signed_input_ true
}

// Fake-quantize the weights of a .safetensors file to 4 bits per output
// channel, and look at what each tensor cost.
func ExampleEngine_QuantizeFile() {
	engine, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU})
	if err != nil {
		panic(err)
	}
	defer engine.Close()
	dir, err := os.MkdirTemp("", "qdq-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	opts := qdq.FileOptions{Options: qdq.DefaultOptions(), Include: []string{"layers.0.*"}}
	opts.Axis, opts.NumBits = 0, 4
	opts.OnTensor = func(t qdq.TensorReport) error {
		if t.Quantized {
			fmt.Printf("%s %s %v: %d channels, SQNR %.1f dB\n", t.Name, t.DType, t.Shape, len(t.Channels), t.Error.SQNR())
		} else {
			fmt.Printf("%s %s %v: copied\n", t.Name, t.DType, t.Shape)
		}
		return nil
	}
	rep, err := engine.QuantizeFile(context.Background(), filepath.Join(dir, "model-q4.safetensors"), "testdata/model.safetensors", opts)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d of %d tensors fake-quantized\n", rep.Quantized, len(rep.Tensors))
	// Output:
	// embed.weight BF16 [64 32]: copied
	// layers.0.proj.weight F32 [96 32]: 96 channels, SQNR 18.1 dB
	// layers.0.proj.bias F32 [96]: copied
	// layers.0.out.weight F32 [32 96]: 32 channels, SQNR 13.8 dB
	// layers.0.norm.weight F32 [32]: copied
	// layers.1.proj.weight F16 [96 32]: copied
	// layers.1.proj.bias F16 [96]: copied
	// layers.1.out.weight F16 [32 96]: copied
	// layers.1.norm.weight F32 [32]: copied
	// head.weight F32 [10 32]: copied
	// head.mask BOOL [8]: copied
	// optimizer.step I64 []: copied
	// 2 of 12 tensors fake-quantized
}
