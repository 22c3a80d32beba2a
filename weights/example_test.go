package weights_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/weights"
)

// Fake-quantize the weights of a .safetensors file to 4 bits per output
// channel, and look at what each tensor cost.
func ExampleQuantizeFile() {
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

	opts := weights.Options{Options: qdq.DefaultOptions(), Include: []string{"layers.0.*"}}
	opts.PerChannel, opts.NumBits = true, 4
	opts.OnTensor = func(t weights.TensorReport) error {
		if t.Quantized {
			fmt.Printf("%s %s %v: %d channels, SQNR %.1f dB\n", t.Name, t.DType, t.Shape, len(t.Channels), t.Error.SQNR())
		} else {
			fmt.Printf("%s %s %v: copied\n", t.Name, t.DType, t.Shape)
		}
		return nil
	}
	rep, err := weights.QuantizeFile(context.Background(), engine, filepath.Join(dir, "model-q4.safetensors"), "../testdata/model.safetensors", opts)
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
