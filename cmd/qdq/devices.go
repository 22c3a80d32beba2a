package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/qdqvk/qdq/gpu"
)

const devicesHelp = `usage: qdq devices

Lists the Vulkan devices with their type, driver, memory, subgroup size and
float64/float16 support, and marks the one -backend auto and -backend gpu
would choose. QDQ_VULKAN_DEVICE (an index or a name substring) overrides
the choice; QDQ_VULKAN_LIBRARY names the Vulkan loader library to use.
-backend auto never chooses a CPU implementation such as lavapipe.
`

func devicesCommand(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return badUsage("devices takes no arguments")
	}
	cfg := gpu.ConfigFromEnv()
	devs, err := gpu.Devices(cfg.Library)
	if err != nil {
		fmt.Fprintf(stdout, "no Vulkan devices: %v\n", err)
		return nil
	}
	if len(devs) == 0 {
		fmt.Fprintln(stdout, "no Vulkan devices: the loader lists none")
		return nil
	}
	auto, autoErr := gpu.Choose(devs, cfg.Device, false)
	chosen, gpuErr := gpu.Choose(devs, cfg.Device, true)
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "#\tname\ttype\tvulkan\tdriver\tmemory\tsubgroup\tfloat64\tfloat16\tdenormals32\tchosen by")
	for _, d := range devs {
		var by string
		if autoErr == nil && auto.Index == d.Index {
			by = "auto"
		}
		if gpuErr == nil && chosen.Index == d.Index {
			if by != "" {
				by += ", "
			}
			by += "gpu"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%.1f GiB\t%d\t%s\t%s\t%s\t%s\n", d.Index, d.Name, d.Type, d.API, d.Driver,
			float64(d.MemoryHeap)/(1<<30), d.SubgroupSize, yes(d.Float64), yes(d.Float16), preserveOrFlush(d.DenormPreserve32), by)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if autoErr != nil {
		fmt.Fprintf(stdout, "auto: runs on the CPU (%v)\n", autoErr)
	}
	if gpuErr != nil {
		fmt.Fprintf(stdout, "gpu: %v\n", gpuErr)
	}
	return nil
}

// preserveOrFlush says whether shaders are promised to keep subnormals.
func preserveOrFlush(preserve bool) string {
	if preserve {
		return "kept"
	}
	return "not promised"
}
