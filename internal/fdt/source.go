package fdt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
)

// ParseSource reads device tree source in the form dtc writes when it
// decompiles a blob (dtc -I dtb -O dts) and returns the tree Parse would
// return for the blob. Boards keep the device trees their descriptions are
// checked against in that form, readable in a review.
//
// It accepts what such output holds (Devicetree Specification v0.4, chapter
// 6): the /dts-v1/ tag, /memreserve/ entries (skipped), one root node "/",
// nested nodes, and properties that are empty or a comma-separated list of
// cell lists <...> of 32-bit numbers, quoted strings (NUL-terminated, with
// C escapes) and byte strings [...]. Conveniences dtc resolves while
// compiling and never writes back (labels, &references, expressions,
// /bits/, /include/, /delete-node/) are refused, as are nodes and
// properties defined twice. Names are checked against the characters of
// Tables 2.1 and 2.2 but not against the 31-character limit, which real
// trees exceed (snps,gfladj-refclk-lpm-sel-quirk).
func ParseSource(src []byte) (*Node, error) {
	p := &sourceParser{src: src}
	p.skipSpace()
	if !p.consume("/dts-v1/") {
		return nil, p.errorf("the source does not start with /dts-v1/; (Devicetree Specification 6.5)")
	}
	if err := p.expect(';'); err != nil {
		return nil, err
	}
	for p.skipSpace(); p.consume("/memreserve/"); p.skipSpace() {
		for range 2 {
			p.skipSpace()
			if _, err := p.number(64); err != nil {
				return nil, err
			}
		}
		if err := p.expect(';'); err != nil {
			return nil, err
		}
	}
	if !p.consume("/") {
		return nil, p.errorf("expected the root node \"/ {\"")
	}
	root := &Node{}
	if err := p.nodeBody(root); err != nil {
		return nil, err
	}
	if p.skipSpace(); p.pos < len(p.src) {
		return nil, p.errorf("unexpected %q after the root node; the source holds one tree", p.src[p.pos])
	}
	return root, nil
}

type sourceParser struct {
	src []byte
	pos int
}

func (p *sourceParser) errorf(format string, args ...any) error {
	line := 1 + bytes.Count(p.src[:p.pos], []byte("\n"))
	return fmt.Errorf("fdt: source line %d: %s", line, fmt.Sprintf(format, args...))
}

// skipSpace moves past white space and comments.
func (p *sourceParser) skipSpace() {
	for p.pos < len(p.src) {
		switch rest := p.src[p.pos:]; {
		case rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r':
			p.pos++
		case bytes.HasPrefix(rest, []byte("//")):
			if end := bytes.IndexByte(rest, '\n'); end >= 0 {
				p.pos += end + 1
			} else {
				p.pos = len(p.src)
			}
		case bytes.HasPrefix(rest, []byte("/*")):
			if end := bytes.Index(rest[2:], []byte("*/")); end >= 0 {
				p.pos += 2 + end + 2
			} else {
				p.pos = len(p.src)
			}
		default:
			return
		}
	}
}

func (p *sourceParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

// consume moves past s if the source continues with it.
func (p *sourceParser) consume(s string) bool {
	if bytes.HasPrefix(p.src[p.pos:], []byte(s)) {
		p.pos += len(s)
		return true
	}
	return false
}

func (p *sourceParser) expect(c byte) error {
	p.skipSpace()
	if p.peek() != c {
		return p.unexpected(fmt.Sprintf("%q", c))
	}
	p.pos++
	return nil
}

func (p *sourceParser) unexpected(want string) error {
	if p.pos >= len(p.src) {
		return p.errorf("the source ends where %s is expected", want)
	}
	got := p.src[p.pos]
	switch got {
	case '&':
		return p.errorf("references (&label) are not supported: write the phandle number, as dtc -O dts does")
	case '(':
		return p.errorf("expressions are not supported: write the value, as dtc -O dts does")
	}
	return p.errorf("expected %s, found %q", want, got)
}

// name reads a node or property name: the characters of Tables 2.1 and
// 2.2, and '@' before a unit address.
func (p *sourceParser) name() string {
	start := p.pos
	for p.pos < len(p.src) && (isPropertyNameChar(p.src[p.pos]) || p.src[p.pos] == '@') {
		p.pos++
	}
	return string(p.src[start:p.pos])
}

// nodeBody reads "{ properties and child nodes };" into n.
func (p *sourceParser) nodeBody(n *Node) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	for {
		p.skipSpace()
		if p.peek() == '}' {
			p.pos++
			return p.expect(';')
		}
		at := p.pos
		name := p.name()
		if name == "" {
			if p.peek() == '/' {
				return p.errorf("directives inside nodes (/delete-node/, /delete-property/) are not supported")
			}
			return p.unexpected("a property or node name, or '}'")
		}
		p.skipSpace()
		if p.peek() == ':' {
			return p.errorf("labels (%s:) are not supported; dtc -O dts writes none", name)
		}
		if p.peek() == '{' {
			if bytes.ContainsAny([]byte(name), "#?") {
				p.pos = at
				return p.errorf("node name %q: '#' and '?' belong to property names (Devicetree Specification 2.2.1, Table 2.1)", name)
			}
			if _, dup := n.Child(name); dup {
				p.pos = at
				return p.errorf("node %q is defined twice in %q", name, nameOrRoot(n))
			}
			child := &Node{Name: name}
			if err := p.nodeBody(child); err != nil {
				return err
			}
			n.Children = append(n.Children, child)
			continue
		}
		if bytes.IndexByte([]byte(name), '@') >= 0 {
			p.pos = at
			return p.errorf("property name %q: '@' belongs to node names (Devicetree Specification 2.2.4, Table 2.2)", name)
		}
		if _, dup := n.Property(name); dup {
			p.pos = at
			return p.errorf("property %q is defined twice in %q", name, nameOrRoot(n))
		}
		value, err := p.propertyValue()
		if err != nil {
			return err
		}
		n.Properties = append(n.Properties, Property{Name: name, Value: value})
	}
}

