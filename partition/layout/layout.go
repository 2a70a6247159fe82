// Package layout draws a partition config the way users think of the
// system: a row of the board's cores, each in the colour of the partition
// that runs on it, above the physical memory map, where the hypervisor's
// memory, each partition's RAM, the channels between partitions, the
// devices passed through and the RAM left free are labeled bands in
// address order. The drawing is a self-contained SVG 1.1 document, the
// output of tamavisor layout and the picture in the README.
//
// The memory map is not to linear scale, or a 64 KiB channel would vanish
// next to 2 GiB of RAM: every band gets the height its labels need plus a
// little per doubling of its size, and addresses nobody holds are cut out
// and marked with a break on the axis. The order of addresses is kept.
//
// SVG is a pure function of the config: the same config gives the same
// bytes, so drawings can be compared with golden files.
package layout

import (
	"errors"
	"fmt"
	"math/bits"
	"path/filepath"
	"strings"

	"github.com/tamavisor/tamavisor/partition"
)

// Geometry of the drawing, in pixels.
const (
	margin      = 24
	lineHeight  = 16
	sectionGap  = 34 // from the bottom of a section to the next heading's baseline
	headingGap  = 12 // from a heading's baseline to what it heads
	swatchSize  = 16
	swatchGap   = 10
	legendLine  = 24
	minBoxWidth = 104

	subtitleGap = 22 // between the title's baseline and the board line's

	coreBoxHeight     = 50
	coreGap           = 10
	coresPerRow       = 8
	coreTextInset     = 12
	coreLabelBaseline = 26 // "core N", from the box's top
	coreNameBaseline  = 42 // the partition's name

	axisWidth    = 20 // from the margin to the RAM lane; the axis runs in it
	laneGutter   = 28
	minLaneWidth = 220
	accentWidth  = 6
	textInset    = 16 // from a band's left edge to its text
	textBaseline = 19 // from a band's top to its first line's baseline
	textPadRight = 14
	qualifierGap = 5  // between a band's name and its qualifier
	noteGap      = 10 // between a heading and its note
	adjacentGap  = 4  // between bands whose ranges touch
	breakHeight  = 26 // a cut-out stretch of addresses
	// growthPerDoubling is what a band gains per doubling of its size
	// above one page: the logarithmic part of the scale.
	growthPerDoubling = 2
	pageShift         = 12
	stripeWidth       = 6
	channelAccent     = 10
)

// SVG draws cfg, a config partition.Load or partition.Parse returned
// without error, as an SVG document.
func SVG(cfg *partition.Config) ([]byte, error) {
	if cfg == nil {
		return nil, errors.New("layout: no config to draw")
	}
	if cfg.Board == nil {
		return nil, fmt.Errorf("%s: the config has no board description; load it with partition.Load, which validates it", cfg.File)
	}
	bands, err := memoryMap(cfg)
	if err != nil {
		return nil, err
	}
	d := &drawing{cfg: cfg, bands: bands}
	d.w.depth = 1 // what is drawn goes inside the root element
	d.heading()
	d.cores()
	d.memoryMap()
	d.legend()
	return d.document(), nil
}

// drawing is an SVG being drawn top to bottom: y is where the next
// section starts and right the rightmost x any content reaches.
type drawing struct {
	cfg   *partition.Config
	bands []band
	w     svgWriter
	y     int
	right int
	// gaps is set when the memory map cuts out addresses, so the legend
	// explains the break mark.
	gaps bool
}

func (d *drawing) reach(x int) { d.right = max(d.right, x) }

// document wraps what was drawn in the root element, now that the size
// is known, with a white background so the picture reads the same on
// dark pages.
func (d *drawing) document() []byte {
	width, height := d.right+margin, d.y+margin
	var doc svgWriter
	doc.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	doc.open("svg", attr{"xmlns", "http://www.w3.org/2000/svg"}, attr{"version", "1.1"},
		attr{"width", num(width)}, attr{"height", num(height)}, attr{"viewBox", fmt.Sprintf("0 0 %d %d", width, height)})
	doc.element("title", "Tamavisor layout of "+d.configName())
	doc.open("defs")
	doc.styleSheet(styleSheet)
	d.channelPatterns(&doc)
	doc.close("defs")
	doc.empty("rect", attr{"width", num(width)}, attr{"height", num(height)}, attr{"fill", "#ffffff"})
	doc.buf.Write(d.w.buf.Bytes())
	doc.close("svg")
	return doc.buf.Bytes()
}

