package smmu

// Queue is the geometry of a circular queue the SMMU shares with software:
// 2^Log2Size entries, indexed by producer and consumer values laid out as
// in the SMMU_CMDQ_PROD/CONS and SMMU_EVENTQ_PROD/CONS registers (IHI
// 0070, 3.5 "Command and Event queues"): the entry index in bits
// [Log2Size-1:0] and a wrap bit at bit Log2Size, which flips each time the
// index passes the end. Equal indexes mean empty when the wrap bits match
// and full when they differ. Bits above the wrap bit (CMDQ_CONS.ERR,
// EVENTQ_PROD.OVFLG, EVENTQ_CONS.OVACKFLG) are ignored here.
type Queue struct {
	Log2Size uint8
}

// MaxQueueLog2Size is the largest queue the registers can describe
// (SMMU_IDR1.CMDQS and EVENTQS are at most 19).
const MaxQueueLog2Size = 19

// Entries returns the number of entries.
func (q Queue) Entries() uint32 { return 1 << q.Log2Size }

// wrapMask covers the index and the wrap bit.
func (q Queue) wrapMask() uint32 { return 1<<(q.Log2Size+1) - 1 }

// Index returns the entry a producer or consumer value points at.
func (q Queue) Index(p uint32) uint32 { return p & (q.Entries() - 1) }

// Wrap returns the wrap bit of a producer or consumer value.
func (q Queue) Wrap(p uint32) bool { return p&q.Entries() != 0 }

// Next returns the value after p: the next index, with the wrap bit
// flipped when the index wraps to 0. Bits above the wrap bit are dropped.
func (q Queue) Next(p uint32) uint32 { return (p + 1) & q.wrapMask() }

// Empty reports whether the queue holds nothing: producer and consumer at
// the same index with the same wrap bit.
func (q Queue) Empty(prod, cons uint32) bool { return (prod^cons)&q.wrapMask() == 0 }

// Full reports whether every entry is in use: producer and consumer at the
// same index with different wrap bits.
func (q Queue) Full(prod, cons uint32) bool { return (prod^cons)&q.wrapMask() == q.Entries() }

// Len returns how many entries the producer has written that the consumer
// has not yet read.
func (q Queue) Len(prod, cons uint32) uint32 { return (prod - cons) & q.wrapMask() }
