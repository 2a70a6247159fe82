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
package smmu
