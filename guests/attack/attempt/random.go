package attempt

import (
	"strconv"

	"github.com/tamavisor/tamavisor/aarch64"
	"github.com/tamavisor/tamavisor/guests/el1"
	"github.com/tamavisor/tamavisor/internal/bare"
)

// RandomCall is a hypervisor or secure monitor call with random values in
// every register the SMC Calling Convention passes (DEN 0028: x0..x17):
// a function ID from one of the ranges below, random arguments, and
// random upper halves where a 32-bit convention must ignore them.
type RandomCall struct {
	Conduit Kind // HVC or SMC
	// X holds x0..x17 as the call is made.
	X [18]uint64
	// Unknown says X[0]'s function is none Tamavisor offers (it offers
	// PSCI and the Arm Architecture calls): it must return NOT_SUPPORTED.
	Unknown bool
}

// Function ID fields (DEN 0028 "Function Identifier").
const (
	fastCall    = 1 << 31
	smc64Call   = 1 << 30
	ownerShift  = 24
	ownerMask   = 0x3f
	ownerArch   = 0 // Arm Architecture Calls
	ownerStd    = 4 // Standard Secure Service Calls: PSCI
	ownerStdHyp = 5 // Standard Hypervisor Service Calls
	ownerVenHyp = 6 // Vendor Specific Hypervisor Service Calls
)

// stopsTheCaller lists the PSCI function numbers (bits [15:0] of the
// ID, 32- and 64-bit alike) that suspend, stop or restart the calling
// vCPU or its partition when a hypervisor implements them: a random call
// must leave the attacker running to report the next one.
var stopsTheCaller = [...]uint64{
	0x01, // CPU_SUSPEND
	0x02, // CPU_OFF
	0x08, // SYSTEM_OFF
	0x09, // SYSTEM_RESET
	0x0b, // CPU_FREEZE
	0x0c, // CPU_DEFAULT_SUSPEND
	0x0e, // SYSTEM_SUSPEND
	0x12, // SYSTEM_RESET2
}

// psciTakesArguments are the PSCI function numbers Tamavisor offers that
// read arguments and leave the caller running: VERSION (for completeness),
// CPU_ON, AFFINITY_INFO, MIGRATE_INFO_TYPE and PSCI_FEATURES. Half the
// PSCI calls pick one of these, the other half any number.
var psciTakesArguments = [...]uint64{0x00, 0x03, 0x04, 0x06, 0x0a}

// armCalls are the Arm Architecture functions a hypervisor may implement
// (DEN 0028 7): SMCCC_VERSION, SMCCC_ARCH_FEATURES, SMCCC_ARCH_SOC_ID and
// the three firmware workarounds.
var armCalls = [...]uint64{0x0000, 0x0001, 0x0002, 0x3fff, 0x7fff, 0x8000}

// RandomCalls returns n random calls from seed, alternately HVC and SMC,
// cycling through four kinds of function ID: random 64-bit values outside
// the services a hypervisor may offer, PSCI functions (bar those that stop
// the caller) with random upper halves, Arm Architecture functions, and
// Standard or Vendor Hypervisor Service functions and yielding calls,
// none of which Tamavisor offers.
func RandomCalls(seed uint64, n int) []RandomCall {
	r := bare.SplitMix64{State: seed}
	calls := make([]RandomCall, n)
	for i := range calls {
		c := &calls[i]
		c.Conduit = HVC
		if i%2 == 1 {
			c.Conduit = SMC
		}
		for j := 1; j < len(c.X); j++ {
			c.X[j] = r.Next()
		}
		random := r.Next()
		width := uint64(0)
		if random&1 != 0 {
			width = smc64Call
		}
		upper := random &^ 0xffff_ffff
		switch i / 2 % 4 {
		case 0:
			for definedFunction(random) {
				random = r.Next()
			}
			c.X[0] = random
			c.Unknown = true
		case 1:
			fn := psciTakesArguments[random>>8%uint64(len(psciTakesArguments))]
			if random&2 != 0 {
				fn = random >> 8 % 0x20
				for stops(fn) {
					fn = (fn + 1) % 0x20
				}
			}
			c.X[0] = upper | fastCall | width | ownerStd<<ownerShift | fn
		case 2:
			c.X[0] = upper | fastCall | ownerArch<<ownerShift | armCalls[random>>8%uint64(len(armCalls))]
		case 3:
			switch random >> 8 % 3 {
			case 0:
				c.X[0] = upper | fastCall | width | ownerStdHyp<<ownerShift | random>>16&0xffff
			case 1:
				c.X[0] = upper | fastCall | width | ownerVenHyp<<ownerShift | random>>16&0xffff
			default:
				c.X[0] = upper | width | random>>16%0x40<<ownerShift | random>>24&0xffff
			}
			c.Unknown = true
		}
	}
	return calls
}

func stops(fn uint64) bool {
	for _, s := range stopsTheCaller {
		if fn == s {
			return true
		}
	}
	return false
}

// definedFunction reports whether a function ID (w0) falls where a
// hypervisor may offer something: a fast call of the Arm Architecture,
// the Standard Secure or a hypervisor service.
func definedFunction(id uint64) bool {
	id = uint64(uint32(id))
	if id&fastCall == 0 {
		return false
	}
	switch id >> ownerShift & ownerMask {
	case ownerArch, ownerStd, ownerStdHyp, ownerVenHyp:
		return true
	}
	return false
}

// Check says whether the registers after the call are what a hypervisor
// that keeps its partitions apart may leave: x0 a return code (exactly
// NOT_SUPPORTED for an unknown function, otherwise an SMCCC or PSCI error
// code or a non-negative value), x1..x3 zero or unchanged, and x4..x17
// unchanged (DEN 0028 "SMC64/HVC64 result passing"), so nothing of the
// hypervisor or another partition reaches the caller. It returns the
// first register that breaks that, or -1.
func (c RandomCall) Check(after [18]uint64) int {
	code := int64(int32(after[0]))
	switch {
	case c.Unknown && code != aarch64.PSCINotSupported:
		return 0
	case code < aarch64.PSCIInvalidAddress:
		return 0
	}
	for j := 1; j < len(after); j++ {
		if after[j] != c.X[j] && (j > 3 || after[j] != 0) {
			return j
		}
	}
	return -1
}

// Line is the console line of random call i with the registers after it,
// without the newline.
func (c RandomCall) Line(i int, after [18]uint64) string {
	line := c.prefix(i)
	code := int64(int32(after[0]))
	if code < 0 && code >= aarch64.PSCIInvalidAddress {
		line += strconv.FormatInt(code, 10) + " (" + aarch64.PSCIReturnString(code) + ")"
	} else {
		line += "returned " + hex(after[0])
	}
	if j := c.Check(after); j > 0 {
		return line + ", LEAK: x" + strconv.Itoa(j) + " became " + hex(after[j])
	} else if j == 0 {
		return line + ", WRONG result"
	}
	return line + ", other registers kept"
}

// RandomSeed seeds the attacker's random calls: each run makes the same
// ones, so a failure can be replayed.
const RandomSeed uint64 = 0x7461_6d61_7669_736f

// AbortLine is the console line of random call i that took exception f
// instead of returning (as an SMC does on a machine without EL3).
func (c RandomCall) AbortLine(i int, f el1.Fault) string {
	return c.prefix(i) + "abort (" + f.Error() + ")"
}

func (c RandomCall) prefix(i int) string {
	return "attack: random " + c.Conduit.String() + " " + strconv.Itoa(i) + " x0=" + hex(c.X[0]) + ": "
}
