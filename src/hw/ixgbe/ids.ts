/**
 * PCI identity of the Intel 82599 10 GbE controller. Facts only.
 * Sources: ../shared/reference/ixgbe-82599.md §1 (KuangjuX/ixgbe-driver src/lib.rs, src/constants.rs;
 * Linux drivers/net/ethernet/intel/ixgbe/ixgbe_type.h).
 */

/** Intel's PCI vendor id (`INTEL_VEND`). */
export const INTEL_VEND = 0x8086;
/** 82599ES SFP+ (`INTEL_82599`), the id ixgbe-driver and axdriver match. */
export const INTEL_82599 = 0x10fb;

/** PCI class code of an Ethernet controller: base class 0x02 (network), subclass 0x00 (Ethernet). */
export const IXGBE_CLASS_NETWORK = 0x02;
/** Subclass: Ethernet controller. */
export const IXGBE_SUBCLASS_ETHERNET = 0x00;

/**
 * Device ids of 82599 physical functions (ixgbe-82599.md §1). The virtual functions (0x10ED, 0x152E) are
 * left out on purpose: a VF has another register layout and the ixy bring-up does not apply to it.
 */
export const IXGBE_82599_DEVICE_IDS: readonly number[] = [
  0x10f7, // 82599 KX4
  0x1514, // 82599 KX4 mezzanine
  0x1517, // 82599 KR
  0x10f8, // 82599 combo backplane
  0x10f9, // 82599 CX4
  0x10fb, // 82599 SFP
  0x152a, // 82599 backplane FCoE
  0x1529, // 82599 SFP FCoE
  0x1507, // 82599 SFP EM
  0x154d, // 82599 SFP SF2
  0x154a, // 82599 SFP SF QP
  0x1558, // 82599 QSFP SF QP
  0x1557, // 82599EN SFP
  0x10fc, // 82599 XAUI LOM
  0x151c, // 82599 T3 LOM
  0x154f, // 82599 LS
];

/** Whether `deviceId` (with vendor {@link INTEL_VEND}) is an 82599 physical function. */
export function isIxgbe82599(vendorId: number, deviceId: number): boolean {
  return vendorId === INTEL_VEND && IXGBE_82599_DEVICE_IDS.includes(deviceId);
}

/**
 * Size of BAR0 (the register window) the model presents: 512 KiB, as `lspci` shows for 82599ES
 * (X520) adapters; the reference gives "128 KiB or more" (ixgbe-82599.md §1).
 */
export const IXGBE_BAR0_SIZE = 0x80000;
/** Size of the MSI-X BAR (BAR4 on the 82599: vector table at 0, PBA at 0x2000). */
export const IXGBE_MSIX_BAR_SIZE = 0x4000;
/** The MSI-X BAR's index. */
export const IXGBE_MSIX_BAR = 4;
/** MSI-X vector table offset in its BAR (Linux `IXGBE_MSIXT`). */
export const IXGBE_MSIX_TABLE_OFFSET = 0x0000;
/** MSI-X pending-bit array offset in its BAR (Linux `IXGBE_MSIXPBA`). */
export const IXGBE_MSIX_PBA_OFFSET = 0x2000;
/** MSI-X vectors of an 82599 PF (ixgbe-driver src/interrupts.rs: 64). */
export const IXGBE_MSIX_VECTORS = 64;
