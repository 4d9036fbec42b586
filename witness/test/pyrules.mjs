// The app's ports of Python's int(), str.split(), str.strip() and base64.b64decode() on a JSON list
// of [function, text] pairs (for tests/test_witness_agreement.py): node test/pyrules.mjs cases.json
import { readFileSync } from "node:fs";
import { pyB64decode, pyInt, splitWhite, strip } from "../src/pyrules.js";

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const run = {
  int: (s) => pyInt(s).toString(),
  split: (s) => splitWhite(s),
  strip: (s) => strip(s),
  b64: (s) => hex(pyB64decode(s, false)),
  b64strict: (s) => hex(pyB64decode(s, true)),
};
const out = JSON.parse(readFileSync(process.argv[2], "utf8")).map(([fn, s]) => {
  try {
    return run[fn](s);
  } catch {
    return null;
  }
});
process.stdout.write(JSON.stringify(out));
