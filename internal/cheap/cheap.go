// Package cheap reports the bytes the C allocator has handed out and not
// yet had back, so that leak tests can see C memory (the Vulkan driver's
// and the cgo shim's) that the Go heap statistics never count.
//
// It is imported by tests only.
package cheap

// InUse returns the bytes allocated by the C allocator and not freed,
// over all its arenas, and whether this build can tell (cgo with glibc).
// Chunks held in per-thread caches count as in use, so the figure moves
// by some hundreds of KiB as threads come and go; compare it over many
// operations, not one.
func InUse() (uint64, bool) { return inUse() }
