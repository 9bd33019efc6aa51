/**
 * What the traffic commands run on: a board (the emulated machine with its NICs), probed through the
 * platform flow (BAR assignment, driver selection, bring-up), each board NIC paired with the driver that
 * claimed it.
 */
import { DevError } from "../base/dev-error.js";
import { FXmacNic } from "../drivers/fxmac/index.js";
import { IxgbeNic, MEM_POOL_ENTRY_SIZE } from "../drivers/ixgbe/index.js";
import { VirtIoNetDev } from "../drivers/virtio/index.js";
import {
  type Board,
  type BoardNic,
  type BoardNicLocation,
  type BoardNicSpec,
  boardLinkUp,
  boardRamSize,
  buildBoard,
} from "../emu/board.js";
import type { NetDriverOps } from "../net/net-driver-ops.js";
import { type DeviceLocation, formatLocation, type ProbedDevice } from "../platform/device-container.js";
import { formatProbeTree, type ProbeResult, probeAllDevices } from "../platform/probe.js";
import { driverEntries, ixgbePoolEntries } from "./drivers.js";
import { CommandFailed } from "./io.js";

/** A board NIC and the driver the probe brought up on it. */
export interface RigNic {
  /** The NIC on the board (model, port, MAC, location). */
  readonly board: BoardNic;
  /** What the probe registered for it. */
  readonly probed: ProbedDevice;
  /** The driver instance. */
  readonly dev: NetDriverOps;
}

/** A probed board. */
export interface Rig {
  readonly board: Board;
  readonly probe: ProbeResult;
  /** One entry per board NIC, in board order. */
  readonly nics: readonly RigNic[];
}

/** What {@link buildRig} takes besides the NICs. */
export interface RigOptions {
  /** Queue size for every driver (and the virtio devices); default: each driver's own default. */
  queueSize?: number;
}

/** The probe's name for where a board NIC sits (`00:01.0`, `virtio-mmio@0xa000000`, ...). */
export function boardLocationKey(loc: BoardNicLocation): string {
  switch (loc.bus) {
    case "pci":
      return loc.bdf.toString();
    case "mmio":
      return formatLocation({ bus: "mmio", base: loc.base, size: loc.size });
    case "platform":
      return formatLocation(loc as DeviceLocation);
  }
}

/** RAM for a board whose drivers use `queueSize` (ixgbe's pool grows with big queues). */
function ramFor(specs: readonly BoardNicSpec[], queueSize: number | undefined): number {
  let bytes = boardRamSize(specs, queueSize ?? 256);
  if (queueSize !== undefined) {
    for (const s of specs) {
      if (s.kind === "ixgbe") bytes += ixgbePoolEntries(queueSize) * MEM_POOL_ENTRY_SIZE;
    }
  }
  return bytes;
}

/**
 * Builds a board with `specs`, probes it with the platform flow and pairs each NIC with its driver.
 * A probe failure or a NIC no driver claimed ends the command (exit code 1) with the reason.
 */
export function buildRig(specs: readonly BoardNicSpec[], opts: RigOptions = {}): Rig {
  const qs = opts.queueSize;
  const withQs = specs.map((s) =>
    qs !== undefined && s.queueSize === undefined && s.kind.startsWith("virtio")
      ? { ...s, queueSize: qs }
      : s,
  );
  const board = buildBoard({ nics: withQs, ramSize: ramFor(withQs, qs) });
  const m = board.machine;
  const probe = probeAllDevices({ hal: m.hal, config: m.config, drivers: driverEntries(qs) });
  if (probe instanceof DevError) throw new CommandFailed(`probe failed: ${probe.message}`);
  const f = probe.failures[0];
  if (f !== undefined) {
    throw new CommandFailed(
      `${f.driver ?? "probe"} failed at ${formatLocation(f.location)}: ${f.error.message}`,
    );
  }
  const byLocation = new Map<string, ProbedDevice>();
  for (const d of probe.devices.net) byLocation.set(formatLocation(d.location), d);
  const nics = board.nics.map((b) => {
    const where = boardLocationKey(b.location);
    const probed = byLocation.get(where);
    if (probed === undefined) throw new CommandFailed(`no driver claimed ${b.label} at ${where}`);
    return { board: b, probed, dev: probed.device };
  });
  return { board, probe, nics };
}

/** The driver's view of the link: `up 10000 Mbit/s`, `up 1000 Mb/s full duplex`, `up`, `down`. */
export function driverLink(dev: NetDriverOps): string {
  if (dev instanceof VirtIoNetDev) return dev.linkUp() ? "up" : "down";
  if (dev instanceof IxgbeNic) {
    const s = dev.linkSpeed();
    return s > 0 ? `up ${s} Mbit/s` : "down";
  }
  if (dev instanceof FXmacNic) {
    return dev.linkUp()
      ? `up ${dev.link.speed} Mbit/s ${dev.link.fullDuplex ? "full" : "half"} duplex`
      : "down";
  }
  return "unknown";
}

/** One line per NIC: name, kind, where, driver, MAC, queue sizes, link (driver's and model's view). */
export function deviceLines(rig: Rig): string[] {
  const rows = rig.nics.map((n, i) => [
    `net${i}`,
    n.board.label,
    boardLocationKey(n.board.location),
    `${n.probed.driver} (${n.dev.deviceName()})`,
    n.dev.macAddress().toString(),
    `rx ${n.dev.rxQueueSize()} tx ${n.dev.txQueueSize()}`,
    `link ${driverLink(n.dev)}${boardLinkUp(n.board) ? "" : " (model: down)"}`,
  ]);
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => r[c]!.length))) ?? [];
  return rows.map((r) => `  ${r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join("  ")}`);
}

/** The probe tree and the device list, as `axdriver probe` prints them. */
export function rigReport(rig: Rig): string[] {
  return [...formatProbeTree(rig.probe), `devices (${rig.nics.length}):`, ...deviceLines(rig)];
}
