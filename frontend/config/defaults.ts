/** The built-in config: what `ferry frontend` serves with no config file. */
export const DEFAULT_CONFIG = {
  name: "ferry",
  listeners: [{ host: "127.0.0.1", port: 6767 }],
  hosts: [{ names: ["*"], routes: [{ path: "/", target: { kind: "handler", group: "default" } }] }],
  groups: {
    default: {
      protocol: "ferry",
      requests: "tcp://127.0.0.1:9997",
      replies: "tcp://127.0.0.1:9996",
      events: "tcp://127.0.0.1:9998",
    },
  },
} as const;

/** Environment variables that override the config (for containers). See docs/config.md. */
export const ENV_VARS = {
  FERRY_CONFIG: "config file to load when --config is not given",
  FERRY_HOST: "listeners[0].host",
  FERRY_PORT: "listeners[0].port",
  FERRY_REQUESTS: "requests endpoint of the first group",
  FERRY_REPLIES: "replies endpoint of the first group",
  FERRY_EVENTS: "events endpoint of the first group",
} as const;
