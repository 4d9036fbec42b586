// The JavaScript verifier against every ```vector block of docs/results-statement.md.
// Run: node test/vectors.mjs [path/to/results-statement.md] [--noble]; exit status 1 on any failure.
import { readFileSync } from "node:fs";
import { useBackend } from "../src/ed25519.js";
import { b64encode, joinParts, openOpening, openStatement } from "../src/format.js";

const args = process.argv.slice(2);
if (args.includes("--noble")) useBackend("noble");
const doc = args.find((a) => !a.startsWith("--")) ?? new URL("../../docs/results-statement.md", import.meta.url);
const text = readFileSync(doc, "utf8");
const blocks = [...text.matchAll(/^```vector ([\w.-]+)\n([\s\S]*?)^```$/gm)];
let failures = 0;

function fields(body) {
  const out = {};
  for (const line of body.split("\n")) {
    if (!line.trim()) continue;
    const at = line.indexOf(":");
    out[line.slice(0, at).trim()] = JSON.parse(line.slice(at + 1));
  }
  return out;
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function outcome(name, v) {
  if (v.parts) {
    const joined = joinParts(v.parts);
    if (v.text !== undefined && joined !== v.text) throw new Error("joined text differs");
    const reversed = joinParts([...v.parts].reverse());
    if (reversed !== joined) throw new Error("order matters");
    return {};
  }
  if (name.startsWith("opening")) {
    const o = await openOpening(v.text);
    return {
      election: o.electionId, tps: o.tps, "verifier-key": o.verifierKey, "log-size": Number(o.logSize),
      "log-root": b64encode(o.logRoot), candidates: o.candidates.map(([n, c]) => [Number(n), c]), signer: o.signer,
    };
  }
  const s = await openStatement(v.text, v["verifier-key"]);
  return {
    election: s.electionId, tps: s.tps, "log-size": Number(s.logSize), "log-root": b64encode(s.logRoot),
    tally: Object.fromEntries([...s.tally].map(([k, n]) => [k, Number(n)])), total: Number(s.total),
    balanced: s.balanced, signer: s.signer,
  };
}

for (const [, name, body] of blocks) {
  const v = fields(body);
  let got;
  try {
    got = await outcome(name, v);
  } catch (e) {
    if (v.expect === "fail" && e.reason === v.reason) {
      console.log(`ok   ${name}: refused (${e.reason})`);
    } else {
      failures++;
      console.log(`FAIL ${name}: refused (${e.reason}: ${e.message}), expected ${v.expect} ${v.reason ?? ""}`);
    }
    continue;
  }
  if (v.expect !== "ok") {
    failures++;
    console.log(`FAIL ${name}: accepted, expected refusal ${v.reason}`);
    continue;
  }
  const wrong = Object.entries(got).filter(([k, val]) => k in v && !same(v[k], val)).map(([k]) => k);
  if (wrong.length) {
    failures++;
    console.log(`FAIL ${name}: fields differ: ${wrong.join(", ")}`);
  } else {
    console.log(`ok   ${name}: accepted`);
  }
}
console.log(`${blocks.length} vectors, ${failures} failures`);
if (blocks.length === 0 || failures) process.exit(1);
