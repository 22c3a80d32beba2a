// Command gen writes the demo sample testdata/demo.npy: a small float32
// weight matrix, deterministic, so that the committed file can always be
// regenerated and checked.
//
// Usage (from the module root):
//
//	go run ./testdata/gen          rewrite testdata/demo.npy
//	go run ./testdata/gen -check   fail if the committed file differs
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/qdqvk/qdq/internal/npy"
)

const path = "testdata/demo.npy"

// demo returns a [16, 32] matrix of weights: each row a normal
// distribution with its own spread (as layers' output channels have), a few
// outliers, and exact zeros, as pruned weights do.
func demo() ([]int, []float32) {
	r := rand.New(rand.NewPCG(2026, 11))
	shape := []int{16, 32}
	w := make([]float32, shape[0]*shape[1])
	for row := range shape[0] {
		spread := 0.02 * math.Exp(float64(row)/6)
		for col := range shape[1] {
			v := r.NormFloat64() * spread
			switch {
			case r.IntN(40) == 0:
				v *= 6 // an outlier
			case r.IntN(25) == 0:
				v = 0
			}
			w[row*shape[1]+col] = float32(v)
		}
	}
	return shape, w
}

func main() {
	check := flag.Bool("check", false, "compare with the committed file instead of writing it")
	flag.Parse()
	shape, data := demo()
	var b bytes.Buffer
	if err := npy.Write(&b, "<f4", shape, data); err != nil {
		fail(err)
	}
	if *check {
		old, err := os.ReadFile(path)
		if err != nil {
			fail(err)
		}
		if !bytes.Equal(old, b.Bytes()) {
			fail(fmt.Errorf("%s is stale: run go run ./testdata/gen", path))
		}
		return
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
