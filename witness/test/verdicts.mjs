// The JavaScript verdicts on a JSON file of cases (for tests/test_witness_agreement.py):
//   node test/verdicts.mjs cases.json [--noble]  ->  one JSON array of outcomes on stdout
// Each case: {kind: "results", text, verifier_key, pin} or {kind: "opening", text}.
import { readFileSync } from "node:fs";
import { useBackend } from "../src/ed25519.js";
import { b64encode, openOpening, openStatement } from "../src/format.js";
import { checkResults, pinFromOpening } from "../src/check.js";

const [file, ...flags] = process.argv.slice(2);
if (flags.includes("--noble")) useBackend("noble");
const cases = JSON.parse(readFileSync(file, "utf8"));

const statementJson = (s) => ({
  election: s.electionId, tps: s.tps, log_size: s.logSize.toString(), log_root: b64encode(s.logRoot),
  tally: [...s.tally].map(([k, v]) => [k, v.toString()]), total: s.total.toString(), balanced: s.balanced, signer: s.signer,
});

const pinOf = (p) => p && {
  verifierKey: p.verifier_key, electionId: p.election_id ?? null, tps: p.tps ?? null,
  logSize: p.log_size === undefined || p.log_size === null ? null : String(p.log_size),
  candidates: p.candidates ? p.candidates.map(([n, name]) => [String(n), name]) : null,
};

async function outcome(c) {
  if (c.kind === "opening") {
    try {
      const o = await openOpening(c.text);
      const pin = await pinFromOpening(c.text);
      return { ok: true, opening: { election: o.electionId, tps: o.tps, verifier_key: o.verifierKey, log_size: o.logSize.toString(),
        log_root: b64encode(o.logRoot), candidates: o.candidates.map(([n, name]) => [n.toString(), name]), signer: o.signer },
      pin_candidates: pin.candidates };
    } catch (e) {
      if (e.reason === undefined) throw e;
      return { ok: false, reason: e.reason };
    }
  }
  let statement = null;
  let reason = null;
  try {
    statement = statementJson(await openStatement(c.text, c.verifier_key));
  } catch (e) {
    if (e.reason === undefined) throw e;
    reason = e.reason;
  }
  const v = await checkResults(c.text, pinOf(c.pin));
  return { ok: statement !== null, reason, statement, verdict: [v.ok, v.reason] };
}

const out = [];
for (const c of cases) out.push(await outcome(c));
process.stdout.write(JSON.stringify(out));
