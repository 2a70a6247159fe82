package vgic

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/firmware/vdev"
)

// A fuzz record is 12 bytes:
//
//	byte 0      bit 0 frame (GICD, GICR), bits 1-4 access size, bit 5 store,
//	            bit 6 a firmware call instead of an access
//	bytes 1-3   offset: 16 bits in GICD, 19 bits in GICR, so that about
//	            half of them fall in the frames
//	bytes 4-11  value stored, little-endian
//
// A firmware call takes its vCPU from byte 1 (-1 to 2), its INTID from
// bytes 2-3 (10 bits) and its operation from byte 4.
const fuzzRecordSize = 12

// fuzzMaxRecords bounds the records one input performs: long enough for
// any sequence that matters, short enough to keep the fuzzer fast.
const fuzzMaxRecords = 512

func encodeAccess(a access) []byte {
	r := make([]byte, fuzzRecordSize)
	r[0] = byte(a.frame) | byte(a.size)<<1
	if a.write {
		r[0] |= 1 << 5
	}
	r[1], r[2], r[3] = byte(a.offset), byte(a.offset>>8), byte(a.offset>>16)
	for i := range 8 {
		r[4+i] = byte(a.value >> (8 * i))
	}
	return r
}

// FuzzAccess performs arbitrary accesses and firmware calls on two
// partitions' worth of state, one whose hidden interrupts are set (see
// isolation_test.go): the guest must read the same from both, the hooks
// must report the same and name only what the guest sees, nothing may
// panic, and no hidden interrupt may change.
func FuzzAccess(f *testing.F) {
	for _, s := range [][]access{
		linuxProbe,
		linuxDistInit[:12],
		linuxCPUInit(1),
		linuxDevices,
		{store(gicd, 0x6108, 8, 0x100), store(gicd, 0x0204, 4, ^uint64(0))},
		{store(gicr, sgi(1, 0x0400+27), 1, 0xa0), store(gicr, rd(1, 0x0014), 4, 2)},
	} {
		var seed []byte
		for _, a := range s {
			seed = append(seed, encodeAccess(a)...)
		}
		f.Add(seed)
	}
	f.Add([]byte{1 << 6, 0, 33, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 << 6, 2, 27, 0, 2, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, records []byte) {
		clean, dirty := newTwins(t)
		before := hiddenState(dirty.g, dirty.s)
		records = records[:min(len(records), fuzzMaxRecords*fuzzRecordSize)]
		for ; len(records) >= fuzzRecordSize; records = records[fuzzRecordSize:] {
			r := records[:fuzzRecordSize]
			if r[0]&(1<<6) != 0 {
				vcpu := int(r[1]%4) - 1
				intid := uint32(r[2]) | uint32(r[3]&3)<<8
				for _, tw := range []twin{clean, dirty} {
					switch r[4] % 4 {
					case 0:
						tw.g.SetPending(vcpu, intid)
					case 1:
						tw.g.ClearPending(vcpu, intid)
					default:
						tw.g.SetActive(vcpu, intid, r[4]%4 == 2)
					}
				}
				continue
			}
			fr := frame(r[0] & 1)
			offset := uint64(r[1]) | uint64(r[2])<<8 | uint64(r[3])<<16
			if fr == gicd {
				offset &= 0x1_ffff
			} else {
				offset &= 0x7_ffff
			}
			a := vdev.Access{Offset: offset, Size: int(r[0] >> 1 & 0xf), Write: r[0]&(1<<5) != 0}
			for i := range 8 {
				a.Value |= uint64(r[4+i]) << (8 * i)
			}
			for _, c := range same(t, clean, dirty, fr, a) {
				checkHookCall(t, clean.g, c)
			}
		}
		for v := range clean.g.vcpus {
			for from := uint32(0); from < SPIEnd; from += 97 {
				ci, cok := clean.g.NextPending(v, from)
				di, dok := dirty.g.NextPending(v, from)
				require.Equal(t, cok, dok, "NextPending(%d, %d)", v, from)
				require.Equal(t, ci, di, "NextPending(%d, %d)", v, from)
			}
		}
		assert.Equal(t, before, hiddenState(dirty.g, dirty.s), "hidden state changed")
		_, held := clean.s.lock.Holder()
		assert.False(t, held, "lock left held")
		_, held = dirty.s.lock.Holder()
		assert.False(t, held, "lock left held")
	})
}
