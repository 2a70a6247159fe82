package vpl011

// Bytes the output filter treats specially.
const (
	bel       = 0x07
	backspace = 0x08
	esc       = 0x1b
	del       = 0x7f
)

// sgrReset ends a line that changed colours (ECMA-48, 8.3.117: SGR 0).
const sgrReset = "\x1b[0m"

// lineCapacity is the longest line written out: LineSize kept bytes and
// the reset that may follow them.
const lineCapacity = LineSize + len(sgrReset)

// maxEscape bounds a colour sequence, ESC to 'm'; a longer one is dropped.
const maxEscape = 16

// escapeState is where outputLine is inside an escape sequence (ECMA-48,
// 5.3 "Control sequences" and 5.4 "Control strings").
type escapeState uint32

const (
	notEscaped escapeState = iota
	afterESC               // ESC seen
	inSGR                  // ESC [ and parameters that may still make an SGR sequence
	inDropped              // a control sequence being dropped, up to its final byte
	inEscape               // ESC and intermediate bytes, up to the final byte
	inString               // a control string (OSC, DCS, APC, PM, SOS), up to BEL or ESC
)

// outputLine collects one line of a partition's output and filters it.
//
// The terminal is shared by every partition, so a guest must not be able
// to move the cursor, clear the screen, retitle the window or overwrite
// another partition's lines and prefixes. A line keeps printable ASCII,
// TAB, bytes 0x80 and up (UTF-8 text) and complete SGR sequences
// (ESC [ digits and ';' m: colours and attributes, which do not move the
// cursor). '\n' ends the line. '\b' erases the byte before it, which is
// what the echo of a deleted character ("\b \b") means to show. Every
// other control byte, '\r' among them, and every other escape sequence is
// dropped. A line that kept an SGR sequence ends with an SGR reset, so
// colours never leak into the next line, which may be another partition's.
//
// It lives in State, under State's lock.
type outputLine struct {
	n uint32 // bytes in buf
	// keep is where backspace stops: the end of the last SGR sequence,
	// which a backspace must not cut in two.
	keep    uint32
	colored uint32 // 1 once buf holds an SGR sequence
	escape  escapeState
	// sgr collects a possible SGR sequence until its final 'm'.
	sgrLen uint32
	sgr    [maxEscape]byte
	buf    [LineSize]byte
}

// add takes one byte the guest transmitted. When the byte finishes a line
// (it is '\n', or it does not fit), the line is copied to dst and its
// length returned with done set.
func (l *outputLine) add(b byte, dst *[lineCapacity]byte) (n int, done bool) {
	if !l.continueEscape(b) {
		return 0, false
	}
	switch {
	case b == '\n':
		return l.end(dst), true
	case b == esc:
		l.escape = afterESC
	case b == backspace:
		if l.n > l.keep {
			l.n--
		}
	case b == '\t' || b >= ' ' && b != del:
		if l.n >= LineSize {
			n, done = l.end(dst), true
		}
		l.buf[l.n] = b
		l.n++
	}
	return n, done
}

// continueEscape feeds b to the escape sequence in progress. It reports
// whether b still needs handling as an ordinary byte: it ends a sequence
// without belonging to it (a control byte such as '\n' or ESC), or no
// sequence is in progress. A completed SGR sequence is added to the line
// here, if it fits (keepSGR).
func (l *outputLine) continueEscape(b byte) bool {
	isFinal := b >= 0x40 && b <= 0x7e        // ends a control sequence
	isParameter := b >= 0x30 && b <= 0x3f    // parameter bytes
	isIntermediate := b >= 0x20 && b <= 0x2f // intermediate bytes
	switch l.escape {
	case notEscaped:
		return true
	case afterESC:
		switch {
		case b == '[':
			l.escape, l.sgrLen = inSGR, 0
		case b == ']' || b == 'P' || b == '_' || b == '^' || b == 'X':
			l.escape = inString
		case isIntermediate:
			l.escape = inEscape
		case b >= 0x30 && b <= 0x7e:
			l.escape = notEscaped // a two-byte escape sequence, dropped
		default:
			l.escape = notEscaped
			return true
		}
		return false
	case inSGR:
		switch {
		case b >= '0' && b <= '9' || b == ';':
			if l.sgrLen < maxEscape-3 { // room for ESC, '[' and 'm'
				l.sgr[l.sgrLen] = b
				l.sgrLen++
			} else {
				l.escape = inDropped
			}
		case b == 'm':
			l.escape = notEscaped
			l.keepSGR()
		case isFinal:
			l.escape = notEscaped
		case isParameter || isIntermediate:
			l.escape = inDropped
		default:
			l.escape = notEscaped
			return true
		}
		return false
	case inDropped:
		switch {
		case isFinal:
			l.escape = notEscaped
		case isParameter || isIntermediate:
		default:
			l.escape = notEscaped
			return true
		}
		return false
	case inEscape:
		switch {
		case b >= 0x30 && b <= 0x7e:
			l.escape = notEscaped
		case isIntermediate:
		default:
			l.escape = notEscaped
			return true
		}
		return false
	case inString:
		switch b {
		case bel:
			l.escape = notEscaped
			return false
		case esc, '\n': // ESC starts the terminator ESC \; '\n' ends it too, so a guest cannot silence itself
			l.escape = notEscaped
			return true
		}
		return false
	}
	l.escape = notEscaped // not a state: shared memory was overwritten
	return true
}

// keepSGR adds the completed SGR sequence to the line if it fits, else
// drops it: splitting the line here would leave a colour without its reset.
func (l *outputLine) keepSGR() {
	length := 3 + l.sgrLen // ESC [ parameters m
	if l.n+length > LineSize || length > maxEscape {
		return
	}
	l.buf[l.n], l.buf[l.n+1] = esc, '['
	copy(l.buf[l.n+2:], l.sgr[:l.sgrLen])
	l.buf[l.n+length-1] = 'm'
	l.n += length
	l.keep = l.n
	l.colored = 1
}

// pending reports whether the line holds bytes not yet written out.
func (l *outputLine) pending() bool { return l.n > 0 }

// end copies the line to dst, with the colour reset it needs, and starts a
// new one. An escape sequence in progress carries over.
func (l *outputLine) end(dst *[lineCapacity]byte) int {
	n := copy(dst[:], l.buf[:min(l.n, LineSize)])
	if l.colored != 0 {
		n += copy(dst[n:], sgrReset)
	}
	l.n, l.keep, l.colored = 0, 0, 0
	return n
}