func nameOrRoot(n *Node) string {
	if n.Name == "" {
		return "/"
	}
	return n.Name
}

// propertyValue reads "= value, value;" or ";" and returns the encoded
// value (Devicetree Specification 6.3).
func (p *sourceParser) propertyValue() ([]byte, error) {
	p.skipSpace()
	if p.peek() == ';' {
		p.pos++
		return []byte{}, nil
	}
	if err := p.expect('='); err != nil {
		return nil, err
	}
	var value []byte
	for {
		p.skipSpace()
		var err error
		switch p.peek() {
		case '<':
			value, err = p.cells(value)
		case '"':
			value, err = p.quoted(value)
		case '[':
			value, err = p.byteString(value)
		default:
			if p.consume("/bits/") {
				return nil, p.errorf("/bits/ is not supported: write 32-bit cells, as dtc -O dts does")
			}
			return nil, p.unexpected("a value: <cells>, \"string\" or [bytes]")
		}
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() != ',' {
			break
		}
		p.pos++
	}
	if err := p.expect(';'); err != nil {
		return nil, err
	}
	return value, nil
}

// cells appends "<n n ...>" as big-endian u32s.
func (p *sourceParser) cells(value []byte) ([]byte, error) {
	p.pos++ // '<'
	for {
		p.skipSpace()
		if p.peek() == '>' {
			p.pos++
			return value, nil
		}
		n, err := p.number(32)
		if err != nil {
			return nil, err
		}
		value = binary.BigEndian.AppendUint32(value, uint32(n))
	}
}

// number reads an integer literal as C writes it: 0x hexadecimal, a
// leading 0 octal, decimal otherwise (Devicetree Specification 6.3).
func (p *sourceParser) number(bits int) (uint64, error) {
	start := p.pos
	for p.pos < len(p.src) && isNumberChar(p.src[p.pos]) {
		p.pos++
	}
	if start == p.pos {
		return 0, p.unexpected("a number")
	}
	text := string(p.src[start:p.pos])
	n, err := strconv.ParseUint(text, 0, bits)
	if err != nil {
		p.pos = start
		return 0, p.errorf("%q is not a %d-bit number", text, bits)
	}
	return n, nil
}

func isNumberChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == 'x' || c == 'X'
}

// quoted appends a "string" and its terminating NUL.
func (p *sourceParser) quoted(value []byte) ([]byte, error) {
	p.pos++ // '"'
	for {
		if p.pos >= len(p.src) || p.src[p.pos] == '\n' {
			return nil, p.errorf("string not closed before the end of the line")
		}
		c := p.src[p.pos]
		p.pos++
		switch c {
		case '"':
			return append(value, 0), nil
		case '\\':
			b, err := p.escape()
			if err != nil {
				return nil, err
			}
			value = append(value, b)
		default:
			value = append(value, c)
		}
	}
}

// escape reads what follows a backslash in a string: the C escapes dtc
// writes (\0 between the strings of a list, \" \\ \n \t \r, \xNN, and
// octal \NNN).
func (p *sourceParser) escape() (byte, error) {
	if p.pos >= len(p.src) {
		return 0, p.errorf("the source ends inside an escape sequence")
	}
	c := p.src[p.pos]
	p.pos++
	switch c {
	case '"', '\\', '\'':
		return c, nil
	case 'n':
		return '\n', nil
	case 't':
		return '\t', nil
	case 'r':
		return '\r', nil
	case 'a':
		return '\a', nil
	case 'b':
		return '\b', nil
	case 'v':
		return '\v', nil
	case 'f':
		return '\f', nil
	case 'x':
		return p.escapedNumber(16, 2, 1)
	}
	if c >= '0' && c <= '7' {
		p.pos--
		return p.escapedNumber(8, 3, 1)
	}
	p.pos--
	return 0, p.errorf("unknown escape sequence \\%c", c)
}

// escapedNumber reads min to max digits in base as one byte.
func (p *sourceParser) escapedNumber(base, max, min int) (byte, error) {
	start := p.pos
	for p.pos < len(p.src) && p.pos-start < max && isDigit(p.src[p.pos], base) {
		p.pos++
	}
	if p.pos-start < min {
		return 0, p.errorf("escape sequence without digits")
	}
	n, err := strconv.ParseUint(string(p.src[start:p.pos]), base, 8)
	if err != nil {
		p.pos = start
		return 0, p.errorf("escape sequence %q is beyond a byte", p.src[start:p.pos])
	}
	return byte(n), nil
}

func isDigit(c byte, base int) bool {
	if base == 8 {
		return c >= '0' && c <= '7'
	}
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// byteString appends "[0011 22]": pairs of hexadecimal digits, white space
// allowed between the bytes.
func (p *sourceParser) byteString(value []byte) ([]byte, error) {
	p.pos++ // '['
	for {
		p.skipSpace()
		if p.peek() == ']' {
			p.pos++
			return value, nil
		}
		if p.pos+1 >= len(p.src) || !isDigit(p.src[p.pos], 16) || !isDigit(p.src[p.pos+1], 16) {
			return nil, p.unexpected("a byte of two hexadecimal digits, or ']'")
		}
		b, _ := strconv.ParseUint(string(p.src[p.pos:p.pos+2]), 16, 8)
		value = append(value, byte(b))
		p.pos += 2
	}
}
