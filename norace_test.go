//go:build !race

package qdq_test

// raceEnabled reports a build with the race detector.
const raceEnabled = false
