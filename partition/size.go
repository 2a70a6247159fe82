package partition

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Binary size units, as configs write them (IEC 80000-13).
const (
	KiB uint64 = 1 << 10
	MiB uint64 = 1 << 20
	GiB uint64 = 1 << 30
	TiB uint64 = 1 << 40
)

// PageSize is the granule every address and size in a config is aligned
// to: the 4 KiB stage-2 translation granule (DESIGN.md, "Memory").
const PageSize = 4 * KiB

// sizeUnits lists the accepted units, largest first, so FormatSize picks
// the largest one that divides a size exactly.
var sizeUnits = []struct {
	suffix string
	bytes  uint64
}{
	{"TiB", TiB},
	{"GiB", GiB},
	{"MiB", MiB},
	{"KiB", KiB},
}

// valueError says what is wrong with a written value and how to write it
// instead. The loader puts the field name and the value in front.
type valueError struct {
	problem string
	fix     string
}

func (e *valueError) Error() string { return e.problem + "; " + e.fix }

// ParseSize parses a byte count: a decimal or 0x-prefixed hexadecimal
// integer ("4096", "0x1000"), or an integer followed by a binary unit
// ("4KiB", "64MiB", "1GiB", "2TiB"; a space before the unit is allowed).
// Underscores may separate digits.
func ParseSize(s string) (uint64, error) {
	n, verr := parseSize(s)
	if verr != nil {
		return 0, fmt.Errorf("size %q %w", s, verr)
	}
	return n, nil
}

// ParseAddress parses an address: a decimal or 0x-prefixed hexadecimal
// integer. Underscores may separate digits.
func ParseAddress(s string) (uint64, error) {
	n, verr := parseAddress(s)
	if verr != nil {
		return 0, fmt.Errorf("address %q %w", s, verr)
	}
	return n, nil
}

// FormatSize writes a size the way configs do: with the largest binary
// unit that divides it exactly, else in hexadecimal.
func FormatSize(n uint64) string {
	if n == 0 {
		return "0"
	}
	for _, u := range sizeUnits {
		if n%u.bytes == 0 {
			return strconv.FormatUint(n/u.bytes, 10) + u.suffix
		}
	}
	return fmt.Sprintf("%#x", n)
}

// FormatRange writes a range as base+size, the notation of every message
// about addresses: 0x48000000+64MiB.
func FormatRange(base, size uint64) string {
	return fmt.Sprintf("%#x+%s", base, FormatSize(size))
}

func parseSize(s string) (uint64, *valueError) {
	if isHex(s) {
		return parseInteger(s, "a size")
	}
	for _, u := range sizeUnits {
		number, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, verr := parseInteger(strings.TrimRight(number, " "), "a size")
		if verr != nil {
			return 0, verr
		}
		if n > math.MaxUint64/u.bytes {
			return 0, &valueError{"does not fit in 64 bits", "use a smaller size"}
		}
		return n * u.bytes, nil
	}
	// Digits followed by letters: a unit we do not accept, most often a
	// decimal one (MB) that would be ambiguous.
	number := strings.TrimRight(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ")
	if unit := strings.TrimSpace(s[len(number):]); number != "" && unit != "" && isDecimal(number) {
		fix := "write the unit as KiB, MiB, GiB or TiB"
		if u := suggestUnit(unit); u != "" {
			fix = fmt.Sprintf("write %s%s (units are KiB, MiB, GiB and TiB)", strings.TrimSpace(number), u)
		}
		return 0, &valueError{fmt.Sprintf("has unit %q", unit), fix}
	}
	return parseInteger(s, "a size")
}

func parseAddress(s string) (uint64, *valueError) {
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			return 0, &valueError{"is a size, not an address", "write the address as an integer such as 0x48000000"}
		}
	}
	return parseInteger(s, "an address")
}

// parseInteger parses a decimal or 0x-prefixed hexadecimal integer; what
// ("a size", "an address") goes into the suggested fix.
func parseInteger(s, what string) (uint64, *valueError) {
	notNumber := &valueError{"is not a number", fmt.Sprintf("write %s as a decimal or 0x-prefixed hexadecimal integer", what)}
	digits, base := s, 10
	if isHex(s) {
		digits, base = s[2:], 16
	} else if len(s) > 1 && s[0] == '0' && isDecimal(s) {
		return 0, &valueError{"has a leading zero, which some YAML readers take as octal", "drop the leading zeros, or write hexadecimal with 0x"}
	}
	if digits == "" || digits[0] == '_' || digits[len(digits)-1] == '_' || strings.Contains(digits, "__") {
		return 0, notNumber
	}
	n, err := strconv.ParseUint(strings.ReplaceAll(digits, "_", ""), base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, &valueError{"does not fit in 64 bits", fmt.Sprintf("write %s below 2^64", what)}
		}
		return 0, notNumber
	}
	return n, nil
}

func isHex(s string) bool {
	return strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X")
}

func isDecimal(s string) bool {
	for _, r := range strings.ReplaceAll(s, "_", "") {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// suggestUnit maps a unit people commonly write (M, MB, mib) to the
// binary unit configs use.
func suggestUnit(unit string) string {
	switch strings.ToLower(unit)[0] {
	case 'k':
		return "KiB"
	case 'm':
		return "MiB"
	case 'g':
		return "GiB"
	case 't':
		return "TiB"
	}
	return ""
}
