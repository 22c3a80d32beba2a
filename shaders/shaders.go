// Package shaders holds qdq's compute shaders: the GLSL sources beside
// this file, compiled to SPIR-V by `make shaders` (go generate ./shaders)
// and embedded, so building qdq needs no shader compiler.
//
// modules.txt lists every module with its source and defines; glslc.txt
// records the glslc that produced the committed SPIR-V. A test recompiles
// every module and fails when the committed SPIR-V is stale.
package shaders

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/binary"
	"fmt"
	"strings"
)

//go:generate go run gen.go

//go:embed *.spv modules.txt
var files embed.FS

// Flags are the glslc flags every module is compiled with.
var Flags = []string{"--target-env=vulkan1.1", "-O"}

// Build is one SPIR-V module: its name, GLSL source file and glslc
// defines.
type Build struct {
	Name    string
	Source  string
	Defines []string
}

// Builds returns the modules listed in modules.txt.
func Builds() ([]Build, error) {
	data, err := files.ReadFile("modules.txt")
	if err != nil {
		return nil, err
	}
	return ParseBuilds(data)
}

// ParseBuilds parses a modules.txt: one module a line, "name source
// [-DNAME...]", with # comments.
func ParseBuilds(data []byte) ([]Build, error) {
	var builds []Build
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("shaders: modules.txt: %q needs a name and a source", line)
		}
		builds = append(builds, Build{Name: f[0], Source: f[1], Defines: f[2:]})
	}
	return builds, sc.Err()
}

// Module returns the SPIR-V words of the named module.
func Module(name string) ([]uint32, error) {
	data, err := files.ReadFile(name + ".spv")
	if err != nil {
		return nil, fmt.Errorf("shaders: no module %q", name)
	}
	if len(data)%4 != 0 || len(data) < 20 {
		return nil, fmt.Errorf("shaders: %s.spv is %d bytes, not SPIR-V", name, len(data))
	}
	// go:embed data need not be 4-byte aligned: decode instead of casting.
	words := make([]uint32, len(data)/4)
	for i := range words {
		words[i] = binary.LittleEndian.Uint32(data[4*i:])
	}
	if words[0] != 0x07230203 {
		return nil, fmt.Errorf("shaders: %s.spv lacks the SPIR-V magic number", name)
	}
	return words, nil
}
