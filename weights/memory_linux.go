package weights

import "syscall"

// totalMemory returns the machine's memory in bytes.
func totalMemory() int64 {
	var info syscall.Sysinfo_t
	if syscall.Sysinfo(&info) != nil {
		return 4 << 30
	}
	return int64(info.Totalram) * int64(info.Unit)
}
