/**
 * Group protocols by config name. Adding a protocol is a new file in this folder and one line
 * here; `protocolAvailable` lets `ferry check` accept a name the running build cannot serve yet.
 */
import { FerryError } from "../errors.js";
import type { GroupConfig } from "../config/schema.js";
import { createFerryGroup } from "./ferry.js";
import { createMongrel2Group } from "./mongrel2.js";
import type { GroupContext, GroupFactory, HandlerGroup } from "./types.js";

const factories: Partial<Record<GroupConfig["protocol"], GroupFactory>> = {
  ferry: createFerryGroup,
  mongrel2: createMongrel2Group,
};

export function protocolAvailable(protocol: string): boolean {
  return Object.hasOwn(factories, protocol);
}

export function createGroup(config: GroupConfig, context: GroupContext): HandlerGroup {
  const factory = factories[config.protocol];
  if (!factory) {
    throw new FerryError(
      "FERRY_UNSUPPORTED",
      `group "${config.name}": protocol "${config.protocol}" is not available in this build`,
    );
  }
  return factory(config, context);
}

export type { GroupContext, GroupFactory, HandlerGroup, GroupStatus } from "./types.js";
