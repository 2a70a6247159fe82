package fdt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// Node is one node of a parsed tree. The root's Name is "".
type Node struct {
	Name       string
	Properties []Property
	Children   []*Node
}

// Property is one property of a parsed node; Value is its raw bytes.
type Property struct {
	Name  string
	Value []byte
}

// Property returns the node's property called name.
func (n *Node) Property(name string) (Property, bool) {
	for _, p := range n.Properties {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}

// Child returns the child node called name, unit address included.
func (n *Node) Child(name string) (*Node, bool) {
	for _, c := range n.Children {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// Find returns the node at path (such as "/cpus/cpu@0") below n, which is
// taken as the root; "/" is n itself. Names must be given in full, unit
// addresses included.
func (n *Node) Find(path string) (*Node, bool) {
	if !strings.HasPrefix(path, "/") {
		return nil, false
	}
	node := n
	for _, name := range strings.Split(strings.Trim(path, "/"), "/") {
		if name == "" {
			continue // only for "/"
		}
		child, ok := node.Child(name)
		if !ok {
			return nil, false
		}
		node = child
	}
	return node, true
}

// U32 returns the value of a property that is one u32 cell.
func (p Property) U32() (uint32, error) {
	if len(p.Value) != 4 {
		return 0, fmt.Errorf("fdt: property %q is %d bytes, not one u32 cell", p.Name, len(p.Value))
	}
	return binary.BigEndian.Uint32(p.Value), nil
}

// U32s returns the cells of a property made of u32s.
func (p Property) U32s() ([]uint32, error) {
	if len(p.Value)%4 != 0 {
		return nil, fmt.Errorf("fdt: property %q is %d bytes, not a whole number of u32 cells", p.Name, len(p.Value))
	}
	values := make([]uint32, len(p.Value)/4)
	for i := range values {
		values[i] = binary.BigEndian.Uint32(p.Value[4*i:])
	}
	return values, nil
}

// U64 returns the value of a property that is one u64 (two cells).
func (p Property) U64() (uint64, error) {
	if len(p.Value) != 8 {
		return 0, fmt.Errorf("fdt: property %q is %d bytes, not one u64", p.Name, len(p.Value))
	}
	return binary.BigEndian.Uint64(p.Value), nil
}

// U64s returns the values of a property made of u64s.
func (p Property) U64s() ([]uint64, error) {
	if len(p.Value)%8 != 0 {
		return nil, fmt.Errorf("fdt: property %q is %d bytes, not a whole number of u64s", p.Name, len(p.Value))
	}
	values := make([]uint64, len(p.Value)/8)
	for i := range values {
		values[i] = binary.BigEndian.Uint64(p.Value[8*i:])
	}
	return values, nil
}

// StringValue returns the value of a property that is one string.
func (p Property) StringValue() (string, error) {
	values, err := p.Strings()
	if err != nil {
		return "", err
	}
	if len(values) != 1 {
		return "", fmt.Errorf("fdt: property %q holds %d strings, not one", p.Name, len(values))
	}
	return values[0], nil
}

// Strings returns the strings of a stringlist property.
func (p Property) Strings() ([]string, error) {
	if len(p.Value) == 0 || p.Value[len(p.Value)-1] != 0 {
		return nil, fmt.Errorf("fdt: property %q does not end with a NUL, so it is no string", p.Name)
	}
	return strings.Split(string(p.Value[:len(p.Value)-1]), "\x00"), nil
}

// ReadHeader returns the header of blob after checking it: magic, a version
// this package reads, and blocks that lie inside totalsize, aligned, after
// the header and not on top of each other (5.2, 5.6).
func ReadHeader(blob []byte) (Header, error) {
	if len(blob) < HeaderSize {
		return Header{}, fmt.Errorf("fdt: %d bytes, too short for the %d-byte header", len(blob), HeaderSize)
	}
	h := decodeHeader(blob)
	if h.Magic != Magic {
		return Header{}, fmt.Errorf("fdt: magic is %#08x, not %#08x: this is no device tree blob", h.Magic, uint32(Magic))
	}
	// Version 17 added size_dt_struct; anything that stays compatible
	// with 17 is readable (5.1).
	if h.Version < Version || h.LastCompatibleVersion > Version {
		return Header{}, fmt.Errorf("fdt: version %d (compatible back to %d) cannot be read as version %d", h.Version, h.LastCompatibleVersion, Version)
	}
	if h.TotalSize < HeaderSize || uint64(h.TotalSize) > uint64(len(blob)) {
		return Header{}, fmt.Errorf("fdt: totalsize %d does not fit the %d bytes given", h.TotalSize, len(blob))
	}
	type block struct {
		name          string
		offset, size  uint64
		align         uint64
		sizeAlignment uint64
	}
	blocks := []block{
		{name: "memory reservation block", offset: uint64(h.ReservationsOffset), size: reservationEntrySize, align: reservationAlign, sizeAlignment: 1},
		{name: "structure block", offset: uint64(h.StructOffset), size: uint64(h.StructSize), align: structureAlign, sizeAlignment: structureAlign},
		{name: "strings block", offset: uint64(h.StringsOffset), size: uint64(h.StringsSize), align: 1, sizeAlignment: 1},
	}
	for i, b := range blocks {
		switch {
		case b.offset < HeaderSize:
			return Header{}, fmt.Errorf("fdt: %s at %#x overlaps the header", b.name, b.offset)
		case b.offset%b.align != 0:
			return Header{}, fmt.Errorf("fdt: %s at %#x is not %d-byte aligned", b.name, b.offset, b.align)
		case b.size%b.sizeAlignment != 0:
			return Header{}, fmt.Errorf("fdt: %s size %d is not a multiple of %d", b.name, b.size, b.sizeAlignment)
		case b.offset+b.size > uint64(h.TotalSize):
			return Header{}, fmt.Errorf("fdt: %s %#x+%d runs past totalsize %d", b.name, b.offset, b.size, h.TotalSize)
		}
		for _, o := range blocks[:i] {
			if b.size > 0 && o.size > 0 && b.offset < o.offset+o.size && o.offset < b.offset+b.size {
				return Header{}, fmt.Errorf("fdt: %s %#x+%d overlaps the %s %#x+%d", b.name, b.offset, b.size, o.name, o.offset, o.size)
			}
		}
	}
	return h, nil
}

// ReadReservations returns the entries of the memory reservation block,
// without the zero entry that ends it (5.3).
func ReadReservations(blob []byte) ([]Reservation, error) {
	h, err := ReadHeader(blob)
	if err != nil {
		return nil, err
	}
	return readReservations(blob, h)
}

func readReservations(blob []byte, h Header) ([]Reservation, error) {
	var reservations []Reservation
	for off := uint64(h.ReservationsOffset); ; off += reservationEntrySize {
		end := off + reservationEntrySize
		if end > uint64(h.TotalSize) {
			return nil, fmt.Errorf("fdt: memory reservation block at %#x runs past totalsize %d without its terminating zero entry", h.ReservationsOffset, h.TotalSize)
		}
		if overlapsBlock(off, end, uint64(h.StructOffset), uint64(h.StructSize)) || overlapsBlock(off, end, uint64(h.StringsOffset), uint64(h.StringsSize)) {
			return nil, fmt.Errorf("fdt: memory reservation entry at %#x overlaps the structure or strings block", off)
		}
		r := Reservation{Address: binary.BigEndian.Uint64(blob[off:]), Size: binary.BigEndian.Uint64(blob[off+8:])}
		if r == (Reservation{}) {
			return reservations, nil
		}
		reservations = append(reservations, r)
	}
}

func overlapsBlock(start, end, blockOffset, blockSize uint64) bool {
	return blockSize > 0 && start < blockOffset+blockSize && blockOffset < end
}

// Parse checks blob (header, memory reservation block, structure block)
// and returns its root node. It checks the encoding, not the content: node
// and property names are taken as they are.
func Parse(blob []byte) (*Node, error) {
	h, err := ReadHeader(blob)
	if err != nil {
		return nil, err
	}
	if _, err := readReservations(blob, h); err != nil {
		return nil, err
	}
	return parseStructure(blob, h)
}

// parseStructure walks the tokens of the structure block (5.4) with an
// explicit stack, so a deeply nested blob cannot exhaust the Go stack.
func parseStructure(blob []byte, h Header) (*Node, error) {
	structure := blob[h.StructOffset : h.StructOffset+h.StructSize]
	stringsBlock := blob[h.StringsOffset : h.StringsOffset+h.StringsSize]
	at := func(off int) uint32 { return h.StructOffset + uint32(off) } // blob offset, for messages

	var root *Node
	var open []*Node
	off := 0
	for {
		if off+4 > len(structure) {
			return nil, fmt.Errorf("fdt: structure block ends at %#x without FDT_END", at(len(structure)))
		}
		tokenAt := off
		token := binary.BigEndian.Uint32(structure[off:])
		off += 4
		switch token {
		case tokenNop:

		case tokenBeginNode:
			name, ok := cString(structure[off:])
			if !ok {
				return nil, fmt.Errorf("fdt: name of the node at %#x is not NUL-terminated", at(tokenAt))
			}
			off = alignUp(off+len(name)+1, structureAlign)
			node := &Node{Name: name}
			switch {
			case len(open) > 0:
				parent := open[len(open)-1]
				parent.Children = append(parent.Children, node)
			case root != nil:
				return nil, fmt.Errorf("fdt: second root node %q at %#x", name, at(tokenAt))
			case name != "":
				return nil, fmt.Errorf("fdt: root node at %#x is named %q; the root's name is empty", at(tokenAt), name)
			default:
				root = node
			}
			open = append(open, node)

		case tokenEndNode:
			if len(open) == 0 {
				return nil, fmt.Errorf("fdt: FDT_END_NODE at %#x without an open node", at(tokenAt))
			}
			open = open[:len(open)-1]

		case tokenProp:
			if len(open) == 0 {
				return nil, fmt.Errorf("fdt: property at %#x outside any node", at(tokenAt))
			}
			node := open[len(open)-1]
			if len(node.Children) > 0 {
				return nil, fmt.Errorf("fdt: property at %#x follows a child node of %q; properties come first (5.4.2)", at(tokenAt), node.Name)
			}
			if off+8 > len(structure) {
				return nil, fmt.Errorf("fdt: property at %#x is cut off by the end of the structure block", at(tokenAt))
			}
			length := uint64(binary.BigEndian.Uint32(structure[off:]))
			nameOffset := uint64(binary.BigEndian.Uint32(structure[off+4:]))
			off += 8
			if uint64(off)+length > uint64(len(structure)) {
				return nil, fmt.Errorf("fdt: property at %#x: value of %d bytes runs past the structure block", at(tokenAt), length)
			}
			if nameOffset >= uint64(len(stringsBlock)) {
				return nil, fmt.Errorf("fdt: property at %#x: name offset %d is outside the %d-byte strings block", at(tokenAt), nameOffset, len(stringsBlock))
			}
			name, ok := cString(stringsBlock[nameOffset:])
			if !ok {
				return nil, fmt.Errorf("fdt: property at %#x: name at strings offset %d is not NUL-terminated", at(tokenAt), nameOffset)
			}
			var value []byte // nil for an empty property
			if length > 0 {
				value = bytes.Clone(structure[off : off+int(length)])
			}
			node.Properties = append(node.Properties, Property{Name: name, Value: value})
			off = alignUp(off+int(length), structureAlign)

		case tokenEnd:
			switch {
			case root == nil:
				return nil, fmt.Errorf("fdt: FDT_END at %#x before any node", at(tokenAt))
			case len(open) > 0:
				return nil, fmt.Errorf("fdt: FDT_END at %#x while node %q is still open", at(tokenAt), open[len(open)-1].Name)
			case off != len(structure):
				return nil, fmt.Errorf("fdt: FDT_END at %#x is followed by %d more bytes of structure block; it must be the last token", at(tokenAt), len(structure)-off)
			}
			return root, nil

		default:
			return nil, fmt.Errorf("fdt: unknown token %#x at %#x", token, at(tokenAt))
		}
	}
}

// cString returns the NUL-terminated string at the start of b.
func cString(b []byte) (string, bool) {
	n := bytes.IndexByte(b, 0)
	if n < 0 {
		return "", false
	}
	return string(b[:n]), true
}
