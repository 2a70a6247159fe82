package partition

import (
	"errors"
	"fmt"
	"testing"
)

func TestPosString(t *testing.T) {
	tests := []struct {
		pos  Pos
		want string
	}{
		{Pos{File: "configs/x.yaml", Line: 14, Column: 5}, "configs/x.yaml:14:5"},
		{Pos{File: "configs/x.yaml", Line: 14}, "configs/x.yaml:14"},
		{Pos{File: "configs/x.yaml"}, "configs/x.yaml"},
	}
	for _, tc := range tests {
		if got := tc.pos.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.pos, got, tc.want)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	pos := Pos{File: "configs/x.yaml", Line: 14, Column: 5}
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Pos: pos, Partition: "ecu", Problem: "memory 0x48000000+64MiB overlaps partition \"infotainment\"", Fix: "move or shrink one of them"},
			`configs/x.yaml:14:5: partition "ecu": memory 0x48000000+64MiB overlaps partition "infotainment"; move or shrink one of them`},
		{Error{Pos: pos, Channel: "vehicle-data", Problem: "has only one member", Fix: "add one"},
			`configs/x.yaml:14:5: channel "vehicle-data": has only one member; add one`},
		{Error{Pos: pos, Problem: `unknown board "x"`, Fix: "use one of qemu-virt"},
			`configs/x.yaml:14:5: unknown board "x"; use one of qemu-virt`},
		{Error{Pos: pos, Problem: "no fix"}, `configs/x.yaml:14:5: no fix`},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestErrorListOrder(t *testing.T) {
	at := func(line, column int, problem string) *Error {
		return &Error{Pos: Pos{File: "c.yaml", Line: line, Column: column}, Problem: problem}
	}
	list := ErrorList{at(9, 3, "d"), at(2, 7, "b"), at(9, 3, "e"), at(2, 1, "a"), at(5, 1, "c")}
	err := list.err()
	want := "c.yaml:2:1: a\nc.yaml:2:7: b\nc.yaml:5:1: c\nc.yaml:9:3: d\nc.yaml:9:3: e"
	if err == nil || err.Error() != want {
		t.Fatalf("sorted list:\n%v\nwant:\n%s", err, want)
	}
	var asList ErrorList
	if !errors.As(fmt.Errorf("wrapped: %w", err), &asList) || len(asList) != 5 || asList[0].Problem != "a" {
		t.Errorf("errors.As did not recover the list from a wrapped error")
	}
	if err := (ErrorList{}).err(); err != nil {
		t.Errorf("empty list gives error %v, want nil", err)
	}
}
