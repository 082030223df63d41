/**
 * Config validation: the schema (every problem, with its path) plus cross-field checks (routes
 * to unknown groups, duplicate names, endpoints bound twice...). The result is deep-frozen.
 */
import type { z } from "zod";
import { ConfigError, type ConfigProblem } from "../errors.js";
import { ConfigSchema, type Config, type GroupConfig, type RawConfig } from "./schema.js";

/** Keys people bring from Mongrel2 or older drafts, with what to write instead. */
const RETIRED_KEYS: Record<string, string> = {
  handlers: 'use "groups" (handler groups by name)',
  send_spec: 'use "requests" (the PUSH endpoint)',
  recv_spec: 'use "replies" (the SUB endpoint)',
  send_ident: "Ferry frontends get a fresh id at each start; remove it",
  port: 'use "listeners": [{ "host": ..., "port": ... }]',
  host: 'use "listeners" or "hosts"',
  servers: 'use "listeners" and "hosts"',
};

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

function schemaProblems(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const hint = Object.hasOwn(RETIRED_KEYS, key) ? `: ${RETIRED_KEYS[key]}` : "";
        problems.push({ path: formatPath([...issue.path, key]), message: `unknown key${hint}` });
      }
      continue;
    }
    problems.push({ path: formatPath(issue.path), message: issue.message });
  }
  return problems;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function arrayAt(obj: Record<string, unknown>, key: string): unknown[] {
  const v = obj[key];
  return Array.isArray(v) ? v : [];
}

/** Checks across fields, run on the raw input so they are listed with the schema's problems. */
function crossFieldProblems(raw: unknown): ConfigProblem[] {
  if (!isObject(raw)) return [];
  const problems: ConfigProblem[] = [];
  const groups = isObject(raw.groups) ? raw.groups : {};

  const hostNames = new Map<string, string>();
  let defaultHost: string | undefined;
  arrayAt(raw, "hosts").forEach((host, h) => {
    if (!isObject(host)) return;
    if (host.default === true) {
      if (defaultHost !== undefined) {
        problems.push({
          path: `hosts[${h}].default`,
          message: `${defaultHost} is already the default host`,
        });
      } else defaultHost = `hosts[${h}]`;
    }
    arrayAt(host, "names").forEach((name, n) => {
      if (typeof name !== "string") return;
      const key = name.toLowerCase();
      const seen = hostNames.get(key);
      if (seen)
        problems.push({
          path: `hosts[${h}].names[${n}]`,
          message: `"${name}" is already listed at ${seen}`,
        });
      else hostNames.set(key, `hosts[${h}].names[${n}]`);
      if (name !== "*" && name.includes("*") && !/^\*\.[^*]+$/.test(name)) {
        problems.push({
          path: `hosts[${h}].names[${n}]`,
          message: 'a wildcard is "*" or "*.domain"',
        });
      }
    });
    const paths = new Map<string, number>();
    arrayAt(host, "routes").forEach((route, r) => {
      if (!isObject(route)) return;
      if (typeof route.path === "string" && route.path.includes("(")) {
        try {
          new RegExp(`^(?:${route.path})`);
        } catch (err) {
          problems.push({
            path: `hosts[${h}].routes[${r}].path`,
            message: `not a valid pattern: ${(err as Error).message}`,
          });
        }
      }
      if (typeof route.path === "string") {
        const norm = route.path.length > 1 ? route.path.replace(/\/+$/, "") : route.path;
        const seen = paths.get(norm);
        if (seen !== undefined) {
          problems.push({
            path: `hosts[${h}].routes[${r}].path`,
            message: `same prefix as routes[${seen}]`,
          });
        } else paths.set(norm, r);
      }
      const target = route.target;
      if (isObject(target) && target.kind === "handler" && typeof target.group === "string") {
        if (!Object.hasOwn(groups, target.group)) {
          const known = Object.keys(groups);
          problems.push({
            path: `hosts[${h}].routes[${r}].target.group`,
            message: `unknown group "${target.group}"${known.length ? ` (groups: ${known.join(", ")})` : ""}`,
          });
        }
      }
    });
  });

  const addresses = new Map<string, string>();
  arrayAt(raw, "listeners").forEach((l, i) => {
    if (!isObject(l) || typeof l.port !== "number" || l.port === 0) return;
    const key = `${typeof l.host === "string" ? l.host : "127.0.0.1"}:${l.port}`;
    const seen = addresses.get(key);
    if (seen)
      problems.push({ path: `listeners[${i}].port`, message: `${key} is already used by ${seen}` });
    else addresses.set(key, `listeners[${i}]`);
  });
  if (isObject(raw.control) && typeof raw.control.port === "number" && raw.control.port !== 0) {
    const key = `${typeof raw.control.host === "string" ? raw.control.host : "127.0.0.1"}:${raw.control.port}`;
    const seen = addresses.get(key);
    if (seen) problems.push({ path: "control.port", message: `${key} is already used by ${seen}` });
  }

  const endpoints = new Map<string, string>();
  const bodyBytes =
    isObject(raw.limits) && typeof raw.limits.bodyBytes === "number"
      ? raw.limits.bodyBytes
      : 8 * 1024 * 1024;
  for (const [name, group] of Object.entries(groups)) {
    if (!isObject(group)) continue;
    for (const socket of ["requests", "replies", "events"]) {
      const ep = group[socket];
      if (typeof ep !== "string") continue;
      const seen = endpoints.get(ep);
      if (seen)
        problems.push({
          path: `groups.${name}.${socket}`,
          message: `${ep} is already bound by ${seen}`,
        });
      else endpoints.set(ep, `groups.${name}.${socket}`);
    }
    if (typeof group.inlineBodyLimit === "number" && group.inlineBodyLimit > bodyBytes) {
      problems.push({
        path: `groups.${name}.inlineBodyLimit`,
        message: `larger than limits.bodyBytes (${bodyBytes})`,
      });
    }
  }
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Validate a parsed JSON value. Throws ConfigError listing every problem. */
export function validateConfig(raw: unknown, file?: string): Config {
  const parsed = ConfigSchema.safeParse(raw);
  const problems = [
    ...(parsed.success ? [] : schemaProblems(parsed.error.issues)),
    ...crossFieldProblems(raw),
  ];
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems, file);
  const data: RawConfig = parsed.data;
  const groups: Record<string, GroupConfig> = {};
  for (const [name, group] of Object.entries(data.groups)) groups[name] = { ...group, name };
  return deepFreeze({ ...data, groups });
}
