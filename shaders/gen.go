//go:build ignore

// Command gen compiles every module in modules.txt with glslc into
// NAME.spv and records glslc's version in glslc.txt. Run it through
// `make shaders` or `go generate ./shaders`.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/qdqvk/qdq/shaders"
)

func main() {
	data, err := os.ReadFile("modules.txt")
	check(err)
	builds, err := shaders.ParseBuilds(data)
	check(err)
	for _, b := range builds {
		args := append(append(append([]string{}, shaders.Flags...), b.Defines...), "-o", b.Name+".spv", b.Source)
		cmd := exec.Command("glslc", args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		check(cmd.Run())
		cmd = exec.Command("spirv-val", "--target-env", "vulkan1.1", b.Name+".spv")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		check(cmd.Run())
	}
	out, err := exec.Command("glslc", "--version").Output()
	check(err)
	version := strings.SplitN(string(out), "\n", 2)[0]
	check(os.WriteFile("glslc.txt", []byte(version+"\n"), 0o644))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "shaders/gen:", err)
		os.Exit(1)
	}
}
