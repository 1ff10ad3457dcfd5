var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));

// ../../tmp/webdbg.ts
var path2 = __toESM(require("path"));
var fs2 = __toESM(require("fs"));

// tests/support/browser.ts
var esbuild = __toESM(require("esbuild"));
var fs = __toESM(require("fs"));
var http = __toESM(require("http"));
var import_child_process = require("child_process");
var path = __toESM(require("path"));
var import_readline = require("readline");
var root = path.resolve(__dirname, "..", "..");
var STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:";
var neutralAlias = Object.fromEntries(
  ["tensor", "autograd", "layers", "datasets"].map((p) => [`@seqlab/${p}`, path.join(root, "packages", p, "src", "index.ts")])
);
function bundle(entries, outdir, minify = true) {
  const r = esbuild.buildSync({
    entryPoints: entries,
    outdir,
    bundle: true,
    minify,
    format: "iife",
    platform: "browser",
    target: "es2021",
    alias: { ...neutralAlias, "@seqlab/layers/worker": path.join(root, "packages", "layers", "src", "worker.ts") },
    metafile: true,
    logLevel: "error"
  });
  return Object.fromEntries(Object.entries(r.metafile.outputs).map(([f, o]) => [path.basename(f), o.bytes]));
}
var TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".txt": "text/plain", ".map": "application/json" };
function serve(dir, options = {}) {
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const headers = {};
    if (options.isolated) {
      headers["Cross-Origin-Opener-Policy"] = "same-origin";
      headers["Cross-Origin-Embedder-Policy"] = "require-corp";
    }
    if (options.csp) headers["Content-Security-Policy"] = options.csp;
    const extra = options.extra?.(p) ?? null;
    if (extra !== null) {
      res.writeHead(200, { ...headers, "Content-Type": TYPES[path.extname(p)] ?? "application/octet-stream" });
      res.end(extra);
      return;
    }
    const file = path.join(dir, p === "/" ? "index.html" : p);
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404, headers);
      res.end("not found");
      return;
    }
    res.writeHead(200, { ...headers, "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve2) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve2({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
async function launch(executablePath) {
  const child = (0, import_child_process.spawn)(process.execPath, [path.join(__dirname, "browser_driver.mjs"), executablePath], { stdio: ["pipe", "pipe", "inherit"] });
  const waiting = /* @__PURE__ */ new Map();
  let ready;
  const started = new Promise((r) => ready = r);
  (0, import_readline.createInterface)({ input: child.stdout }).on("line", (line) => {
    const m = JSON.parse(line);
    if (m.ready) return ready();
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== void 0) w?.reject(new Error(m.error));
    else w?.resolve(m.result);
  });
  child.on("exit", (code) => {
    for (const w of waiting.values()) w.reject(new Error(`the browser driver exited (${code})`));
  });
  await started;
  let next = 0;
  const send = (c) => new Promise((resolve2, reject) => {
    const id = next++;
    waiting.set(id, { resolve: resolve2, reject });
    child.stdin.write(JSON.stringify({ ...c, id }) + "\n");
  });
  return {
    async open(url, size) {
      const page = await send({ op: "open", url, ...size });
      return {
        evaluate: (fn, arg) => send({ op: "evaluate", page, fn: fn.toString(), arg }),
        screenshot: (file) => send({ op: "screenshot", page, file })
      };
    },
    errors: () => send({ op: "errors" }),
    close: async () => {
      await send({ op: "close" }).catch(() => void 0);
    }
  };
}

// ../../tmp/webdbg.ts
setTimeout(() => process.exit(3), 45e3);
(async () => {
  const dir = "/tmp/webdbg";
  fs2.mkdirSync(dir, { recursive: true });
  bundle({ page: "/work/wt-web/tests/browser/page.ts", worker: "/work/wt-web/tests/browser/worker.ts" }, dir, false);
  fs2.writeFileSync(path2.join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><title>seqlab</title><link rel="icon" href="data:,"><p id="progress"></p><script src="page.js"></script>');
  const server = await serve(dir, { isolated: true, csp: STRICT_CSP });
  const b = await launch("/usr/bin/chromium");
  const page = await b.open(server.url + "/");
  console.log("isolated", await page.evaluate(() => window.seqlab.isolated()));
  console.log("manual", await page.evaluate(() => new Promise((resolve2) => {
    const ev = [];
    const w = new Worker("worker.js", { name: "x" });
    w.onmessage = (e) => ev.push("msg " + JSON.stringify(e.data));
    w.onerror = (e) => ev.push("err " + e.message);
    w.onmessageerror = (e) => ev.push("msgerr");
    w.postMessage({ ctrl: new SharedArrayBuffer(8) });
    setTimeout(() => resolve2(ev), 3e3);
  })));
  console.log("workers", await Promise.race([page.evaluate(() => window.seqlab.useWorkers(2)), new Promise((r) => setTimeout(() => r("timeout"), 5e3))]));
  await page.evaluate(() => window.seqlab.debug());
  await new Promise((r) => setTimeout(r, 500));
  await page.evaluate(() => window.seqlab.debug());
  const o = { kernels: "wasm", batch: 64, time: 16, units: 32, epochs: 1, samples: 64 };
  console.log("train", await Promise.race([page.evaluate((a) => window.seqlab.train(a).then((r) => r.losses), o), new Promise((r) => setTimeout(() => r("timeout"), 2e4))]));
  console.log("errors", await b.errors());
  process.exit(0);
})();
