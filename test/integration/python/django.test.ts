/**
 * examples/django (Debian's python3-django) through a real frontend, loaded the standard way
 * (`ferrysite.wsgi:application`): the integration table.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import { ROOT, stopAll, type Proc } from "../../support/processes.js";
import { tempDir } from "../../support/tmp.js";
import { startFrontend, startPython, waitServed, type Frontend } from "./harness.js";
import { integrationTable } from "./table.js";

const dir = tempDir();
let frontend: Frontend;
let handler: Proc;

beforeAll(async () => {
  frontend = await startFrontend(dir.path);
  handler = await startPython(["ferrysite.wsgi:application"], frontend.endpoints, {
    pythonPath: [join(ROOT, "examples/django")],
    workers: 2,
  });
  await waitServed(`${frontend.url}/app/hello`);
}, 40_000);

afterAll(async () => {
  await stopAll();
  dir.cleanup();
});

describe("Django app through Ferry", () => {
  integrationTable(
    () => frontend.url,
    () => handler.output(),
    { pathInfo: "django" },
  );
});
