package mmu

// Region is a named range to map: what a memory layout is made of.
type Region struct {
	Name string
	VA   uint64
	PA   uint64
	Size uint64
	Attr Attributes
}

// LayoutError says which region of a layout could not be mapped and why.
// Other names the region it collides with, if any.
type LayoutError struct {
	Region Region
	Other  Region
	Err    error
}

func (e *LayoutError) Error() string {
	msg := "region " + e.Region.Name + " " + hexRange(e.Region.VA, e.Region.Size) + ": " + e.Err.Error()
	if e.Other.Name != "" {
		msg += " (region " + e.Other.Name + " " + hexRange(e.Other.VA, e.Other.Size) + ")"
	}
	return msg
}

func (e *LayoutError) Unwrap() error { return e.Err }

// MapRegions checks a whole layout and then maps it. A region that is
// misaligned, empty, writable and executable, or overlaps another region in
// virtual or physical addresses is reported by name, before anything is
// written, so that a bad board description never yields half-built tables.
// The returned error, when not one of the package's Err values, is a
// *LayoutError stored inside t: it stays valid until the next call.
func (t *Tables) MapRegions(regions []Region) error {
	for i := range regions {
		r := &regions[i]
		var err error
		switch {
		case r.Size == 0:
			err = ErrEmpty
		case r.VA%PageSize != 0 || r.PA%PageSize != 0 || r.Size%PageSize != 0:
			err = ErrMisaligned
		case r.VA+r.Size < r.VA || r.VA+r.Size > 1<<t.vaBits || r.PA+r.Size < r.PA:
			err = ErrOutOfRange
		case t.format != Stage2 && r.Attr.Perm&Write != 0 && r.Attr.Perm&Execute != 0:
			err = ErrWritableExe
		}
		if err != nil {
			return t.fail(*r, Region{}, err)
		}
		for j := 0; j < i; j++ {
			o := &regions[j]
			if overlap(r.VA, r.Size, o.VA, o.Size) || overlap(r.PA, r.Size, o.PA, o.Size) {
				return t.fail(*r, *o, ErrOverlap)
			}
		}
	}
	for i := range regions {
		r := &regions[i]
		if err := t.Map(r.VA, r.PA, r.Size, r.Attr); err != nil {
			return t.fail(*r, Region{}, err)
		}
	}
	return nil
}

func (t *Tables) fail(r, other Region, err error) error {
	t.layoutErr = LayoutError{Region: r, Other: other, Err: err}
	return &t.layoutErr
}

func overlap(a, asize, b, bsize uint64) bool {
	return a < b+bsize && b < a+asize
}

// hexRange formats base+size as "0x...+0x..." without fmt, so the message
// can be built by code that must not depend on the fmt package.
func hexRange(base, size uint64) string {
	var buf [40]byte
	n := putHex(buf[:], base)
	buf[n] = '+'
	n++
	n += putHex(buf[n:], size)
	return string(buf[:n])
}

func putHex(dst []byte, v uint64) int {
	const digits = "0123456789abcdef"
	var tmp [16]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = digits[v&0xf]
		v >>= 4
		if v == 0 {
			break
		}
	}
	n := copy(dst, "0x")
	n += copy(dst[n:], tmp[i:])
	return n
}
