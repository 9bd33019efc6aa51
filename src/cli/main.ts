// The axdriver command. Until the drivers exist, `demo` describes what it will do.
const cmd = process.argv[2] ?? "demo";
if (cmd === "demo") {
  console.log("axdriver demo (emulated machine)");
  console.log("  will build a machine with one virtio-net, one Intel 82599 and one Phytium FXMAC,");
  console.log("  probe it, join the NICs by wires, send traffic across all of them with live stats,");
  console.log("  and check every frame for arrival and integrity.");
  console.log("  The drivers are being built; see the README's device table for what works today.");
} else {
  console.error(`axdriver: unknown command '${cmd}'`);
  process.exit(2);
}
