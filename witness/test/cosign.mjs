// A cosignature made by the app's code (for tests/test_witness_cosign.py):
//   node test/cosign.mjs <checkpoint text> <time>  ->  {"line", "verifier_key"} on stdout
import { newSecretKey, publicKeyOf, sign } from "../src/ed25519.js";
import { COSIGNATURE_TYPE, cosignatureLine, cosignedMessage, verifierKey } from "../src/format.js";

const [checkpoint, time] = process.argv.slice(2);
const secret = newSecretKey();
const pub = publicKeyOf(secret);
const name = "saksi/uji";
const line = cosignatureLine(name, pub, Number(time), sign(cosignedMessage(checkpoint, Number(time)), secret));
process.stdout.write(JSON.stringify({ line, verifier_key: verifierKey(name, pub, COSIGNATURE_TYPE) }));
