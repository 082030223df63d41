/** The byte-exact captures among the Mongrel2 vectors, by their capture name. */
import { validVectors } from "./vector-values.js";

const byName = new Map(validVectors().map((v) => [v.name, Buffer.from(v.hex, "hex")]));

export function capture(namePrefix: string): Buffer {
  for (const [name, bytes] of byName) if (name.startsWith(namePrefix)) return bytes;
  throw new Error(`no vector named ${namePrefix}`);
}

export const UUID = "54c6755b-9628-40a4-9a2d-cc82a816345e";
export const TNET_UUID = "34f9ceee-cd52-4b7f-b197-88bf2f0ec378";
