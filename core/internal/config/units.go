package config

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// sizeUnits are the suffixes a size may carry. Both binary (KiB) and
// decimal (KB) units exist because people copy both from other tools; each
// means exactly what its standard says.
var sizeUnits = map[string]int64{
	"":    1,
	"B":   1,
	"KB":  1000,
	"MB":  1000 * 1000,
	"GB":  1000 * 1000 * 1000,
	"TB":  1000 * 1000 * 1000 * 1000,
	"KiB": 1 << 10,
	"MiB": 1 << 20,
	"GiB": 1 << 30,
	"TiB": 1 << 40,
}

// errSizeSyntax says what a size looks like.
var errSizeSyntax = errors.New(`a size is a number with an optional unit: B, KB, MB, GB, TB, KiB, MiB, GiB or TiB, as in "4GiB" or "512MiB"`)

// parseSize parses "4GiB", "1.5 GB", "512MiB" or a plain byte count into
// bytes. It computes with exact rationals so "0.5KiB" is exactly 512, and
// rejects sizes that are not a whole number of bytes.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	end := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if end < 0 {
		end = len(s)
	}
	num, unit := s[:end], strings.TrimSpace(s[end:])
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, errSizeSyntax
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, errSizeSyntax
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("%s is not a whole number of bytes", s)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("%s is too large", s)
	}
	return r.Num().Int64(), nil
}

// parseDuration parses a Go duration ("30m", "1h30m") that is not negative.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf(`a duration is a number with a unit: ms, s, m or h, as in "30s" or "1h30m": %w`, err)
	}
	if d < 0 {
		return 0, errors.New("a duration cannot be negative")
	}
	return d, nil
}
