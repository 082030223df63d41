// Lint rules that guard the architecture, not just style: protocol/ stays pure, and only one file
// per side talks to zeromq, so everything else can be tested with an in-memory transport.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "handler/python/", "bench/results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        setImmediate: "readonly",
        URL: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["protocol/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "zeromq", message: "protocol/ is pure: no sockets." },
            { name: "node:net", message: "protocol/ is pure: no sockets." },
            { name: "node:fs", message: "protocol/ is pure: no I/O." },
          ],
          patterns: ["../frontend/*", "../handler/*"],
        },
      ],
      "no-restricted-globals": ["error", "setTimeout", "setInterval", "setImmediate"],
    },
  },
  {
    files: ["frontend/**/*.ts"],
    ignores: ["frontend/transport/zmq.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: ["zeromq"], patterns: ["../handler/*", "../../handler/*"] },
      ],
    },
  },
  {
    files: ["handler/**/*.ts"],
    ignores: ["handler/transport/zmq.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: ["zeromq"], patterns: ["../frontend/*", "../../frontend/*"] },
      ],
    },
  },
);
