package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/qdqvk/qdq"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); without
// it the module version or VCS revision from the build info is used.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return "devel-" + rev
}

func versionCommand(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return badUsage("version takes no arguments")
	}
	e, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU})
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Fprintf(stdout, "qdq %s %s %s/%s cpu-kernels=%s\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH, e.Kernels())
	return nil
}
