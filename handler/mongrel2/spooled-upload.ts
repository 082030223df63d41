/**
 * Request bodies Mongrel2 spooled to a file (`upload.temp_store`, for bodies past
 * `limits.content_length`). The path in `x-mongrel2-upload-done` is Mongrel2's own: when Mongrel2
 * runs chrooted (`chroot="./"` and started as root, as its manual sets it up), it is relative to
 * that directory, so the handler must be told where it is (`chroot`). Mongrel2 never deletes these
 * files; the SDK does, once the request is finished (answered, or its client gone).
 */
import { readFile, unlink } from "node:fs/promises";
import { isAbsolute, resolve, sep } from "node:path";

export class SpoolPathError extends Error {
  readonly code = "ERR_M2_UPLOAD_PATH";
}

/**
 * Where a spooled file is for this process. With `chroot`, Mongrel2's path (absolute inside its
 * chroot, or relative to it) is placed under that directory and must stay inside it.
 */
export function spooledPath(file: string, chroot: string | undefined): string {
  if (chroot === undefined || chroot === "") return file;
  const root = resolve(chroot);
  const full = resolve(root, `.${isAbsolute(file) ? "" : sep}${file}`);
  if (full !== root && !full.startsWith(root + sep))
    throw new SpoolPathError(`upload file ${JSON.stringify(file)} is outside the chroot ${root}`);
  return full;
}

export function readSpooled(file: string, chroot: string | undefined): Promise<Buffer> {
  return readFile(spooledPath(file, chroot));
}

/** Delete a spooled file; one already gone (or never made) is not an error. */
export async function deleteSpooled(file: string, chroot: string | undefined): Promise<void> {
  try {
    await unlink(spooledPath(file, chroot));
  } catch {
    // gone already, or not ours to delete: nothing more to do
  }
}
