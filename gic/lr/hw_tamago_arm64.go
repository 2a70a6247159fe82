//go:build tamago && arm64

package lr

// SystemRegisters is the running core's virtual CPU interface control
// registers, ICH_*_EL2: the Hardware of a CPUInterface on the target.
type SystemRegisters struct{}

var _ Hardware = SystemRegisters{}

// In hw_tamago_arm64.s. The indexed ones take list register n mod 16 and
// active priority register n mod 4.
func readLR(n uint64) uint64
func writeLR(n, v uint64)
func writeAP0R(n, v uint64)
func writeAP1R(n, v uint64)
func readHCR() uint64
func writeHCR(v uint64)
func readVTR() uint64
func readELRSR() uint64 // after an ISB
func readMISR() uint64  // after an ISB
func writeVMCR(v uint64)

func (SystemRegisters) ReadLR(n int) LR           { return LR(readLR(uint64(n))) }
func (SystemRegisters) WriteLR(n int, v LR)       { writeLR(uint64(n), uint64(v)) }
func (SystemRegisters) ReadHCR() uint64           { return readHCR() }
func (SystemRegisters) WriteHCR(v uint64)         { writeHCR(v) }
func (SystemRegisters) ReadVTR() uint64           { return readVTR() }
func (SystemRegisters) ReadELRSR() uint64         { return readELRSR() }
func (SystemRegisters) ReadMISR() uint64          { return readMISR() }
func (SystemRegisters) WriteVMCR(v uint64)        { writeVMCR(v) }
func (SystemRegisters) WriteAP0R(n int, v uint64) { writeAP0R(uint64(n), v) }
func (SystemRegisters) WriteAP1R(n int, v uint64) { writeAP1R(uint64(n), v) }
