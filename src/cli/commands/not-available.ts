import { CommandFailed } from "../io.js";

/** Ends a command whose drivers are not there yet: one line, exit code 1. */
export function notAvailableYet(command: string): never {
  throw new CommandFailed(
    `${command} is not available yet: the virtio-net, ixgbe and fxmac drivers are still being built`,
  );
}
