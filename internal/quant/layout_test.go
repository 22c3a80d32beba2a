package quant

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLayoutOf(t *testing.T) {
	cases := []struct {
		shape []int
		axis  int
		want  Layout
	}{
		{[]int{2, 3, 4}, -1, Layout{Outer: 1, Depth: 1, Inner: 24}},
		{[]int{2, 3, 4}, 0, Layout{Outer: 1, Depth: 2, Inner: 12}},
		{[]int{2, 3, 4}, 1, Layout{Outer: 2, Depth: 3, Inner: 4}},
		{[]int{2, 3, 4}, 2, Layout{Outer: 6, Depth: 4, Inner: 1}},
		{[]int{}, -1, Layout{Outer: 1, Depth: 1, Inner: 1}},
		{[]int{5, 0, 7}, 2, Layout{Outer: 0, Depth: 7, Inner: 1}},
		{[]int{5, 0, 7}, 1, Layout{Outer: 5, Depth: 0, Inner: 7}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, LayoutOf(c.shape, c.axis), "%v axis %d", c.shape, c.axis)
	}
}

// TestPiecesCoverInOrder checks that the pieces of a layout tile its
// elements exactly once, in memory order, each within the limit, and that
// each piece's channels are the tensor's channels at its elements.
func TestPiecesCoverInOrder(t *testing.T) {
	layouts := []Layout{
		{1, 1, 100}, {7, 5, 3}, {3, 200, 9}, {2, 3, 1000}, {1000, 1, 1}, {4, 0, 3}, {0, 3, 3},
	}
	for _, l := range layouts {
		for _, limit := range []int{-1, 1, 2, 7, 15, 16, 45, 1000, 1 << 20} {
			next := 0
			count := 0
			for p := range Pieces(l, limit) {
				count++
				require.Equal(t, next, p.First, "%v limit %d: pieces out of order", l, limit)
				n := p.Layout.Len()
				if l.Len() > 0 {
					require.LessOrEqual(t, n, max(limit, 1), "%v limit %d", l, limit)
					require.Positive(t, n)
				}
				// Element k of the piece is element First+k of the tensor:
				// its channel must be the piece's channel plus Channel.
				for k := 0; k < n; k += max(1, n/7) {
					c := k / p.Layout.Inner % p.Layout.Depth
					at := p.First + k
					require.Equal(t, at/l.Inner%l.Depth, c+p.Channel, "%v limit %d piece %+v element %d", l, limit, p, k)
				}
				next += n
			}
			require.Equal(t, l.Len(), next, "%v limit %d: pieces do not cover the layout", l, limit)
			if l.Len() == 0 {
				require.Equal(t, 1, count, "%v: an empty layout is one piece", l)
			}
		}
	}
}

func TestPiecesStopWhenAsked(t *testing.T) {
	n := 0
	for range Pieces(Layout{10, 10, 10}, 10) {
		n++
		if n == 3 {
			break
		}
	}
	require.Equal(t, 3, n)
}
