package aarch64

// PSCI function IDs, SMC64 variants where both exist (DEN 0022 5.1
// "Function prototypes"), and SMCCC IDs (DEN 0028).
const (
	PSCIVersion          uint64 = 0x8400_0000
	PSCICPUSuspend64     uint64 = 0xc400_0001
	PSCICPUOff           uint64 = 0x8400_0002
	PSCICPUOn64          uint64 = 0xc400_0003
	PSCIAffinityInfo64   uint64 = 0xc400_0004
	PSCISystemOff        uint64 = 0x8400_0008
	PSCISystemReset      uint64 = 0x8400_0009
	PSCIFeatures         uint64 = 0x8400_000a
	SMCCCVersion         uint64 = 0x8000_0000
	SMCCCArchFeatures    uint64 = 0x8000_0001
	SMCCCNotSupported    int64  = -1
	PSCISuccess          int64  = 0
	PSCINotSupported     int64  = -1
	PSCIInvalidParams    int64  = -2
	PSCIDenied           int64  = -3
	PSCIAlreadyOn        int64  = -4
	PSCIOnPending        int64  = -5
	PSCIInternalFailure  int64  = -6
	PSCINotPresent       int64  = -7
	PSCIDisabled         int64  = -8
	PSCIInvalidAddress   int64  = -9
	psciLowestReturnCode        = PSCIInvalidAddress
)

var psciReturnNames = [...]string{
	"success", "not supported", "invalid parameters", "denied", "already on",
	"on pending", "internal failure", "not present", "disabled", "invalid address",
}

// PSCIReturnString names a PSCI return code.
func PSCIReturnString(code int64) string {
	if code <= 0 && code >= psciLowestReturnCode {
		return psciReturnNames[-code]
	}
	return "unknown return code"
}

// MPIDR affinity fields (DDI 0487 D19.2 MPIDR_EL1).
type MPIDR uint64

// Affinity returns the MPIDR with everything but Aff3..Aff0 cleared: the
// form PSCI CPU_ON takes.
func (m MPIDR) Affinity() uint64 { return uint64(m) & 0xff_00ff_ffff }
