//go:build race

package weights_test

// raceEnabled reports a build with the race detector, whose bookkeeping
// (and emptied sync.Pools) make heap and time measurements meaningless.
const raceEnabled = true
