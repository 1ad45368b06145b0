// Copies YASGUI's built files from node_modules into kg/server/static/vendor/, so the query page
// serves them itself (no CDN). Run by `npm run vendor` (from .ci/run, or by hand after `npm ci`).
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const src = path.join(root, "node_modules", "@zazuko", "yasgui", "build");
const dest = path.join(root, "kg", "server", "static", "vendor");
fs.mkdirSync(dest, { recursive: true });
for (const name of ["yasgui.min.js", "yasgui.min.css"]) {
  fs.copyFileSync(path.join(src, name), path.join(dest, name));
}
const pkg = require(path.join(root, "node_modules", "@zazuko", "yasgui", "package.json"));
fs.writeFileSync(path.join(dest, "VERSION"), `@zazuko/yasgui ${pkg.version} (${pkg.license})\n`);
console.log(`vendored @zazuko/yasgui ${pkg.version} into ${path.relative(root, dest)}`);
