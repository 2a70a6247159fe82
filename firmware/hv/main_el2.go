//go:build tamago && arm64

package hv

import (
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tamavisor/tamavisor/aarch64"
	vconsole "github.com/tamavisor/tamavisor/firmware/vdev/console"
	"github.com/tamavisor/tamavisor/internal/minisign"
	"github.com/tamavisor/tamavisor/partition/table"
)

// coreStartTimeout bounds how long the boot core waits for a started core's
// instance to report itself up.
const coreStartTimeout = 10 * time.Second

// Main is the hypervisor's main function on every core.
func Main() {
	if isBootCore {
		bootCoreMain()
	} else {
		secondaryMain()
		// Partitions start once every core is up.
		for atomic.LoadUint32(&shared().AllUp) == 0 {
			waitForEvent()
		}
	}
	if err := initCoreInterrupts(); err != nil {
		fmt.Printf("core %d: GIC: %v\n", thisCore, err)
		enterSafeState("interrupt controller")
	}
	interruptsReady = true
	atomic.StoreUint32(&shared().Core[thisCore].RingsDoorbell, 1)
	runPartition()
	vc.park()
	if isBootCore {
		watchCores()
	}
	// Nothing is left for this core: it sleeps for good.
	for {
		sleep()
	}
}

func bootCoreMain() {
	sh := shared()
	atomic.StoreUint64(&sh.Core[thisCore].MPIDR, readMPIDR())
	atomic.StoreUint64(&sh.Core[thisCore].SlotBase, hypervisor.Slot(thisCore).Base)
	fmt.Printf("tamavisor: hypervisor at EL2, %d cores, %d MiB per core instance\n", numCPUs, slotSize>>20)
	if entrySCTLR&(sctlrM|sctlrC) != 0 {
		fmt.Printf("tamavisor: entered with the MMU or data cache on (SCTLR_EL2 %#x): caches written back, started as from reset\n", entrySCTLR)
	}
	if f := readCounterFrequency(); f != counterFrequency {
		fmt.Printf("tamavisor: the generic counter runs at %d Hz (CNTFRQ_EL0), board %s says %d Hz; timing follows the counter\n", f, thisBoard.Name, counterFrequency)
	}
	printUp()
	selfTest()
	atomic.StoreUint32(&sh.Core[thisCore].State, CoreUp)
	if !checkPartitionTable() {
		enterSafeState("refusing to boot")
	}
	if err := initDistributor(); err != nil {
		fmt.Printf("tamavisor: GIC distributor: %v\n", err)
		enterSafeState("interrupt controller")
	}
	initSMMU(tableView())

	// From here on other cores print too.
	console.SetOutput(sh.Output[:], &sh.Writer)

	up := 1
	for c := 0; c < numCPUs; c++ {
		if c == thisCore {
			continue
		}
		if startCore(c) {
			up++
		}
	}
	if up == numCPUs {
		fmt.Printf("all cores up: %d\n", up)
	} else {
		fmt.Printf("cores up: %d of %d\n", up, numCPUs)
	}
	atomic.StoreUint32(&sh.AllUp, 1)
	sendEvent()
}

// watchCores runs on the boot core once the system is up and reports every
// core that stops: one core's failure is visible, and the others go on.
func watchCores() {
	sh := shared()
	var reported [MaxCPUs]bool
	for {
		// Asked before looking: a core that halts after this either
		// rings the doorbell, or was counted as one that does not, and
		// its SEV ends the WFE below.
		canSleep := ringDoorbells()
		for c := 0; c < numCPUs; c++ {
			if !reported[c] && atomic.LoadUint32(&sh.Core[c].State) == CoreHalted {
				reported[c] = true
				fmt.Printf("core %d: core %d halted; the other cores keep running\n", thisCore, c)
				atomic.StoreUint32(&sh.Core[c].HaltReported, 1)
				sendEvent()
			}
		}
		if canSleep {
			sleep()
		} else {
			waitForEvent()
		}
	}
}

// ringDoorbells reports whether every core still running wakes the boot
// core with the doorbell SGI when it halts, so the boot core may sleep in
// WFI; until then it waits for their SEV with WFE.
func ringDoorbells() bool {
	sh := shared()
	for c := 0; c < numCPUs; c++ {
		if c != thisCore && atomic.LoadUint32(&sh.Core[c].State) == CoreUp &&
			atomic.LoadUint32(&sh.Core[c].RingsDoorbell) == 0 {
			return false
		}
	}
	return true
}

// startCore powers core c on through PSCI and waits for its instance.
func startCore(c int) bool {
	sh := shared()
	atomic.StoreUint32(&sh.Core[c].State, CoreStarting)
	ret := int64(smc(aarch64.PSCICPUOn64, mpidrOf(c), secondaryEntryAddress(), uint64(c)))
	if ret != aarch64.PSCISuccess {
		atomic.StoreUint32(&sh.Core[c].State, CoreOff)
		fmt.Printf("core %d: not started: PSCI CPU_ON returned %d (%s)\n", c, ret, aarch64.PSCIReturnString(ret))
		return false
	}
	deadline := time.Now().Add(coreStartTimeout)
	for time.Now().Before(deadline) {
		switch atomic.LoadUint32(&sh.Core[c].State) {
		case CoreUp:
			return true
		case CoreHalted:
			fmt.Printf("core %d: halted while starting\n", c)
			return false
		}
	}
	fmt.Printf("core %d: started but not up within %v\n", c, coreStartTimeout)
	return false
}

// partitions is the checked partition table, nil for an image without one.
var partitions *PartitionTable

