package fdt

import (
	"fmt"
	"strings"
)

// maxNameLength bounds node-name (without its unit address) and property
// names (Devicetree Specification v0.4, 2.2.1 and 2.2.4).
const maxNameLength = 31

// isNodeNameChar reports whether c is in Table 2.1, the characters allowed
// in node names and unit addresses.
func isNodeNameChar(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return true
	}
	return strings.IndexByte(",._+-", c) >= 0
}

// isPropertyNameChar reports whether c is in Table 2.2, the characters
// allowed in property names: Table 2.1 plus '?' and '#'.
func isPropertyNameChar(c byte) bool {
	return isNodeNameChar(c) || c == '?' || c == '#'
}

func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// CheckNodeName reports whether name is a valid "node-name@unit-address"
// for any node but the root (Devicetree Specification v0.4, 2.2.1):
// node-name is 1 to 31 characters of Table 2.1 starting with a letter; the
// optional unit address is one or more characters of Table 2.1.
func CheckNodeName(name string) error {
	nodeName, unitAddress, hasUnitAddress := strings.Cut(name, "@")
	switch {
	case nodeName == "":
		return fmt.Errorf("node name %q: the part before '@' is empty; node names are 1 to %d characters (Devicetree Specification 2.2.1)", name, maxNameLength)
	case len(nodeName) > maxNameLength:
		return fmt.Errorf("node name %q: %d characters before '@', at most %d allowed (Devicetree Specification 2.2.1)", name, len(nodeName), maxNameLength)
	case !isLetter(nodeName[0]):
		return fmt.Errorf("node name %q: must start with a letter (Devicetree Specification 2.2.1)", name)
	case hasUnitAddress && unitAddress == "":
		return fmt.Errorf("node name %q: empty unit address after '@'; drop the '@' or add the address (Devicetree Specification 2.2.1)", name)
	}
	if i := firstInvalid(nodeName, isNodeNameChar); i >= 0 {
		return fmt.Errorf("node name %q: character %q not allowed; use 0-9 a-z A-Z , . _ + - (Devicetree Specification 2.2.1, Table 2.1)", name, nodeName[i:i+1])
	}
	if i := firstInvalid(unitAddress, isNodeNameChar); i >= 0 {
		return fmt.Errorf("node name %q: character %q not allowed in the unit address; use 0-9 a-z A-Z , . _ + - (Devicetree Specification 2.2.1, Table 2.1)", name, unitAddress[i:i+1])
	}
	return nil
}

// CheckPropertyName reports whether name is a valid property name: 1 to 31
// characters of Table 2.2 (Devicetree Specification v0.4, 2.2.4).
func CheckPropertyName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("property name is empty; property names are 1 to %d characters (Devicetree Specification 2.2.4)", maxNameLength)
	case len(name) > maxNameLength:
		return fmt.Errorf("property name %q: %d characters, at most %d allowed (Devicetree Specification 2.2.4)", name, len(name), maxNameLength)
	}
	if i := firstInvalid(name, isPropertyNameChar); i >= 0 {
		return fmt.Errorf("property name %q: character %q not allowed; use 0-9 a-z A-Z , . _ + ? # - (Devicetree Specification 2.2.4, Table 2.2)", name, name[i:i+1])
	}
	return nil
}

// firstInvalid returns the index of the first byte of s that valid rejects,
// or -1. Names are ASCII, so any byte above 0x7f is rejected too.
func firstInvalid(s string, valid func(byte) bool) int {
	for i := 0; i < len(s); i++ {
		if !valid(s[i]) {
			return i
		}
	}
	return -1
}
