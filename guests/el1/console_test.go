package el1

import (
	"testing"

	"github.com/tamavisor/tamavisor/board"
)

// wire records what a console sends to its UART.
type wire struct{ sent []byte }

func (w *wire) Tx(c byte) { w.sent = append(w.sent, c) }

func TestConsole(t *testing.T) {
	tests := []struct {
		name  string
		write func(c Console)
		want  string
	}{
		{"newline becomes CR LF", func(c Console) { c.WriteString("ecu: up\n") }, "ecu: up\r\n"},
		{"bytes", func(c Console) { c.Write([]byte("a\nb")) }, "a\r\nb"},
		{"hex", func(c Console) { c.Hex(0x7000_0000) }, "0x70000000"},
		{"hex zero", func(c Console) { c.Hex(0) }, "0x0"},
		{"decimal", func(c Console) { c.Dec(18446744073709551615) }, "18446744073709551615"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &wire{}
			tt.write(Console{UART: w})
			if string(w.sent) != tt.want {
				t.Errorf("sent %q, want %q", w.sent, tt.want)
			}
		})
	}
}

func TestConsoleWithoutUARTDropsOutput(t *testing.T) {
	// Before Hwinit0 binds the UART, Printk must not fault.
	Console{}.WriteString("early\n")
}

// TestConsoleAllocatesNothing: Hwinit0 and the exception path print before
// the Go heap exists or outside any goroutine.
func TestConsoleAllocatesNothing(t *testing.T) {
	w := &wire{sent: make([]byte, 0, 1<<16)}
	c := Console{UART: w}
	allocs := testing.AllocsPerRun(100, func() {
		w.sent = w.sent[:0]
		c.WriteString("el1: text at ")
		c.Hex(0x7001_0000)
		c.Dec(1234)
		c.Put('\n')
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func TestAppendSizeAndRegion(t *testing.T) {
	tests := []struct {
		region board.Region
		want   string
	}{
		{board.Region{Base: 0x7000_0000, Size: 64 << 20}, "0x70000000+64MiB"},
		{board.Region{Base: 0x4000_0000, Size: 2 << 30}, "0x40000000+2GiB"},
		{board.Region{Base: 0x7400_0000, Size: 16 << 20}, "0x74000000+16MiB"},
		{board.Region{Base: 0x40_0000_0000, Size: 1 << 40}, "0x4000000000+1TiB"},
		{board.Region{Base: 0x7500_0000, Size: 64 << 10}, "0x75000000+64KiB"},
		{board.Region{Base: 0x7000_0000, Size: 1536 << 20}, "0x70000000+1536MiB"},
		{board.Region{Base: 0x1000, Size: 0x1234}, "0x1000+0x1234"},
		{board.Region{Base: 0, Size: 0}, "0x0+0x0"},
	}
	for _, tt := range tests {
		if got := string(AppendRegion(nil, tt.region)); got != tt.want {
			t.Errorf("AppendRegion(%#x, %#x) = %q, want %q", tt.region.Base, tt.region.Size, got, tt.want)
		}
	}
}
