package smmu

import "fmt"

// Command is one command queue entry: two little-endian 64-bit words
// (IHI 0070, chapter 4 "Commands"). Word 0 bits [7:0] hold the opcode.
type Command [2]uint64

// CommandSize is the size of a command queue entry in bytes.
const CommandSize = 16

// Opcode is a command's operation, word 0 bits [7:0].
type Opcode uint8

// The opcodes the driver issues (IHI 0070, 4.1 "Commands overview").
const (
	OpCFGISTE      Opcode = 0x03 // 4.3 CMD_CFGI_STE
	OpCFGISTERange Opcode = 0x04 // 4.3 CMD_CFGI_STE_RANGE; CMD_CFGI_ALL is Range 31
	OpTLBIS12VMAll Opcode = 0x28 // 4.4 CMD_TLBI_S12_VMALL
	OpTLBINSNHAll  Opcode = 0x30 // 4.4 CMD_TLBI_NSNH_ALL
	OpSync         Opcode = 0x46 // 4.7 CMD_SYNC
)

func (o Opcode) String() string {
	switch o {
	case OpCFGISTE:
		return "CMD_CFGI_STE"
	case OpCFGISTERange:
		return "CMD_CFGI_STE_RANGE"
	case OpTLBIS12VMAll:
		return "CMD_TLBI_S12_VMALL"
	case OpTLBINSNHAll:
		return "CMD_TLBI_NSNH_ALL"
	case OpSync:
		return "CMD_SYNC"
	}
	return fmt.Sprintf("opcode %#02x", uint8(o))
}

// Command fields (IHI 0070, 4.3 and 4.4 and 4.7).
const (
	cmdOpcodeMask = 0xff
	cmdSIDShift   = 32     // CFGI: StreamID, word 0 bits [63:32]
	cmdCFGILeaf   = 1 << 0 // CFGI_STE: Leaf, word 1 bit 0
	cmdRangeMask  = 0x1f   // CFGI_STE_RANGE: Range, word 1 bits [4:0]
	cmdRangeAll   = 31     // a range of 2^32 stream IDs: all of them
	cmdVMIDShift  = 32     // TLBI: VMID, word 0 bits [47:32]
	cmdCSShift    = 12     // CMD_SYNC: CS, word 0 bits [13:12]
)

// SyncSignal is CMD_SYNC.CS: how the SMMU signals the command's
// completion besides moving SMMU_CMDQ_CONS past it (IHI 0070, 4.7, CMD_SYNC).
type SyncSignal uint8

const (
	// SyncSignalNone signals nothing; the driver polls SMMU_CMDQ_CONS.
	SyncSignalNone SyncSignal = 0b00
	// SyncSignalSEV also sends an event to wake cores waiting in WFE.
	SyncSignalSEV SyncSignal = 0b10
)

// CFGISTE invalidates the SMMU's cached copies of stream sid's STE: CMD_CFGI_STE.
// With leaf set only the STE itself is invalidated, not a two-level
// table's level-1 descriptor leading to it; a linear table has none.
func CFGISTE(sid uint32, leaf bool) Command {
	c := Command{uint64(OpCFGISTE) | uint64(sid)<<cmdSIDShift}
	if leaf {
		c[1] = cmdCFGILeaf
	}
	return c
}

// CFGIAll invalidates every cached STE and what derives from them:
// CMD_CFGI_ALL, which is CMD_CFGI_STE_RANGE with Range 31.
func CFGIAll() Command {
	return Command{uint64(OpCFGISTERange), cmdRangeAll}
}

// TLBIS12VMAll invalidates every TLB entry tagged with vmid, of stage 1
// and stage 2: CMD_TLBI_S12_VMALL.
func TLBIS12VMAll(vmid uint16) Command {
	return Command{uint64(OpTLBIS12VMAll) | uint64(vmid)<<cmdVMIDShift}
}

// TLBINSNHAll invalidates every non-secure, non-hypervisor TLB entry,
// whatever its VMID: CMD_TLBI_NSNH_ALL.
func TLBINSNHAll() Command {
	return Command{uint64(OpTLBINSNHAll)}
}

// Sync completes once every command before it has: CMD_SYNC, signalling
// completion with cs. MSIs are not used (the MSI fields stay zero).
func Sync(cs SyncSignal) Command {
	return Command{uint64(OpSync) | uint64(cs)<<cmdCSShift}
}

// Opcode returns the command's opcode.
func (c *Command) Opcode() Opcode { return Opcode(c[0] & cmdOpcodeMask) }