// checkPartitionTable decodes, re-checks and verifies the image's partition
// table before any other core starts. A table that fails any check stops
// the boot: nothing runs half-configured.
func checkPartitionTable() bool {
	if payload.Size == 0 {
		fmt.Printf("tamavisor: no partition table in this image (a plain hypervisor build); no partitions to start\n")
		return true
	}
	segment := unsafe.Slice((*byte)(unsafe.Pointer(uintptr(payload.Base))), payload.Size)
	pt, err := LoadPartitionTable(segment, payload.Base, boardLimits())
	if err != nil {
		fmt.Printf("tamavisor: %v\n", err)
		fmt.Printf("tamavisor: refusing to boot: rebuild the image with tamavisor build CONFIG (tamavisor inspect IMAGE shows what it holds)\n")
		return false
	}
	if ramPeekFailed {
		// The table is sound, so the peek ran out of room.
		fmt.Printf("tamavisor: the partitions have more than %d RAM regions together, more than the hypervisor maps\n", maxPartitionRAMRegions)
		fmt.Printf("tamavisor: refusing to boot: merge memory regions in the config\n")
		return false
	}
	trusted, hasKey, err := minisign.ParseTrustSlot(&trustedKey)
	if err != nil {
		fmt.Printf("tamavisor: %v; refusing to start any partition\n", err)
		return false
	}
	var key *minisign.PublicKey
	if hasKey {
		key = &trusted
	}
	line, ok := table.CheckSignature(key, segment, pt.View.Len())
	fmt.Printf("tamavisor: %s\n", line)
	if !ok {
		fmt.Printf("tamavisor: refusing to start any partition: sign the table with the trusted key (tamavisor build -sign KEY), or build the image with the key that signed it (-trust KEY.pub)\n")
		return false
	}
	partitions = pt
	v := pt.View
	fmt.Printf("tamavisor: partition table for %s: %d partitions, %d images verified (SHA-256)\n",
		v.Board().String(), v.NumPartitions(), v.NumImages())
	for i := 0; i < v.NumPartitions(); i++ {
		p := v.Partition(i)
		fmt.Printf("tamavisor: partition %q: cores %s, %d regions, %d devices, on fault %s\n",
			p.Name.String(), coreList(p.CPUMask), p.Regions.Count, p.Devices.Count, p.OnFault)
	}
	if router, err := vconsole.New(&shared().ConsoleFocus, virtualConsoles(v), &console); err == nil {
		fmt.Println(router.Banner())
	}
	return true
}

func coreList(mask uint64) string {
	s := ""
	for c := 0; c < 64; c++ {
		if mask&(1<<c) != 0 {
			if s != "" {
				s += ","
			}
			s += fmt.Sprint(c)
		}
	}
	return s
}

func secondaryMain() {
	sh := shared()
	atomic.StoreUint64(&sh.Core[thisCore].MPIDR, readMPIDR())
	atomic.StoreUint64(&sh.Core[thisCore].SlotBase, hypervisor.Slot(thisCore).Base)
	if f := readCounterFrequency(); f != counterFrequency {
		fmt.Printf("tamavisor: the generic counter runs at %d Hz (CNTFRQ_EL0), board %s says %d Hz; timing follows the counter\n", f, thisBoard.Name, counterFrequency)
	}
	printUp()
	selfTest()
	atomic.StoreUint32(&sh.Core[thisCore].State, CoreUp)
	sendEvent()
	injectFault()
}

// waitFor waits, at most coreStartTimeout, for cond to hold.
func waitFor(cond func() bool) bool {
	deadline := time.Now().Add(coreStartTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

func printUp() {
	slot := hypervisor.Slot(thisCore)
	fmt.Printf("core %d up: mpidr %#x, private memory at %#x (%d MiB)\n",
		thisCore, readMPIDR(), slot.Base, slot.Size>>20)
}

// isolationProbe is initialized data: every core starts with its own copy
// holding this value.
var isolationProbe uint64 = 0x7461_6d61_7669_736f // "tamaviso"

const isolationProbeInitial = 0x7461_6d61_7669_736f

// heapSink keeps the self-test's allocation on the heap.
var heapSink []byte

// selfTest shows, at every boot, that this core's memory is its own: a heap
// allocation lands in its slot, and (cores 1 and 2) a global written on one
// core is unchanged on another at the same address.
func selfTest() {
	heapSink = make([]byte, 64<<10)
	va := uint64(uintptr(unsafe.Pointer(&heapSink[0])))
	fmt.Printf("core %d heap: allocation at va %#x is pa %#x\n", thisCore, va, physical(va))

	probe := uint64(uintptr(unsafe.Pointer(&isolationProbe)))
	switch thisCore {
	case 1:
		atomic.StoreUint64(&isolationProbe, 0xc0de_0000_0000_0001)
		fmt.Printf("core 1 isolation: wrote %#x to probe at va %#x (pa %#x)\n",
			atomic.LoadUint64(&isolationProbe), probe, physical(probe))
		atomic.StoreUint32(&shared().ProbeWritten, 1)
		sendEvent()
	case 2:
		if !waitFor(func() bool { return atomic.LoadUint32(&shared().ProbeWritten) != 0 }) {
			fmt.Printf("core 2 isolation: core 1 never wrote the probe\n")
			return
		}
		v := atomic.LoadUint64(&isolationProbe)
		verdict := "unchanged"
		if v != isolationProbeInitial {
			verdict = "CHANGED"
		}
		fmt.Printf("core 2 isolation: probe at va %#x (pa %#x) reads %#x: %s\n", probe, physical(probe), v, verdict)
	}
}

// physical translates a virtual address with this core's tables (AT
// S1E2R); it returns 0 for an address that does not translate.
func physical(va uint64) uint64 {
	par := translate(va)
	if par&1 != 0 { // PAR_EL1.F: the walk faulted
		return 0
	}
	return par&0x0000_ffff_ffff_f000 | va&0xfff
}
