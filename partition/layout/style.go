package layout

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// partitionPalette colours partitions in config order: the Okabe-Ito
// palette (Okabe and Ito, "Color Universal Design", 2008), whose colours
// stay distinct under the common colour-vision deficiencies. Its black
// is left out: it is the colour of text. Past seven partitions the
// colours repeat; every band and core still carries its partition's name.
var partitionPalette = []string{
	"#0072b2", // blue
	"#e69f00", // orange
	"#009e73", // bluish green
	"#cc79a7", // reddish purple
	"#56b4e9", // sky blue
	"#d55e00", // vermillion
	"#f0e442", // yellow
}

// Colours of what belongs to no partition.
const (
	hypervisorColor = "#4d4d4d"
	freeColor       = "#999999"
	textColor       = "#1a1a1a"
	mutedTextColor  = "#5c5c5c"
	axisColor       = "#7a7a7a"
)

// partitionColor is the colour of the partition at index i of
// Config.Partitions.
func partitionColor(i int) string {
	return partitionPalette[i%len(partitionPalette)]
}

// tintStrength is how much of a colour a tint keeps, in percent: light
// enough that dark text on it reads as well as on white.
const tintStrength = 22

// tint mixes a "#rrggbb" colour with white, for the fill of a band or a
// box whose outline and accent carry the full colour.
func tint(color string) string {
	rgb, err := strconv.ParseUint(color[1:], 16, 32)
	if len(color) != 7 || color[0] != '#' || err != nil {
		panic("layout: colour " + color + " is not #rrggbb")
	}
	mix := func(shift uint) uint64 {
		c := rgb >> shift & 0xff
		return 255 - (255-c)*tintStrength/100
	}
	return fmt.Sprintf("#%02x%02x%02x", mix(16), mix(8), mix(0))
}

// font is one text style of the drawing: its CSS class and what the
// layout needs to know to keep text inside its box.
type font struct {
	class string
	size  int
	// advance is a generous average advance per character, in
	// thousandths of an em, for DejaVu Sans and the fonts the style
	// sheet falls back to; overestimating only widens boxes.
	advance int
}

var (
	titleFont   = font{"title", 20, 720}
	sectionFont = font{"section", 13, 720}
	nameFont    = font{"name", 13, 720}
	textFont    = font{"text", 12, 620}
	monoFont    = font{"mono", 12, 610}
)

// width estimates the width of s set in f, in pixels.
func (f font) width(s string) int {
	return (utf8.RuneCountInString(s)*f.size*f.advance + 999) / 1000
}

// styleSheet sets the fonts of the classes above. Sans-serif fonts with
// DejaVu Sans's wide metrics come first so that estimates hold.
const styleSheet = `
      text { font-family: 'DejaVu Sans', Verdana, 'Bitstream Vera Sans', sans-serif; font-size: 12px; fill: ` + textColor + `; }
      .title { font-size: 20px; font-weight: bold; }
      .section { font-size: 13px; font-weight: bold; }
      .name { font-size: 13px; font-weight: bold; }
      .mono { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; }
      .muted { fill: ` + mutedTextColor + `; }
    `
