export * from "./kinds.js";
export * from "./types.js";
export * from "./errors.js";
export * from "./limits.js";
export * from "./wire-errors.js";
export * from "./codec.js";
export { ToFrontendSchema, ToHandlerSchema, type FieldSpec, type FieldType } from "./schema.js";
export * from "./frames.js";
