// Package smmu drives an Arm SMMUv3 so that DMA obeys the same partition
// boundaries as the CPUs: a device given to a partition reaches that
// partition's memory and nothing else, and every other device reaches
// nothing.
//
// # Design
//
// The SMMU looks up every incoming transaction's stream ID in a linear
// stream table: one Stream Table Entry (STE) per stream ID.
//
//   - A stream ID the partition table gives a partition gets an STE that
//     bypasses stage 1 and translates through stage 2 with that
//     partition's own stage-2 tables and VMID: the tables its vCPUs run on,
//     described by the same VTCR_EL2 value (mmu.VTCREL2ForBits), so the
//     CPU's and the SMMU's views of a partition cannot drift apart. A DMA
//     address is a guest physical address, exactly as for the guest's CPUs.
//   - Every other stream ID's STE aborts (STE.Config = abort), and stream
//     IDs beyond the table abort too (C_BAD_STREAMID, recorded).
//   - While the SMMU is disabled, as from the first register write of Init
//     until it is enabled, SMMU_GBPA.ABORT makes every transaction abort:
//     no device DMA ever bypasses translation.
//
// No STE ever bypasses translation; the package has no builder for one.
// Faults (a device touching an address its partition does not map) are
// recorded in the event queue and terminate the transaction; nothing
// stalls, and no fault of one partition's device affects another.
//
// # How the firmware uses it
//
// The boot core, before it starts the other cores:
//
//  1. reserves, in memory every core maps at the same addresses and no
//     guest maps, a linear stream table of 2^StreamTableLog2Size entries
//     for all partitions of the partition table (64 bytes each, aligned
//     to the table's size), a command queue and an event queue (16 and 32
//     bytes an entry, each aligned to its size), and passes them to Of
//     with the board's SMMU;
//  2. calls Init(nil) (or Init with every partition, when their stage-2
//     tables exist already); if Init fails, it calls Block, so that no DMA
//     passes an SMMU it could not program, and refuses to start any
//     partition that has stream IDs;
//  3. routes the board's SMMU "eventq" and "gerror" SPIs to itself.
//
// A partition's first core, once the partition's stage-2 tables are built,
// calls Attach with Stage2Of(its tables, its VMID, the board's physical
// address bits) and the partition's stream ID ranges; a stop or restart
// calls Detach first, which returns once no DMA can reach memory through
// the old translation. A change to a live partition's stage-2 tables
// reaches the SMMU with Submit(TLBIS12VMAll(vmid)): SMMU_CR2.PTM makes the
// SMMU ignore the cores' broadcast TLB invalidations.
//
// The eventq interrupt handler calls ReadEvent until it returns false and
// prints each event's AppendReport line (with the partition owning the
// stream ID), and checks EventsLost; the gerror handler reports and
// acknowledges GlobalErrors. None of these allocate.
//
// An SMMU value is used by one core at a time; the firmware serialises
// the calls (one lock for the SMMU in the shared region). The driver keeps
// no copy of the queue indexes, so any core holding that lock may
// continue where another left off.
//
// # Limits
//
// The SMMU must be coherent with the cores' caches (SMMU_IDR0.COHACC): the
// driver does no cache maintenance, and Init refuses an SMMU that is not.
// QEMU's SMMUv3 translates only stage 1 unless started with
// -global arm-smmuv3.stage=2, and on the virt machine it serves the PCIe
// host only (stream ID = requester ID). A two-level stream table, for
// sparse stream IDs, and MSIs are not used.
//
// Register accesses go through driver/mmio and a data synchronization
// barrier (DSB SY on the target, a hook in host tests), so everything
// here runs on the host against a model of the SMMU.
//
// Reference: Arm System Memory Management Unit Architecture Specification,
// SMMU architecture version 3 (IHI 0070), cited by section: 3.5 the
// queues, chapter 4 the commands, 5.2 the STE, 6.3 the registers, 7.1
// command errors, 7.3 event records.
package smmu
