package qdq

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error the package returns for bad input is an
// *Error that wraps one of them, so callers can test with errors.Is.
var (
	ErrNumBits    = errors.New("num_bits out of range")
	ErrRoundMode  = errors.New("invalid round mode")
	ErrAxis       = errors.New("invalid axis")
	ErrRange      = errors.New("invalid range")
	ErrRangeShape = errors.New("wrong number of range values")
	ErrDType      = errors.New("unsupported dtype")
	ErrShape      = errors.New("invalid shape")
	ErrBackend    = errors.New("backend unavailable")
	ErrClosed     = errors.New("engine closed")
	// ErrFile is the sentinel of errors about a file: malformed,
	// unreadable, or not writable where asked.
	ErrFile = errors.New("invalid weight file")
	// ErrOption is the sentinel of options that are not valid whatever
	// the tensor: a malformed name pattern, a negative memory limit.
	ErrOption = errors.New("invalid option")
)

// Error is an error about a call's arguments. Msg uses TensorFlow's wording
// where TensorFlow has a message for the same condition.
type Error struct {
	Kind error  // one of the sentinel errors above
	Msg  string // what is wrong, without the "qdq: " prefix
	// Err is the underlying error, for an error about a file (such as
	// fs.ErrNotExist), or nil.
	Err error
}

func newError(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Error returns "qdq: " followed by the message.
func (e *Error) Error() string { return "qdq: " + e.Msg }

// Unwrap returns the sentinel error e is a case of and, for an error
// about a file, the underlying error (so errors.Is(err, fs.ErrNotExist)
// works).
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// about prefixes err's message with what it is about, keeping one "qdq: "
// prefix in front.
func about(what string, err error) error {
	if e, ok := err.(*Error); ok {
		return &Error{Kind: e.Kind, Msg: what + ": " + e.Msg, Err: e.Err}
	}
	return &aboutError{what: what, err: err}
}

// aboutError is an error that is not an *Error with what it is about.
type aboutError struct {
	what string
	err  error
}

// Error returns "qdq: WHAT: " and err's message without its own prefix.
func (e *aboutError) Error() string {
	return "qdq: " + e.what + ": " + strings.TrimPrefix(e.err.Error(), "qdq: ")
}

// Unwrap returns the error e is about.
func (e *aboutError) Unwrap() error { return e.err }
