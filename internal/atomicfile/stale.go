package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// maxBase is how many bytes of the target's name a temporary name keeps,
// so that it stays within the usual limit of 255 bytes.
const maxBase = 200

// tempPattern matches the names tempName makes.
var tempPattern = regexp.MustCompile(`^\..+\.qdq-[0-9]+-[0-9a-z]+\.tmp$`)

// tempName returns the name of a temporary file for the target named
// base, made by process pid: .BASE.qdq-PID-RANDOM.tmp.
func tempName(base string, pid int, random uint64) string {
	if len(base) > maxBase {
		n := maxBase
		for n > 0 && !utf8.RuneStart(base[n]) {
			n--
		}
		base = base[:n]
	}
	return "." + base + ".qdq-" + strconv.Itoa(pid) + "-" + strconv.FormatUint(random, 36) + ".tmp"
}

// createTemp creates and locks a new temporary file in dir for the target
// named base, with the permissions perm less the umask, and returns it
// with its name.
func createTemp(dir, base string, perm fs.FileMode) (*os.File, string, error) {
	for range 100 {
		name := filepath.Join(dir, tempName(base, os.Getpid(), rand.Uint64()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		locked, err := lockTemp(f, name)
		if err != nil || !locked {
			// Not locked: a RemoveStale got to it first and is
			// removing it; try another name.
			os.Remove(name)
			f.Close()
		}
		if err != nil {
			return nil, "", err
		}
		if locked {
			return f, name, nil
		}
	}
	return nil, "", errors.New("no unused temporary file name found")
}

// RemoveStale removes the temporary files that writers which died (killed
// by SIGKILL or SIGQUIT, say) left in dir, and returns their paths. A
// file is removed only when its name has the pattern of this package's
// temporary files and its lock can be taken, so that it never removes
// the file of a writer still running, in this process or another. It
// goes on past an error on one file, and returns the errors joined.
//
// Where there is no flock (see the package documentation), a dead
// writer cannot be told from a live one, and RemoveStale removes nothing.
func RemoveStale(dir string) (removed []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: removing stale temporary files: %w", dir, pathErr(err))
	}
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !tempPattern.MatchString(e.Name()) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		ok, err := removeIfUnlocked(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: removing a stale temporary file: %w", name, pathErr(err)))
		}
		if ok {
			removed = append(removed, name)
		}
	}
	return removed, errors.Join(errs...)
}
