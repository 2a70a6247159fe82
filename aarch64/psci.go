package aarch64

// PSCI function IDs (DEN 0022 5.1 "Function prototypes"; names ending in
// 32 or 64 are the SMC32 and SMC64 variants of one function), and SMCCC
// IDs (DEN 0028).
const (
	PSCIVersion          uint64 = 0x8400_0000
	PSCICPUSuspend64     uint64 = 0xc400_0001
	PSCICPUOff           uint64 = 0x8400_0002
	PSCICPUOn32          uint64 = 0x8400_0003
	PSCICPUOn64          uint64 = 0xc400_0003
	PSCIAffinityInfo32   uint64 = 0x8400_0004
	PSCIAffinityInfo64   uint64 = 0xc400_0004
	PSCIMigrateInfoType  uint64 = 0x8400_0006
	PSCISystemOff        uint64 = 0x8400_0008
	PSCISystemReset      uint64 = 0x8400_0009
	PSCIFeatures         uint64 = 0x8400_000a
	SMCCCVersion         uint64 = 0x8000_0000
	SMCCCArchFeatures    uint64 = 0x8000_0001
	SMCCCArchWorkaround1 uint64 = 0x8000_8000 // CVE-2017-5715
	SMCCCArchWorkaround2 uint64 = 0x8000_7fff // CVE-2018-3639
	SMCCCArchWorkaround3 uint64 = 0x8000_3fff // CVE-2022-23960
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
