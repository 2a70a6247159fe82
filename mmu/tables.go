package mmu

// Tables is one set of translation tables rooted at a single page.
//
// The zero value is not usable; call Init. A Tables value may live in a
// global or on the stack: none of its methods allocate.
type Tables struct {
	mem        Memory
	format     Format
	root       uint64
	vaBits     uint
	startLevel int
	// layoutErr holds the last MapRegions failure so it can be returned
	// as an error without allocating.
	layoutErr LayoutError
}

// Init allocates the root table for an input address space of vaBits bits
// (25..48: the start level follows from it, DDI 0487 D8.2.8) with
// descriptors of format f.
func (t *Tables) Init(mem Memory, vaBits uint, f Format) error {
	if vaBits < 25 || vaBits > 48 {
		return ErrOutOfRange
	}
	root, ok := mem.NewTable()
	if !ok {
		return ErrNoMemory
	}
	*t = Tables{mem: mem, format: f, root: root, vaBits: vaBits}
	// Each level resolves 9 bits above the 12-bit page offset; the start
	// level is the one whose entries cover the top bits.
	t.startLevel = maxLevel - int((vaBits-PageShift-1)/bitsPerLevel)
	return nil
}

// Format returns the descriptor format of the tables.
func (t *Tables) Format() Format { return t.format }

// Root returns the physical address of the root table (the TTBR value).
func (t *Tables) Root() uint64 { return t.root }

// StartLevel returns the level of the root table.
func (t *Tables) StartLevel() int { return t.startLevel }

// VABits returns the size of the translated address space in bits.
func (t *Tables) VABits() uint { return t.vaBits }

// Map translates [va, va+size) to [pa, pa+size) with attributes attr, using
// the largest block each part's alignment allows (1 GiB, 2 MiB, 4 KiB). It
// refuses to replace any existing translation.
func (t *Tables) Map(va, pa, size uint64, attr Attributes) error {
	if size == 0 {
		return ErrEmpty
	}
	if va%PageSize != 0 || pa%PageSize != 0 || size%PageSize != 0 {
		return ErrMisaligned
	}
	if va+size < va || va+size > 1<<t.vaBits || pa+size < pa || pa+size > 1<<48 {
		return ErrOutOfRange
	}
	if t.format != Stage2 && attr.Perm&Write != 0 && attr.Perm&Execute != 0 {
		return ErrWritableExe
	}
	if !t.free(t.root, t.startLevel, va, size) {
		return ErrOverlap
	}
	return t.mapRange(t.root, t.startLevel, va, pa, size, attr)
}

// free reports whether no part of [va, va+size) is translated yet.
func (t *Tables) free(table uint64, level int, va, size uint64) bool {
	span := LevelSize(level)
	for size > 0 {
		index := int(va/span) % entriesPerTable
		chunk := span - va%span
		if chunk > size {
			chunk = size
		}
		e := t.mem.Load(table, index)
		if e.IsTable(level) {
			if !t.free(e.Addr(), level+1, va, chunk) {
				return false
			}
		} else if e.Valid() {
			return false
		}
		va += chunk
		size -= chunk
	}
	return true
}

func (t *Tables) mapRange(table uint64, level int, va, pa, size uint64, attr Attributes) error {
	span := LevelSize(level)
	for size > 0 {
		index := int(va/span) % entriesPerTable
		chunk := span - va%span
		if chunk > size {
			chunk = size
		}
		e := t.mem.Load(table, index)
		// Level 0 entries cannot be blocks with a 4 KiB granule.
		leafAllowed := level >= 1
		if leafAllowed && !e.Valid() && chunk == span && va%span == 0 && pa%span == 0 {
			t.mem.Store(table, index, leafEntry(t.format, pa, level, attr))
		} else {
			if !e.Valid() {
				next, ok := t.mem.NewTable()
				if !ok {
					return ErrNoMemory
				}
				e = tableEntry(next)
				t.mem.Store(table, index, e)
			}
			if !e.IsTable(level) {
				return ErrOverlap
			}
			if err := t.mapRange(e.Addr(), level+1, va, pa, chunk, attr); err != nil {
				return err
			}
		}
		va += chunk
		pa += chunk
		size -= chunk
	}
	return nil
}

// Translation is the result of a table walk.
type Translation struct {
	PA    uint64
	Attr  Attributes
	Level int // level of the leaf entry: 1 (1 GiB), 2 (2 MiB) or 3 (4 KiB)
}

// Walk translates va as the MMU would, reporting false for a fault.
func (t *Tables) Walk(va uint64) (Translation, bool) {
	if va >= 1<<t.vaBits {
		return Translation{}, false
	}
	table := t.root
	for level := t.startLevel; level <= maxLevel; level++ {
		span := LevelSize(level)
		e := t.mem.Load(table, int(va/span)%entriesPerTable)
		if !e.Valid() {
			return Translation{}, false
		}
		if e.IsTable(level) {
			table = e.Addr()
			continue
		}
		if level == 0 || (level == maxLevel && e&descTableOrPage == 0) {
			return Translation{}, false // reserved encodings fault
		}
		return Translation{PA: e.Addr() + va%span, Attr: e.Attributes(t.format), Level: level}, true
	}
	return Translation{}, false
}

// Leaf is one block or page mapping found by Leaves.
type Leaf struct {
	VA, PA, Size uint64
	Attr         Attributes
}

// Leaves calls fn for every block and page mapping in ascending VA order,
// merging neighbours that continue each other with equal attributes, so the
// result reads like the list of regions that was mapped.
func (t *Tables) Leaves(fn func(Leaf)) {
	var pending Leaf
	t.leaves(t.root, t.startLevel, 0, func(l Leaf) {
		if pending.Size != 0 && pending.VA+pending.Size == l.VA &&
			pending.PA+pending.Size == l.PA && pending.Attr == l.Attr {
			pending.Size += l.Size
			return
		}
		if pending.Size != 0 {
			fn(pending)
		}
		pending = l
	})
	if pending.Size != 0 {
		fn(pending)
	}
}

func (t *Tables) leaves(table uint64, level int, base uint64, fn func(Leaf)) {
	span := LevelSize(level)
	for i := 0; i < entriesPerTable; i++ {
		e := t.mem.Load(table, i)
		va := base + uint64(i)*span
		switch {
		case e.IsTable(level):
			t.leaves(e.Addr(), level+1, va, fn)
		case e.Valid():
			fn(Leaf{VA: va, PA: e.Addr(), Size: span, Attr: e.Attributes(t.format)})
		}
	}
}
