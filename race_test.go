//go:build race

package qdq_test

// raceEnabled reports a build with the race detector, whose bookkeeping
// (and emptied sync.Pools) make heap measurements meaningless.
const raceEnabled = true
