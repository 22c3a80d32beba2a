// Command qdq runs TensorFlow's QuantizeAndDequantizeV2 (fake
// quantization) on .npy and .safetensors files and measures its speed.
//
// Usage:
//
//	qdq run [flags] IN OUT           fake-quantize IN into OUT (.npy or .safetensors)
//	qdq bench [flags]                measure throughput against memory copy
//	qdq devices                      list Vulkan devices and which one qdq would use
//	qdq version                      print version and build details
//
// Run "qdq help COMMAND" for a command's flags. Invalid arguments,
// attributes or files exit with status 2 and a one-line "qdq: ..."
// message; any other failure exits with status 1.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// usageError is an invalid argument, attribute or file: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// badUsage wraps err as a usage error.
func badUsage(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

const usage = `qdq fake-quantizes tensors exactly as TensorFlow's QuantizeAndDequantizeV2.

Usage:

	qdq run [flags] IN OUT           fake-quantize IN into OUT (.npy or .safetensors)
	qdq bench [flags]                measure throughput against memory copy
	qdq devices                      list Vulkan devices and which one qdq would use
	qdq version                      print version and build details
	qdq help [COMMAND]               show help

Run "qdq help run" or "qdq help bench" for their flags.
`

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

// cli runs the command line args and returns the exit status.
func cli(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		err = runCommand(rest, stdout, stderr)
	case "bench":
		err = benchCommand(rest, stdout, stderr)
	case "devices":
		err = devicesCommand(rest, stdout)
	case "version":
		err = versionCommand(rest, stdout)
	case "help", "-h", "-help", "--help":
		return help(rest, stdout, stderr)
	default:
		err = badUsage("unknown command %q (want run, bench, devices, version or help)", cmd)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	}
	fmt.Fprintln(stderr, "qdq:", oneLine(err))
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// errHelp reports that -h was asked for and the help text printed.
var errHelp = errors.New("help requested")

func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return 0
	}
	switch args[0] {
	case "run":
		newRunFlags(stdout).fs.Usage()
	case "bench":
		newBenchFlags(stdout).fs.Usage()
	case "devices":
		fmt.Fprint(stdout, devicesHelp)
	case "version":
		fmt.Fprintln(stdout, "usage: qdq version\n\nPrints the version, the Go toolchain, the platform and the CPU kernels in use.")
	default:
		fmt.Fprintf(stderr, "qdq: unknown command %q\n", args[0])
		return 2
	}
	return 0
}

// oneLine strips the "qdq: " prefixes wrapped errors repeat and joins
// lines, so every failure is one line on stderr.
func oneLine(err error) string {
	s := err.Error()
	for len(s) > 5 && s[:5] == "qdq: " {
		s = s[5:]
	}
	b := []byte(s)
	for i, c := range b {
		if c == '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}
