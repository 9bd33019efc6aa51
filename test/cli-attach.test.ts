// `axdriver attach`: argument checking and the safety refusals. The real attach path (a device inside a
// QEMU guest) is proven by test/peers; nothing here opens a device of the machine running the tests.
import { describe, expect, it } from "vitest";
import { cli } from "./cli-fixture.js";

describe("axdriver attach", () => {
  it.each([
    [["attach"], /missing required argument 'bdf'/],
    [
      ["attach", "00:03.0", "--job", "flood"],
      /^axdriver: --job must be one of echo, pktgen \(got 'flood'\)$/,
    ],
    [["attach", "00:03.0", "--dma", "swap"], /--dma must be one of auto, hugepage, locked/],
    [["attach", "00:03.0", "--job", "pktgen"], /--job pktgen needs --count N/],
    [["attach", "00:03.0", "--frame-size", "2000"], /frame size must be 60\.\.1514/],
    [["attach", "00:03.0", "--drivers", "e1000"], /no driver 'e1000' \(have: virtio-net, ixgbe, fxmac\)/],
  ])("%j is a usage error: one line, exit 2", async (args, msg) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(msg);
  });

  it("refuses an address that is not a PCI address, in one line, exit 1", async () => {
    const r = await cli(["attach", "eth0"]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      "axdriver: attach eth0: Invalid parameter: 'eth0' is not a PCI address (expected DDDD:BB:DD.F or BB:DD.F)",
    ]);
  });

  it("refuses a function that does not exist, opening nothing", async () => {
    const r = await cli(["attach", "0000:7f:1f.7"]);
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(
      /^axdriver: attach 0000:7f:1f\.7: .*refusing 0000:7f:1f\.7: no such PCI function/,
    );
  });
});