func (d *drawing) configName() string {
	if d.cfg.File == "" {
		return "config"
	}
	return filepath.Base(d.cfg.File)
}

// heading writes the title and the board line.
func (d *drawing) heading() {
	b := d.cfg.Board
	title := "Tamavisor layout: " + d.configName()
	board := fmt.Sprintf("board %s · %s", b.Name, b.Model)
	d.y = margin + titleFont.size
	d.w.text(margin, d.y, span{class: titleFont.class, text: title})
	d.y += subtitleGap
	d.w.text(margin, d.y, span{class: "muted", text: board})
	d.reach(margin + max(titleFont.width(title), textFont.width(board)))
}

// section writes a heading with an optional note after it.
func (d *drawing) section(title, note string) {
	d.y += sectionGap
	spans := []span{{class: sectionFont.class, text: title}}
	if note != "" {
		spans = append(spans, span{class: "muted", text: note, gap: noteGap})
	}
	d.w.text(margin, d.y, spans...)
	d.reach(margin + lineWidth(spans))
	d.y += headingGap
}

// cores draws one box per physical core, in the colour of the partition
// that runs on it.
func (d *drawing) cores() {
	cpus := d.cfg.Board.CPUs
	owner := map[int]int{}
	for pi, p := range d.cfg.Partitions {
		for _, c := range p.CPUs {
			owner[c.Index] = pi
		}
	}
	boxWidth := minBoxWidth
	for _, p := range d.cfg.Partitions {
		boxWidth = max(boxWidth, coreTextInset+textFont.width(p.Name)+textPadRight)
	}
	for _, cpu := range cpus {
		boxWidth = max(boxWidth, coreTextInset+nameFont.width(fmt.Sprintf("core %d", cpu.Index))+textPadRight)
	}
	d.section("Cores", "one per physical core, in the colour of the partition that runs on it")
	for i, cpu := range cpus {
		x := margin + i%coresPerRow*(boxWidth+coreGap)
		y := d.y + i/coresPerRow*(coreBoxHeight+coreGap)
		label, name := fmt.Sprintf("core %d", cpu.Index), "unused"
		d.w.open("g", attr{"id", fmt.Sprintf("core-%d", cpu.Index)})
		if pi, ok := owner[cpu.Index]; ok {
			color := partitionColor(pi)
			name = d.cfg.Partitions[pi].Name
			d.w.empty("rect", box(x, y, boxWidth, coreBoxHeight, tint(color), color)...)
			d.w.empty("rect", attr{"class", "accent"}, attr{"x", num(x)}, attr{"y", num(y)},
				attr{"width", num(boxWidth)}, attr{"height", num(accentWidth)}, attr{"fill", color})
			d.w.text(x+coreTextInset, y+coreLabelBaseline, span{class: nameFont.class, text: label})
			d.w.text(x+coreTextInset, y+coreNameBaseline, span{text: name})
		} else {
			d.w.empty("rect", append(box(x, y, boxWidth, coreBoxHeight, "#ffffff", freeColor), attr{"stroke-dasharray", "4 3"})...)
			d.w.text(x+coreTextInset, y+coreLabelBaseline, span{class: nameFont.class + " muted", text: label})
			d.w.text(x+coreTextInset, y+coreNameBaseline, span{class: "muted", text: name})
		}
		d.w.close("g")
		d.reach(x + boxWidth)
	}
	rows := (len(cpus) + coresPerRow - 1) / coresPerRow
	d.y += rows*(coreBoxHeight+coreGap) - coreGap
}

