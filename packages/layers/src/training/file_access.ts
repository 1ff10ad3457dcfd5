/**
 * The file system, for the few things that write files (weights files, CSVLogger). The Node
 * entry (node.ts) installs Node's; a page has none, and a path there gets an error that says
 * what to use instead (bytes: `saveWeights()` / `loadWeights(bytes)`).
 */

export interface FileAccess {
  /** The bytes of a file. */
  readFile(file: string): Promise<Uint8Array>;
  /** Writes atomically (training/atomic_file.ts); `who` names the caller in errors. */
  writeFileAtomic(file: string, bytes: Uint8Array, who: string): Promise<void>;
  /** Appends text to a file, creating it; `truncate` empties it first. */
  appendText(file: string, text: string, truncate?: boolean): void;
  /** Whether a file exists and is not empty. */
  hasContent(file: string): boolean;
}

let files: FileAccess | null = null;

/** Installs the file system used by weights files and CSVLogger (node.ts installs Node's; null removes it). */
export function setFileAccess(f: FileAccess | null): void {
  files = f;
}

/** The file system, or an error naming `who` and the alternative `instead`. */
export function fileAccess(who: string, instead: string): FileAccess {
  if (files === null) throw new Error(`${who}: file paths need Node's file system, which this platform does not have; ${instead}`);
  return files;
}
