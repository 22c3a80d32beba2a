//go:build !race

package weights_test

// raceEnabled reports a build with the race detector.
const raceEnabled = false