// box returns the attributes of a filled, outlined rectangle.
func box(x, y, width, height int, fill, stroke string) []attr {
	return []attr{{"x", num(x)}, {"y", num(y)}, {"width", num(width)}, {"height", num(height)},
		{"fill", fill}, {"stroke", stroke}}
}

// bandLines returns a band's text, one line of spans each: its name,
// its range, its details.
func bandLines(b *band) [][]span {
	nameClass := nameFont.class
	if b.kind == freeBand {
		nameClass += " muted"
	}
	first := []span{{class: nameClass, text: b.name}}
	if b.qualifier != "" {
		first = append(first, span{class: "muted", text: b.qualifier, gap: qualifierGap})
	}
	lines := [][]span{first, {{class: monoFont.class, text: formatRange(b.region.Base, b.region.Size)}}}
	for _, detail := range b.details {
		lines = append(lines, []span{{text: detail}})
	}
	return lines
}

// lineWidth estimates the width of a line of spans.
func lineWidth(line []span) int {
	width := 0
	for _, s := range line {
		f := textFont
		for _, known := range []font{titleFont, sectionFont, nameFont, monoFont} {
			if strings.HasPrefix(s.class, known.class) {
				f = known
			}
		}
		width += s.gap + f.width(s.text)
	}
	return width
}

// textWidth is the width of the widest line.
func textWidth(lines [][]span) int {
	width := 0
	for _, line := range lines {
		width = max(width, lineWidth(line))
	}
	return width
}

// bandHeight is the room a band's lines need plus its share of the
// logarithmic scale.
func bandHeight(b *band, lines int) int {
	doublings := max(0, bits.Len64(b.region.Size)-1-pageShift)
	return 12 + lineHeight*lines + growthPerDoubling*doublings
}

// memoryMap draws the address axis and the RAM and device lanes.
func (d *drawing) memoryMap() {
	d.section("Physical memory map", "addresses ascend downwards; heights are not to scale")
	laneX := [2]int{margin + axisWidth, 0}
	laneWidth := [2]int{minLaneWidth, minLaneWidth}
	laneTitle := [2]string{"RAM", "Devices passed through"}
	lines := make([][][]span, len(d.bands))
	deviceCount := 0
	for i := range d.bands {
		b := &d.bands[i]
		lines[i] = bandLines(b)
		l := b.lane()
		laneWidth[l] = max(laneWidth[l], textInset+textWidth(lines[i])+textPadRight)
		if l == deviceLane {
			deviceCount++
		}
	}
	// A lane for devices only when there are some: the legend says which
	// partitions have none.
	lanes := []lane{ramLane}
	if deviceCount > 0 {
		lanes = append(lanes, deviceLane)
	}
	laneX[deviceLane] = laneX[ramLane] + laneWidth[ramLane] + laneGutter
	d.y += 6
	for _, l := range lanes {
		title := []span{{class: nameFont.class + " muted", text: laneTitle[l]}}
		d.w.text(laneX[l], d.y, title...)
		d.reach(laneX[l] + max(laneWidth[l], lineWidth(title)))
	}
	d.y += headingGap

	// Place the bands: adjacent ranges a few pixels apart, a break
	// where addresses are cut out.
	top := make([]int, len(d.bands))
	height := make([]int, len(d.bands))
	var breaks []int // the middle of each cut
	y := d.y
	for i := range d.bands {
		if i > 0 {
			if d.bands[i].region.Base > d.bands[i-1].region.End() {
				breaks = append(breaks, y+breakHeight/2)
				y += breakHeight
			} else {
				y += adjacentGap
			}
		}
		top[i], height[i] = y, bandHeight(&d.bands[i], len(lines[i]))
		y += height[i]
	}
	d.gaps = len(breaks) > 0

	d.axis(top, height, breaks)
	for i := range d.bands {
		l := d.bands[i].lane()
		d.band(&d.bands[i], lines[i], laneX[l], top[i], laneWidth[l], height[i])
	}
	d.y = y
}

