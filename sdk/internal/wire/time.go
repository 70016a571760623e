package wire

import "time"

// UnixNano encodes t for the wire, where 0 means "not set".
func UnixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// Time decodes a wire time; 0 decodes as the zero time.
func Time(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Millis encodes a duration as whole milliseconds.
func Millis(d time.Duration) int64 {
	return d.Milliseconds()
}

// Duration decodes whole milliseconds.
func Duration(ms int64) time.Duration {
	return time.Duration(ms) * time.Millisecond
}
