package vpl011

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// filterCases are guest output and the console lines it must produce:
// lines finished by the output itself, then what Flush writes out.
var filterCases = []struct {
	name    string
	output  string
	lines   []string
	flushed string // "" when nothing is left
}{
	{"one line", "hello, world\n", []string{"[ecu] hello, world"}, ""},
	{"CR LF line endings", "first\r\nsecond\r\n", []string{"[ecu] first", "[ecu] second"}, ""},
	{"a prompt waits for its line", "login: ", nil, "[ecu] login: "},
	{"an empty line", "\n", []string{"[ecu] "}, ""},
	{"a line of exactly LineSize", strings.Repeat("x", LineSize) + "\n", []string{"[ecu] " + strings.Repeat("x", LineSize)}, ""},
	{"a longer line is cut", strings.Repeat("x", LineSize+10) + "\n",
		[]string{"[ecu] " + strings.Repeat("x", LineSize), "[ecu] " + strings.Repeat("x", 10)}, ""},
	{"TAB and UTF-8 kept", "a\tb \u00e9\u2713\n", []string{"[ecu] a\tb \u00e9\u2713"}, ""},
	{"control bytes dropped", "be\aep\x00\x7f\f!\n", []string{"[ecu] beep!"}, ""},
	{"backspace erases, as echo means", "lx\b \bs\n", []string{"[ecu] ls"}, ""},
	{"backspace stops at the line start", "\b\bok\n", []string{"[ecu] ok"}, ""},
	{"colours kept, reset at the end", "\x1b[1;32mOK\x1b[0m done\n", []string{"[ecu] \x1b[1;32mOK\x1b[0m done\x1b[0m"}, ""},
	{"empty SGR kept", "\x1b[mplain\n", []string{"[ecu] \x1b[mplain\x1b[0m"}, ""},
	{"backspace does not cut a colour", "\x1b[31m\b\bx\n", []string{"[ecu] \x1b[31mx\x1b[0m"}, ""},
	{"cursor movement and erasing dropped", "\x1b[2J\x1b[Hclear\x1b[10;5Hmove\x1b[1A\x1b[K\n", []string{"[ecu] clearmove"}, ""},
	{"private and intermediate sequences dropped", "\x1b[?25lhide\x1b[1 qcursor\n", []string{"[ecu] hidecursor"}, ""},
	{"two-byte and charset escapes dropped", "\x1bcreset\x1b(Bcharset\x1b7save\n", []string{"[ecu] resetcharsetsave"}, ""},
	{"window titles dropped, BEL or ST", "\x1b]0;pwned\atitle\x1b]2;x\x1b\\ST\n", []string{"[ecu] titleST"}, ""},
	{"newline ends an unfinished sequence", "a\x1b[31\nb\n", []string{"[ecu] a", "[ecu] b"}, ""},
	{"newline ends an unterminated title", "\x1b]0;x\nvisible\n", []string{"[ecu] ", "[ecu] visible"}, ""},
	{"ESC ESC starts over", "\x1b\x1b[33my\n", []string{"[ecu] \x1b[33my\x1b[0m"}, ""},
	{"ESC then a control byte", "\x1b\tx\n", []string{"[ecu] \tx"}, ""},
	{"overlong colour sequence dropped", "\x1b[" + strings.Repeat("1;", 10) + "mplain\n", []string{"[ecu] plain"}, ""},
	{"a colour that does not fit is dropped", strings.Repeat("x", LineSize-2) + "\x1b[31mred\n",
		[]string{"[ecu] " + strings.Repeat("x", LineSize-2) + "re", "[ecu] d"}, ""},
	{"a colour cut by the line end is reset", "\x1b[33m" + strings.Repeat("w", LineSize),
		[]string{"[ecu] \x1b[33m" + strings.Repeat("w", LineSize-5) + "\x1b[0m"}, "[ecu] wwwww"},
	{"a flushed colour is reset", "\x1b[33mwarn", nil, "[ecu] \x1b[33mwarn\x1b[0m"},
}

func TestOutputFilter(t *testing.T) {
	for _, tc := range filterCases {
		u, _, out := newUART()
		transmitString(u, tc.output)
		assert.Equal(t, tc.lines, out.lines, tc.name)
		u.Flush()
		want := tc.lines
		if tc.flushed != "" {
			want = append(want, tc.flushed)
		}
		assert.Equal(t, want, out.lines, "%s: after Flush", tc.name)
	}
}