// axis draws the address axis beside the lanes: a line through each run
// of touching bands with a tick where each band starts and where the run
// ends, and a break mark where addresses are cut out.
func (d *drawing) axis(top, height, breaks []int) {
	x := margin + axisWidth/2
	tick := func(y int) {
		d.w.empty("line", attr{"x1", num(x - 4)}, attr{"y1", num(y)}, attr{"x2", num(x + 4)}, attr{"y2", num(y)})
	}
	d.w.open("g", attr{"id", "axis"}, attr{"stroke", axisColor}, attr{"stroke-width", "1"}, attr{"fill", "none"})
	runStart := 0
	for i := range d.bands {
		tick(top[i])
		last := i == len(d.bands)-1
		if last || d.bands[i+1].region.Base > d.bands[i].region.End() {
			bottom := top[i] + height[i]
			tick(bottom)
			d.w.empty("line", attr{"x1", num(x)}, attr{"y1", num(top[runStart])}, attr{"x2", num(x)}, attr{"y2", num(bottom)})
			runStart = i + 1
		}
	}
	for _, mid := range breaks {
		d.breakMark(x, mid, breakHeight/2)
	}
	d.w.close("g")
}

// breakMark draws the mark of cut-out addresses centred on (x, y): the
// axis dotted half pixels up and down, crossed by two parallel slashes.
func (d *drawing) breakMark(x, y, half int) {
	d.w.empty("line", attr{"x1", num(x)}, attr{"y1", num(y - half)}, attr{"x2", num(x)}, attr{"y2", num(y + half)},
		attr{"stroke-dasharray", "2 3"})
	for _, dy := range []int{-3, 3} {
		d.w.empty("line", attr{"x1", num(x - 6)}, attr{"y1", num(y + dy + 3)}, attr{"x2", num(x + 6)}, attr{"y2", num(y + dy - 3)},
			attr{"stroke-width", "1.5"})
	}
}

// band draws one band with its text.
func (d *drawing) band(b *band, lines [][]span, x, y, width, height int) {
	d.w.open("g", attr{"id", b.id})
	switch b.kind {
	case hypervisorBand, memoryBand, deviceBand:
		color := hypervisorColor
		if b.owner >= 0 {
			color = partitionColor(b.owner)
		}
		d.w.empty("rect", box(x, y, width, height, tint(color), color)...)
		d.w.empty("rect", attr{"class", "accent"}, attr{"x", num(x)}, attr{"y", num(y)},
			attr{"width", num(accentWidth)}, attr{"height", num(height)}, attr{"fill", color})
	case channelBand:
		d.w.empty("rect", box(x, y, width, height, fmt.Sprintf("url(#%s)", channelPattern(b.channel, "tint")), hypervisorColor)...)
		d.w.empty("rect", attr{"class", "accent"}, attr{"x", num(x)}, attr{"y", num(y)}, attr{"width", num(channelAccent)},
			attr{"height", num(height)}, attr{"fill", fmt.Sprintf("url(#%s)", channelPattern(b.channel, "solid"))})
		// A plate behind the text keeps it readable on the stripes.
		d.w.empty("rect", attr{"x", num(x + textInset - 6)}, attr{"y", num(y + 5)}, attr{"width", num(textWidth(lines) + 12)},
			attr{"height", num(lineHeight*len(lines) + 6)}, attr{"rx", "3"}, attr{"fill", "#ffffff"}, attr{"fill-opacity", "0.85"})
	case freeBand:
		d.w.empty("rect", append(box(x, y, width, height, "#ffffff", freeColor), attr{"stroke-dasharray", "4 3"})...)
	}
	for i, line := range lines {
		d.w.text(x+textInset, y+textBaseline+i*lineHeight, line...)
	}
	d.w.close("g")
}

// channelPattern names the stripes of channel ci: "tint" for its body,
// "solid" for its accent.
func channelPattern(ci int, shade string) string {
	return fmt.Sprintf("channel-%d-%s", ci, shade)
}

