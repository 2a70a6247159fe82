package fdt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Writer builds a flattened device tree from a flat list of calls (error
// checks left out here):
//
//	w := fdt.NewWriter()
//	w.BeginNode("")                 // the root
//	w.PropU32("#address-cells", 2)
//	w.BeginNode("memory@40000000")
//	w.PropString("device_type", "memory")
//	w.PropU64("reg", 0x4000_0000, 0x800_0000)
//	w.EndNode()
//	w.EndNode()
//	blob, err := w.Finish()
//
// Every call returns an error, and the first error sticks: every later
// call and Finish return it again, so no blob is ever produced from a
// sequence in which one call failed.
//
// The blob is laid out as dtc lays it out (header, memory reservation
// block, structure block, strings block, no free space), and the strings
// block shares a name with the tail of an earlier one the way dtc does, so
// the same tree gives the same bytes as dtc.
type Writer struct {
	structure     []byte
	strings       []byte
	stringOffsets map[string]uint32
	reservations  []Reservation

	open     []*openNode // the root first; empty before the root and after it
	rootDone bool
	finished bool
	err      error

	// definedPhandles maps each phandle property value written so far to
	// its node's path; allocatedPhandles are those NewPhandle handed out.
	definedPhandles   map[uint32]string
	allocatedPhandles []uint32
	lastPhandle       uint32
}

// openNode is a node between its BeginNode and EndNode.
type openNode struct {
	name       string
	properties map[string]bool
	children   map[string]bool
}

var errFinished = errors.New("fdt: Finish was already called; start a new Writer")

// NewWriter returns a Writer for an empty tree.
func NewWriter() *Writer {
	return &Writer{
		stringOffsets:   map[string]uint32{},
		definedPhandles: map[uint32]string{},
	}
}

// usable returns the error that stops any further call, if there is one.
func (w *Writer) usable() error {
	if w.err != nil {
		return w.err
	}
	if w.finished {
		return errFinished
	}
	return nil
}

// fail records the first error and returns it.
func (w *Writer) fail(format string, args ...any) error {
	w.err = fmt.Errorf("fdt: "+format, args...)
	return w.err
}

// path returns the path of the innermost open node, "/" for the root.
func (w *Writer) path() string {
	if len(w.open) <= 1 {
		return "/"
	}
	names := make([]string, 0, len(w.open)-1)
	for _, n := range w.open[1:] {
		names = append(names, n.name)
	}
	return "/" + strings.Join(names, "/")
}

func (w *Writer) childPath(name string) string {
	if len(w.open) <= 1 {
		return "/" + name
	}
	return w.path() + "/" + name
}

func (w *Writer) appendU32(v uint32) {
	w.structure = binary.BigEndian.AppendUint32(w.structure, v)
}

// pad appends zero bytes up to the next token boundary (5.4.1).
func (w *Writer) pad() {
	for len(w.structure)%structureAlign != 0 {
		w.structure = append(w.structure, 0)
	}
}

// AddReservation adds an entry to the memory reservation block (5.3). The
// regions must not overlap (5.3.2), and a zero size is refused because an
// entry of zeros ends the list.
func (w *Writer) AddReservation(address, size uint64) error {
	if err := w.usable(); err != nil {
		return err
	}
	if size == 0 {
		return w.fail("memory reservation at %#x has size 0; give its size in bytes", address)
	}
	if size-1 > math.MaxUint64-address {
		return w.fail("memory reservation %#x+%#x runs past the end of the 64-bit address space", address, size)
	}
	for _, r := range w.reservations {
		if address <= r.Address+(r.Size-1) && r.Address <= address+(size-1) {
			return w.fail("memory reservation %#x+%#x overlaps reservation %#x+%#x; merge them into one entry", address, size, r.Address, r.Size)
		}
	}
	w.reservations = append(w.reservations, Reservation{Address: address, Size: size})
	return nil
}

// NewPhandle returns a phandle no node uses yet, for a node written later
// to define with PropU32("phandle", ...) and others to refer to. Finish
// fails if no node defines it, so a reference can never dangle.
func (w *Writer) NewPhandle() (uint32, error) {
	if err := w.usable(); err != nil {
		return 0, err
	}
	for candidate := w.lastPhandle + 1; candidate != phandleInvalid; candidate++ {
		if _, defined := w.definedPhandles[candidate]; !defined {
			w.lastPhandle = candidate
			w.allocatedPhandles = append(w.allocatedPhandles, candidate)
			return candidate, nil
		}
	}
	return 0, w.fail("no phandle left below %#x", uint32(phandleInvalid))
}

// BeginNode opens a node. The first node is the root and its name is "";
// every other name is "node-name@unit-address" (2.2.1), unique among its
// siblings, and a node-name without unit address must differ from the
// parent's property names.
func (w *Writer) BeginNode(name string) error {
	if err := w.usable(); err != nil {
		return err
	}
	if len(w.open) == 0 {
		if w.rootDone {
			return w.fail("node %q begun after the root node ended; a tree has exactly one root", name)
		}
		if name != "" {
			return w.fail("the root node's name must be empty, got %q; begin the root with BeginNode(\"\")", name)
		}
	} else {
		if err := CheckNodeName(name); err != nil {
			return w.fail("node %s: %w", w.childPath(name), err)
		}
		parent := w.open[len(w.open)-1]
		if parent.children[name] {
			return w.fail("node %s written twice; sibling nodes need distinct names", w.childPath(name))
		}
		if !strings.Contains(name, "@") && parent.properties[name] {
			return w.fail("node %s has the name of a property of %s; give the node a unit address or another name (Devicetree Specification 2.2.1)", w.childPath(name), w.path())
		}
		parent.children[name] = true
	}
	w.appendU32(tokenBeginNode)
	w.structure = append(w.structure, name...)
	w.structure = append(w.structure, 0)
	w.pad()
	w.open = append(w.open, &openNode{name: name, properties: map[string]bool{}, children: map[string]bool{}})
	return nil
}

// EndNode closes the innermost open node.
func (w *Writer) EndNode() error {
	if err := w.usable(); err != nil {
		return err
	}
	if len(w.open) == 0 {
		return w.fail("EndNode without an open node; every EndNode needs a BeginNode before it")
	}
	w.appendU32(tokenEndNode)
	w.open = w.open[:len(w.open)-1]
	if len(w.open) == 0 {
		w.rootDone = true
	}
	return nil
}

// property writes one FDT_PROP (5.4.1) into the innermost open node.
func (w *Writer) property(name string, value []byte) error {
	if err := w.usable(); err != nil {
		return err
	}
	if len(w.open) == 0 {
		return w.fail("property %q outside any node; call BeginNode first", name)
	}
	node := w.open[len(w.open)-1]
	if err := CheckPropertyName(name); err != nil {
		return w.fail("node %s: %w", w.path(), err)
	}
	if len(node.children) > 0 {
		return w.fail("node %s: property %q after a child node; write a node's properties before its children (Devicetree Specification 5.4.2)", w.path(), name)
	}
	if node.properties[name] {
		return w.fail("node %s: property %q written twice", w.path(), name)
	}
	if uint64(len(value)) > math.MaxUint32 {
		return w.fail("node %s: property %q is %d bytes, more than a u32 length can hold", w.path(), name, len(value))
	}
	if name == "phandle" {
		if err := w.definePhandle(value); err != nil {
			return err
		}
	}
	node.properties[name] = true
	w.appendU32(tokenProp)
	w.appendU32(uint32(len(value)))
	w.appendU32(w.stringOffset(name))
	w.structure = append(w.structure, value...)
	w.pad()
	return nil
}

// definePhandle checks that a phandle property holds one cell that names
// no other node (2.3.3) and records it.
func (w *Writer) definePhandle(value []byte) error {
	if len(value) != 4 {
		return w.fail("node %s: phandle is %d bytes, must be one u32 cell", w.path(), len(value))
	}
	phandle := binary.BigEndian.Uint32(value)
	if phandle == phandleNone || phandle == phandleInvalid {
		return w.fail("node %s: phandle %#x is reserved; take one from NewPhandle", w.path(), phandle)
	}
	if other, taken := w.definedPhandles[phandle]; taken {
		return w.fail("node %s: phandle %#x already names %s; take one from NewPhandle", w.path(), phandle, other)
	}
	w.definedPhandles[phandle] = w.path()
	return nil
}

// stringOffset returns the offset of name in the strings block, adding it
// if needed. Like dtc, a name that is the tail of one already there (such
// as "ranges" after "dma-ranges") points into that one.
func (w *Writer) stringOffset(name string) uint32 {
	if off, ok := w.stringOffsets[name]; ok {
		return off
	}
	entry := append([]byte(name), 0)
	off := bytes.Index(w.strings, entry)
	if off < 0 {
		off = len(w.strings)
		w.strings = append(w.strings, entry...)
	}
	w.stringOffsets[name] = uint32(off)
	return uint32(off)
}

// PropEmpty writes a property without a value, a boolean that is true by
// being present (2.2.4.2).
func (w *Writer) PropEmpty(name string) error {
	return w.property(name, nil)
}

// PropBytes writes a property holding value as is. Use PropEmpty for a
// property without a value.
func (w *Writer) PropBytes(name string, value []byte) error {
	if len(value) == 0 {
		return w.refuseNoValues(name)
	}
	return w.property(name, value)
}

// PropU32 writes a property of one or more big-endian u32 cells.
func (w *Writer) PropU32(name string, values ...uint32) error {
	if len(values) == 0 {
		return w.refuseNoValues(name)
	}
	value := make([]byte, 0, 4*len(values))
	for _, v := range values {
		value = binary.BigEndian.AppendUint32(value, v)
	}
	return w.property(name, value)
}

// PropU64 writes a property of one or more u64s, each as two cells, the
// most significant first (2.2.4.2).
func (w *Writer) PropU64(name string, values ...uint64) error {
	if len(values) == 0 {
		return w.refuseNoValues(name)
	}
	value := make([]byte, 0, 8*len(values))
	for _, v := range values {
		value = binary.BigEndian.AppendUint64(value, v)
	}
	return w.property(name, value)
}

// PropString writes a NUL-terminated string property.
func (w *Writer) PropString(name, value string) error {
	return w.PropStrings(name, value)
}

// PropStrings writes a stringlist: the strings one after another, each
// NUL-terminated (2.2.4.2). No string may itself hold a NUL.
func (w *Writer) PropStrings(name string, values ...string) error {
	if len(values) == 0 {
		return w.refuseNoValues(name)
	}
	var value []byte
	for _, s := range values {
		if strings.IndexByte(s, 0) >= 0 {
			return w.refuse("node %s: property %q: string %q contains a NUL byte, which would end it early", w.path(), name, s)
		}
		value = append(value, s...)
		value = append(value, 0)
	}
	return w.property(name, value)
}

func (w *Writer) refuseNoValues(name string) error {
	return w.refuse("node %s: property %q has no value; use PropEmpty for a property without one", w.path(), name)
}

// refuse fails a call whose arguments are wrong, unless an earlier error
// already stopped the Writer: that one is reported instead.
func (w *Writer) refuse(format string, args ...any) error {
	if err := w.usable(); err != nil {
		return err
	}
	return w.fail(format, args...)
}

// Finish checks that the tree is complete and returns the blob. The
// Writer cannot be used afterwards.
func (w *Writer) Finish() ([]byte, error) {
	if err := w.usable(); err != nil {
		return nil, err
	}
	switch {
	case len(w.open) > 0:
		return nil, w.fail("node %s is still open; call EndNode %d more time(s)", w.path(), len(w.open))
	case !w.rootDone:
		return nil, w.fail("the tree has no root node; begin it with BeginNode(\"\")")
	}
	for _, phandle := range w.allocatedPhandles {
		if _, defined := w.definedPhandles[phandle]; !defined {
			return nil, w.fail("phandle %#x was allocated but no node defines it; write PropU32(\"phandle\", %#x) in the node it names", phandle, phandle)
		}
	}

	reservationsOffset := alignUp(HeaderSize, reservationAlign)
	structOffset := alignUp(reservationsOffset+(len(w.reservations)+1)*reservationEntrySize, structureAlign)
	structSize := len(w.structure) + 4 // the FDT_END token
	stringsOffset := structOffset + structSize
	totalSize := stringsOffset + len(w.strings)
	if uint64(totalSize) > math.MaxUint32 {
		return nil, w.fail("the tree is %d bytes, more than a u32 totalsize can hold", totalSize)
	}

	header := Header{
		Magic:                 Magic,
		TotalSize:             uint32(totalSize),
		StructOffset:          uint32(structOffset),
		StringsOffset:         uint32(stringsOffset),
		ReservationsOffset:    uint32(reservationsOffset),
		Version:               Version,
		LastCompatibleVersion: LastCompatibleVersion,
		StringsSize:           uint32(len(w.strings)),
		StructSize:            uint32(structSize),
	}
	blob := make([]byte, 0, totalSize)
	blob = header.append(blob)
	blob = append(blob, make([]byte, reservationsOffset-len(blob))...)
	for _, r := range w.reservations {
		blob = binary.BigEndian.AppendUint64(blob, r.Address)
		blob = binary.BigEndian.AppendUint64(blob, r.Size)
	}
	blob = append(blob, make([]byte, reservationEntrySize)...) // the all-zero entry that ends the list
	blob = append(blob, make([]byte, structOffset-len(blob))...)
	blob = append(blob, w.structure...)
	blob = binary.BigEndian.AppendUint32(blob, tokenEnd)
	blob = append(blob, w.strings...)
	w.finished = true
	return blob, nil
}
