//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package atomicfile

import "os"

// renameWhileOpen is false where the temporary file is closed before it
// is renamed (Windows cannot rename a file open without FILE_SHARE_DELETE).
const renameWhileOpen = false

// lockTemp does nothing where there is no flock: the file is not locked.
func lockTemp(*os.File, string) (bool, error) { return true, nil }

// removeIfUnlocked removes nothing where there is no lock to tell a dead
// writer from a live one.
func removeIfUnlocked(string) (bool, error) { return false, nil }

// openFIFO opens the FIFO path for writing; here that waits for a reader.
func openFIFO(path string) (*os.File, error) { return os.OpenFile(path, os.O_WRONLY, 0) }

// errNoReader reports whether err says a FIFO has no reader: never here.
func errNoReader(error) bool { return false }

// dirSyncUnsupported treats every error syncing a directory as the file
// system's inability to do so (Windows cannot sync a directory opened
// for reading).
func dirSyncUnsupported(error) bool { return true }
