package quant

import "iter"

// Layout is the [outer, depth, inner] view of a tensor along its channel
// axis: outer is the product of the dimensions before the axis, depth the
// axis' size and inner the product of the dimensions after it. Channel c
// is every element whose middle index is c; a per-tensor call is the
// layout {1, 1, n}.
type Layout struct {
	Outer, Depth, Inner int
}

// LayoutOf returns the layout of a tensor of the given shape along axis,
// or the per-tensor layout {1, 1, n} when axis is -1. The caller has
// checked that -1 <= axis < len(shape).
func LayoutOf(shape []int, axis int) Layout {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if axis < 0 {
		return Layout{Outer: 1, Depth: 1, Inner: n}
	}
	l := Layout{Outer: 1, Depth: shape[axis], Inner: 1}
	for _, d := range shape[:axis] {
		l.Outer *= d
	}
	for _, d := range shape[axis+1:] {
		l.Inner *= d
	}
	return l
}

// Len returns the number of elements the layout covers.
func (l Layout) Len() int { return l.Outer * l.Depth * l.Inner }

// Piece is a contiguous run of a tensor's elements that is itself a
// tensor with a layout of its own: whole slabs (every channel at some
// outer indexes), whole rows of adjacent channels, or part of one row.
type Piece struct {
	// First is the offset of the piece's first element in the tensor.
	First int
	// Layout is the piece's own layout.
	Layout Layout
	// Channel is the tensor's channel that is the piece's channel 0.
	Channel int
}

// Pieces splits l into pieces of at most max(limit, 1) elements, in
// memory order: whole slabs where a slab fits, else whole rows of one
// slab, else parts of one row. A layout of no elements is one piece.
func Pieces(l Layout, limit int) iter.Seq[Piece] {
	limit = max(limit, 1)
	return func(yield func(Piece) bool) {
		slab := l.Depth * l.Inner
		switch {
		case l.Len() == 0:
			yield(Piece{Layout: l})
		case slab <= limit:
			k := limit / slab
			for o := 0; o < l.Outer; o += k {
				if !yield(Piece{First: o * slab, Layout: Layout{Outer: min(k, l.Outer-o), Depth: l.Depth, Inner: l.Inner}}) {
					return
				}
			}
		case l.Inner <= limit:
			k := limit / l.Inner
			for o := range l.Outer {
				for c := 0; c < l.Depth; c += k {
					p := Piece{First: (o*l.Depth + c) * l.Inner, Layout: Layout{Outer: 1, Depth: min(k, l.Depth-c), Inner: l.Inner}, Channel: c}
					if !yield(p) {
						return
					}
				}
			}
		default:
			for o := range l.Outer {
				for c := range l.Depth {
					for i := 0; i < l.Inner; i += limit {
						p := Piece{First: (o*l.Depth+c)*l.Inner + i, Layout: Layout{Outer: 1, Depth: 1, Inner: min(limit, l.Inner-i)}, Channel: c}
						if !yield(p) {
							return
						}
					}
				}
			}
		}
	}
}