// channelPatterns defines each channel's stripes, one stripe per member
// in the member's colour, slanted.
func (d *drawing) channelPatterns(w *svgWriter) {
	for ci, ch := range d.cfg.Channels {
		colors := make([]string, 0, len(ch.Members))
		for _, m := range ch.Members {
			color := freeColor
			for pi, p := range d.cfg.Partitions {
				if p.Name == m.Partition {
					color = partitionColor(pi)
				}
			}
			colors = append(colors, color)
		}
		size := num(stripeWidth * max(len(colors), 1))
		for _, shade := range []string{"tint", "solid"} {
			w.open("pattern", attr{"id", channelPattern(ci, shade)}, attr{"patternUnits", "userSpaceOnUse"},
				attr{"width", size}, attr{"height", size}, attr{"patternTransform", "rotate(45)"})
			for i, color := range colors {
				if shade == "tint" {
					color = tint(color)
				}
				w.empty("rect", attr{"x", num(i * stripeWidth)}, attr{"y", "0"}, attr{"width", num(stripeWidth)},
					attr{"height", size}, attr{"fill", color})
			}
			w.close("pattern")
		}
	}
}

// legend explains the colours and marks.
func (d *drawing) legend() {
	d.section("Legend", "")
	type entry struct {
		swatch func(x, y int)
		name   string
		note   string
	}
	solid := func(color string) func(x, y int) {
		return func(x, y int) {
			d.w.empty("rect", box(x, y, swatchSize, swatchSize, tint(color), color)...)
			d.w.empty("rect", attr{"class", "accent"}, attr{"x", num(x)}, attr{"y", num(y)},
				attr{"width", num(accentWidth)}, attr{"height", num(swatchSize)}, attr{"fill", color})
		}
	}
	var entries []entry
	for pi := range d.cfg.Partitions {
		p := &d.cfg.Partitions[pi]
		entries = append(entries, entry{solid(partitionColor(pi)), p.Name, partitionNote(p)})
	}
	entries = append(entries, entry{solid(hypervisorColor), "hypervisor", "memory no guest may map"})
	if len(d.cfg.Channels) > 0 {
		entries = append(entries, entry{func(x, y int) {
			d.w.empty("rect", box(x, y, swatchSize, swatchSize, fmt.Sprintf("url(#%s)", channelPattern(0, "solid")), hypervisorColor)...)
		}, "channel", "memory shared by partitions, striped in their colours; rw or ro per member"})
	}
	if slicesContainKind(d.bands, freeBand) {
		entries = append(entries, entry{func(x, y int) {
			d.w.empty("rect", append(box(x, y, swatchSize, swatchSize, "#ffffff", freeColor), attr{"stroke-dasharray", "4 3"})...)
		}, "free RAM", "RAM of the board no partition holds"})
	}
	if d.gaps {
		entries = append(entries, entry{func(x, y int) {
			d.w.open("g", attr{"stroke", axisColor}, attr{"fill", "none"})
			d.breakMark(x+swatchSize/2, y+swatchSize/2, swatchSize/2)
			d.w.close("g")
		}, "break", "addresses no band holds, cut out of the map"})
	}
	for _, e := range entries {
		e.swatch(margin, d.y)
		textX := margin + swatchSize + swatchGap
		line := []span{{class: nameFont.class, text: e.name}, {class: "muted", text: e.note, gap: noteGap}}
		d.w.text(textX, d.y+swatchSize-3, line...)
		d.reach(textX + lineWidth(line))
		d.y += legendLine
	}
	d.y -= legendLine - swatchSize
}

// partitionNote sums a partition up for the legend: its cores, RAM and
// devices.
func partitionNote(p *partition.Partition) string {
	var ram uint64
	for _, m := range p.Memory {
		ram += m.Size
	}
	devices := "no devices"
	if len(p.Devices) > 0 {
		devices = "devices "
		for i, dev := range p.Devices {
			if i > 0 {
				devices += ", "
			}
			devices += dev.Name
		}
	}
	return joinDetails([]string{formatCores(p.CPUs), formatSize(ram) + " RAM", devices})
}

func slicesContainKind(bands []band, kind bandKind) bool {
	for i := range bands {
		if bands[i].kind == kind {
			return true
		}
	}
	return false
}
