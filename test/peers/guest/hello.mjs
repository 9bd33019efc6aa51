import { readFileSync } from "node:fs";

const t0 = performance.now();
console.log(`AXPEER-LOG node ${process.version} up`);
const dev = "/sys/bus/pci/devices/0000:00:03.0";
const cfg = readFileSync(`${dev}/config`);
console.log(
  `AXPEER-LOG vendor ${cfg.readUInt16LE(0).toString(16)} device ${cfg.readUInt16LE(2).toString(16)} cfgsize ${cfg.length}`,
);
const t1 = performance.now();
const koffi = (await import("koffi")).default;
console.log(
  `AXPEER-LOG koffi ${koffi.version} in ${(performance.now() - t1).toFixed(0)} ms; total ${(performance.now() - t0).toFixed(0)} ms`,
);
