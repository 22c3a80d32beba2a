package atomicfile_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/qdqvk/qdq/internal/atomicfile"
)

func Example() {
	dir, err := os.MkdirTemp("", "atomicfile-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	if err := os.WriteFile(in, []byte("input\n"), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	opt := atomicfile.Options{Inputs: []string{in}}
	write := func(w io.Writer) error {
		_, err := io.WriteString(w, "hello\n")
		return err
	}

	fmt.Println(atomicfile.WriteFile(out, opt, write))
	b, _ := os.ReadFile(out)
	fmt.Print(string(b))

	err = atomicfile.WriteFile(in, opt, write)
	fmt.Println(errors.Is(err, atomicfile.ErrInput), strings.TrimPrefix(err.Error(), dir+string(filepath.Separator)))
	// Output:
	// <nil>
	// hello
	// true in.txt: is the input file; write the output elsewhere
}

func ExampleFile_CommitContext() {
	dir, err := os.MkdirTemp("", "atomicfile-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "out.txt")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	f, err := atomicfile.Create(out, atomicfile.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Abort()
	fmt.Fprintln(f, "a partial result")
	cancel() // an interrupt arrives

	err = f.CommitContext(ctx)
	fmt.Println(errors.Is(err, context.Canceled))
	_, err = os.Stat(out)
	fmt.Println(errors.Is(err, os.ErrNotExist))
	// Output:
	// true
	// true
}
