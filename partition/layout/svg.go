package layout

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
)

// attr is one attribute of an SVG element; values are escaped when
// written.
type attr struct {
	name, value string
}

func num(n int) string { return strconv.Itoa(n) }

// svgWriter writes an indented SVG document element by element.
type svgWriter struct {
	buf   bytes.Buffer
	depth int
}

func (w *svgWriter) indent() {
	w.buf.WriteString(strings.Repeat("  ", w.depth))
}

func (w *svgWriter) startTag(name string, attrs []attr) {
	w.indent()
	w.buf.WriteString("<" + name)
	for _, a := range attrs {
		w.buf.WriteString(" " + a.name + `="`)
		escape(&w.buf, a.value)
		w.buf.WriteString(`"`)
	}
}

// open starts an element that has children; close ends it.
func (w *svgWriter) open(name string, attrs ...attr) {
	w.startTag(name, attrs)
	w.buf.WriteString(">\n")
	w.depth++
}

func (w *svgWriter) close(name string) {
	w.depth--
	w.indent()
	w.buf.WriteString("</" + name + ">\n")
}

// empty writes an element without children.
func (w *svgWriter) empty(name string, attrs ...attr) {
	w.startTag(name, attrs)
	w.buf.WriteString("/>\n")
}

// element writes an element holding only text.
func (w *svgWriter) element(name, text string, attrs ...attr) {
	w.startTag(name, attrs)
	w.buf.WriteString(">")
	escape(&w.buf, text)
	w.buf.WriteString("</" + name + ">\n")
}

// styleSheet writes a style element holding css, a constant of this
// package, verbatim.
func (w *svgWriter) styleSheet(css string) {
	w.indent()
	w.buf.WriteString(`<style type="text/css"><![CDATA[` + css + "]]></style>\n")
}

// span is a run of text in one class ("" for the default style), gap
// pixels after the previous one. The gap is an offset rather than spaces
// because SVG renderers collapse or drop spaces at the edges of a span.
type span struct {
	class, text string
	gap         int
}

// text writes one line of text made of spans, its left end at (x, y) on
// the baseline.
func (w *svgWriter) text(x, y int, spans ...span) {
	if len(spans) == 1 {
		attrs := []attr{{"x", num(x)}, {"y", num(y)}}
		if spans[0].class != "" {
			attrs = append(attrs, attr{"class", spans[0].class})
		}
		w.element("text", spans[0].text, attrs...)
		return
	}
	w.startTag("text", []attr{{"x", num(x)}, {"y", num(y)}})
	w.buf.WriteString(">")
	for _, s := range spans {
		if s.class == "" && s.gap == 0 {
			escape(&w.buf, s.text)
			continue
		}
		w.buf.WriteString("<tspan")
		if s.class != "" {
			w.buf.WriteString(` class="` + s.class + `"`)
		}
		if s.gap != 0 {
			w.buf.WriteString(` dx="` + num(s.gap) + `"`)
		}
		w.buf.WriteString(">")
		escape(&w.buf, s.text)
		w.buf.WriteString("</tspan>")
	}
	w.buf.WriteString("</text>\n")
}

// escape writes s with the characters XML gives meaning to escaped, in
// text and in attribute values alike.
func escape(buf *bytes.Buffer, s string) {
	// xml.EscapeText fails only when its writer does; a bytes.Buffer
	// does not.
	_ = xml.EscapeText(buf, []byte(s))
}
