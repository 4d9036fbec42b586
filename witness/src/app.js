// The saksi app: scan, verify, keep the record, compare with the recap, cosign.  Everything runs
// on the phone; the only network request it ever makes is the recap comparison the witness asks for.
import { readBarcodes, setZXingModuleOverrides } from "zxing-wasm/reader";
import { whichBackend, newSecretKey, publicKeyOf, sign } from "./ed25519.js";
import {
  FormatError, b64encode, canonicalB64, checkpointBody, cosignatureLine, cosignedMessage, hexOf, joinParts,
  originFor, parseVerifierKey, partHeader, verifierKey, OPENING_HEADER, RESULTS_HEADER, COSIGNATURE_TYPE,
} from "./format.js";
import { checkResults, pinFromOpening } from "./check.js";
import { BLANK, CANDIDATE, OPENING_REFUSALS, PARTS, REASONS, SHORT, TOTAL } from "./words.js";
import { sha256 } from "@noble/hashes/sha2.js";

const STORE = "booth-saksi-v1";
const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};
const bi = (words, tag = "span") => el(tag, {}, words[0], el("span", { class: "en" }, words[1]));

// --- the record on the phone ----------------------------------------------------

// IndexedDB, not localStorage: a write is on disk when its transaction completes, so a scan is
// kept even if the phone kills the browser right after it.
const EMPTY = () => ({ format: "booth-saksi-record-v1", pin: null, events: [], cosigner: null, lastValid: null });
let db = null;
function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open("booth-saksi", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("record");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
async function load() {
  try {
    db = await openDb();
    const stored = await new Promise((resolve, reject) => {
      const get = db.transaction("record").objectStore("record").get(STORE);
      get.onsuccess = () => resolve(get.result);
      get.onerror = () => reject(get.error);
    });
    if (stored && Array.isArray(stored.events)) return stored;
  } catch { /* private mode or a damaged record: start again rather than break the app */ }
  return EMPTY();
}
let state = EMPTY();
let saving = Promise.resolve();
function save() {
  if (!db) return saving;
  const snapshot = JSON.parse(JSON.stringify(state));
  saving = saving.then(() => new Promise((resolve) => {
    const tx = db.transaction("record", "readwrite", { durability: "strict" });
    tx.objectStore("record").put(snapshot, STORE);
    tx.oncomplete = () => { document.body.dataset.saved = String(state.events.length); resolve(); };
    tx.onerror = tx.onabort = () => resolve();
  }));
  return saving;
}
const now = () => new Date().toISOString();
function remember(event) {
  state.events.push({ at: now(), ...event });
  save();
  renderRecord();
}

// --- small formats for the screen -------------------------------------------------

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export function shortId(hex) {
  if (!/^[0-9a-f]{16}/.test(hex)) return hex;
  const bits = BigInt("0x" + hex.slice(0, 16)) >> 4n;
  let s = "";
  for (let k = 11; k >= 0; k--) s += CROCKFORD[Number((bits >> BigInt(5 * k)) & 31n)];
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}`;
}
const fingerprint = (name) => name.replace(/^booth\//, "").toUpperCase().match(/.{1,4}/g).join("-");

// --- screens -----------------------------------------------------------------------

function renderPin() {
  const box = $("pin");
  box.replaceChildren();
  const pin = state.pin;
  if (!pin) {
    box.className = "card pin pin-none";
    box.append(bi(["Belum ada perangkat yang dipin. Saat pembukaan, pindai QR Laporan Nol.",
      "No device pinned yet. At opening, scan the zero report's QR."], "p"));
    return;
  }
  box.className = "card pin pin-ok";
  const dl = el("dl");
  const row = (words, value, cls) => dl.append(bi(words, "dt"), el("dd", cls ? { class: cls } : {}, value));
  box.append(el("h2", {}, pin.source === "opening" ? "Dipin dari Laporan Nol" : "Dipin dari kunci yang diketik",
    el("span", { class: "en" }, pin.source === "opening" ? "Pinned from the zero report" : "Pinned from a typed key")));
  if (pin.tps) row(["TPS", "Polling place"], pin.tps);
  if (pin.electionId) row(["ID pemilihan", "Election ID"], shortId(pin.electionId), "short");
  row(["Sidik jari perangkat", "Device fingerprint"], fingerprint(pin.signer), "short");
  if (pin.logSize !== undefined && pin.logSize !== null) row(["Log saat pembukaan", "Log at opening"], `${pin.logSize}`);
  if (pin.candidates) {
    const list = el("ol", { class: "cands" });
    for (const [n, name] of pin.candidates) list.append(el("li", {}, `${n}. ${name}`));
    dl.append(bi(["Calon", "Candidates"], "dt"), el("dd", {}, list));
  }
  box.append(dl, bi(["Cocokkan dengan kertas Laporan Nol di depan Anda.", "Compare with the printed zero report in front of you."], "p"));
}

function showVerdict(kind, title, reason, extra = [], code = kind) {
  const box = $("verdict");
  box.hidden = false;
  box.className = `verdict ${kind}`;
  const because = bi(reason, "p");
  because.className = "reason";
  box.replaceChildren(el("p", { class: "big", "data-verdict": kind }, title[0], el("span", { class: "en" }, title[1])),
    because, ...extra);
  box.dataset.reason = code;
  box.dataset.shownAt = String(performance.now());
  box.scrollIntoView({ block: "start" });
}

function tallyTable(statement, pin) {
  const names = new Map((pin && pin.candidates) || []);
  const table = el("table", { class: "tally" });
  for (const [k, v] of statement.tally) {
    const label = k === "blank" ? bi(BLANK) : el("span", {}, `${CANDIDATE[0]} ${k}${names.has(k) ? " · " + names.get(k) : ""}`);
    table.append(el("tr", {}, el("td", {}, label), el("td", { class: "n" }, v.toString())));
  }
  table.append(el("tr", {}, el("th", {}, bi(TOTAL)), el("td", { class: "n" }, statement.total.toString())));
  return table;
}

const statementJson = (s) => ({
  election_id: s.electionId, tps: s.tps, log_size: s.logSize.toString(), log_root: b64encode(s.logRoot),
  tally: Object.fromEntries([...s.tally].map(([k, v]) => [k, v.toString()])), total: s.total.toString(),
  balanced: s.balanced, signer: s.signer,
});

// --- what a scanned text means ------------------------------------------------------

async function handleText(text) {
  if (text.startsWith(OPENING_HEADER)) return handleOpening(text);
  if (text.startsWith(RESULTS_HEADER) || text.includes("\n\n\u2014 ")) return handleResults(text);
  showVerdict("tidak", ["TIDAK SAH", "NOT VALID"], ["QR ini bukan laporan booth.", "This QR is not a booth report."], [], "other-qr");
  remember({ kind: "other-qr", text: text.slice(0, 200) });
}

async function handleOpening(text) {
  let pin;
  try {
    pin = await pinFromOpening(text);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    showVerdict("tidak", ["TIDAK SAH", "NOT VALID"], OPENING_REFUSALS[e.reason] || OPENING_REFUSALS.format, [], `opening-${e.reason}`);
    remember({ kind: "opening", ok: false, reason: e.reason, text });
    return;
  }
  const replaced = state.pin && (state.pin.verifierKey !== pin.verifierKey || state.pin.electionId !== pin.electionId);
  state.pin = pin;
  save();
  renderPin();
  showVerdict("sah", ["LAPORAN NOL SAH", "ZERO REPORT VALID"],
    [`Perangkat TPS ${pin.tps} dipin${replaced ? " (menggantikan yang lama)" : ""}. Di penutupan, pindai Berita Acara Hasil.`,
      `The device of polling place ${pin.tps} is pinned${replaced ? " (replacing the previous one)" : ""}. At the close, scan the results report.`],
    [el("div", { class: "meta" }, `ID ${shortId(pin.electionId)} · log ${pin.logSize}`)], "opening-ok");
  remember({ kind: "opening", ok: true, tps: pin.tps, election_id: pin.electionId, verifier_key: pin.verifierKey, log_size: pin.logSize, text });
}

async function handleResults(text) {
  const v = await checkResults(text, state.pin);
  const extra = [];
  if (v.statement) {
    extra.push(tallyTable(v.statement, state.pin));
    extra.push(el("div", { class: "meta" }, `TPS ${v.statement.tps} · ID ${shortId(v.statement.electionId)} · log ${v.statement.logSize} · ${b64encode(v.statement.logRoot).slice(0, 16)}…`));
  }
  if (v.ok) {
    showVerdict("sah", ["SAH", "VALID"], REASONS.ok, extra, "ok");
    state.lastValid = { ...statementJson(v.statement), text, at: now() };
    $("cosign").disabled = false;
  } else {
    showVerdict("tidak", ["TIDAK SAH", "NOT VALID"], REASONS[v.reason] || REASONS.malformed, extra, v.reason);
  }
  remember({ kind: "results", ok: v.ok, reason: v.reason, statement: v.statement ? statementJson(v.statement) : null, text });
}

// --- QR parts: "B1 i/n h" payloads collected until the text is whole ------------------

let parts = new Map(); // payload -> header, for one text at a time
function partsStatus(words, cls = "status parts") {
  const status = $("scan-status");
  status.className = cls;
  status.replaceChildren(bi(words));
}

async function handlePayload(payload) {
  let header;
  try {
    header = partHeader(payload);
  } catch (e) {
    partsStatus(PARTS["bad-header"]);
    return false;
  }
  if (header === null) {
    parts = new Map();
    await handleText(payload);
    return true;
  }
  const first = parts.values().next().value;
  if (first && (first.n !== header.n || first.h !== header.h)) {
    parts = new Map();
    partsStatus(PARTS.mixed);
  }
  parts.set(payload, header);
  let text;
  try {
    text = joinParts(parts.keys());
  } catch (e) {
    if (e.reason === "missing") {
      const have = [...new Set([...parts.values()].map((p) => p.i))].sort((a, b) => a - b);
      partsStatus([`Bagian ${have.join(", ")} dari ${e.n} terpindai — pindai bagian ${e.missing.join(", ")}.`,
        `Part ${have.join(", ")} of ${e.n} scanned — scan part ${e.missing.join(", ")}.`]);
      return false;
    }
    parts = new Map();
    partsStatus(PARTS[e.reason] || PARTS.hash);
    return false;
  }
  parts = new Map();
  partsStatus(["Semua bagian QR terpindai.", "Every QR part scanned."], "status");
  await handleText(text);
  return true;
}

// --- the camera and photos ------------------------------------------------------------

setZXingModuleOverrides({
  locateFile: (path, prefix) => (path.endsWith(".wasm") ? new URL("zxing_reader.wasm", document.baseURI).href : prefix + path),
});
const READER = { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 4, textMode: "Plain" };
const utf8 = new TextDecoder("utf-8", { fatal: true });

async function decode(input) {
  const results = await readBarcodes(input, READER);
  const texts = [];
  for (const r of results) {
    if (!r.isValid) continue;
    try {
      texts.push(utf8.decode(r.bytes));
    } catch {
      texts.push(r.text);
    }
  }
  return texts;
}

let stream = null;
let seen = new Set();
async function startCamera() {
  const video = $("video");
  if (!window.isSecureContext || !navigator.mediaDevices) {
    // Browsers open the camera only on HTTPS (or localhost); a photo still works.
    partsStatus(["Kamera hanya bisa dipakai bila aplikasi dibuka lewat HTTPS. Pilih foto QR, atau buka alamat https://.",
      "The camera works only when the app is opened over HTTPS. Pick a photo of the QR, or open the https:// address."], "status error");
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1280 } }, audio: false });
  } catch (e) {
    partsStatus(["Kamera tidak bisa dibuka. Izinkan kamera, atau pilih foto QR.", "The camera cannot be opened. Allow it, or pick a photo of the QR."], "status error");
    return;
  }
  seen = new Set();
  window.__saksiCameraAt = performance.now();
  window.__saksiFirstFrameAt = undefined;
  video.srcObject = stream;
  $("viewfinder").hidden = false;
  $("scan").hidden = true;
  $("stop").hidden = false;
  partsStatus(["Arahkan kamera ke QR.", "Point the camera at the QR code."], "status");
  await video.play();
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const tick = async () => {
    if (!stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      if (window.__saksiFirstFrameAt === undefined) window.__saksiFirstFrameAt = performance.now();
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      ctx.drawImage(video, 0, 0);
      const texts = await decode(ctx.getImageData(0, 0, canvas.width, canvas.height));
      for (const text of texts) {
        if (seen.has(text)) continue;
        seen.add(text);
        if (await handlePayload(text)) {
          stopCamera();
          return;
        }
      }
    }
    setTimeout(tick, 30);
  };
  tick();
}

function stopCamera() {
  if (stream) for (const t of stream.getTracks()) t.stop();
  stream = null;
  $("video").srcObject = null;
  $("viewfinder").hidden = true;
  $("scan").hidden = false;
  $("stop").hidden = true;
}

async function fromPhoto(file) {
  let texts;
  try {
    texts = await decode(file);
  } catch {
    texts = [];
  }
  if (texts.length === 0) {
    partsStatus(["Tidak ada QR yang terbaca di foto ini. Coba foto yang lebih dekat dan terang.", "No QR code found in this photo. Try a closer, brighter photo."], "status error");
    return;
  }
  for (const t of texts) if (await handlePayload(t)) return;
}

// --- a key typed from the committee's device list ------------------------------------------

function pinTypedKey(event) {
  event.preventDefault();
  const error = $("key-error");
  error.replaceChildren();
  let text = $("key-text").value.trim();
  let election = $("key-election").value.trim().toLowerCase();
  // One entry of the committee's device list (booth-recap-registry-v1) pins the TPS and the
  // candidates too; a bare verifier key pins only the device (and the election if typed).
  let listed = null;
  if (text.startsWith("{")) {
    try {
      listed = JSON.parse(text);
      text = String(listed.verifier_key || "");
      election = String(listed.election_id || election).toLowerCase();
    } catch {
      error.append(bi(["Entri daftar perangkat rusak (JSON).", "Damaged device-list entry (JSON)."]));
      return;
    }
  }
  let key;
  try {
    key = parseVerifierKey(text);
  } catch (e) {
    error.append(bi(["Kunci tidak sah: harus booth/…+8 hex+base64 seperti di daftar panitia.", `Not a verifier key: ${e.message}`]));
    return;
  }
  if (key.name !== originFor(key.publicKey)) {
    error.append(bi(["Nama kunci bukan sidik jari kunci itu sendiri.", "The key's name is not its own fingerprint."]));
    return;
  }
  if (election && !/^[0-9a-f]{64}$/.test(election)) {
    error.append(bi(["ID pemilihan harus 64 digit hex.", "The election ID is 64 hex digits."]));
    return;
  }
  const tps = listed && listed.tps !== undefined && listed.pekon ? `${listed.tps} ${listed.pekon}` : null;
  const candidates = listed && Array.isArray(listed.candidates)
    ? listed.candidates.map((c) => [String(c.number), String(c.name)]) : null;
  state.pin = { verifierKey: text, electionId: election || null, tps, logSize: null, candidates, signer: key.name, source: "typed" };
  save();
  renderPin();
  remember({ kind: "typed-key", verifier_key: text, election_id: election || null });
  $("key-card").open = false;
}

// --- the recap's public page ----------------------------------------------------------------

function recapBase() {
  const typed = $("recap-url").value.trim();
  if (typed) return typed.replace(/\/+$/, "");
  if (location.pathname.startsWith("/saksi/")) return location.origin;
  return null;
}

async function compareWithRecap(event) {
  event.preventDefault();
  const out = $("recap-result");
  out.replaceChildren();
  const last = state.lastValid;
  if (!last) {
    out.append(bi(["Belum ada hasil SAH untuk dibandingkan.", "No valid result to compare yet."], "p"));
    return;
  }
  const base = recapBase();
  if (!base) {
    out.append(bi(["Ketik alamat server rekap.", "Type the recap server's address."], "p"));
    return;
  }
  let page;
  try {
    const response = await fetch(`${base}/publik/pemilihan/${last.election_id}.json`, { credentials: "omit", cache: "no-store" });
    if (response.status === 404) {
      out.append(bi(["Rekap belum menerima TPS ini.", "The recap has not received this polling place yet."], "p"));
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    page = await response.json();
  } catch (e) {
    out.append(bi(["Server rekap tidak terjangkau (offline?).", `The recap server cannot be reached (${e.message}).`], "p"));
    return;
  }
  const tally = (t) => JSON.stringify(Object.entries(t || {}).map(([k, v]) => [k, String(v)]).sort());
  const rows = [
    [["Ukuran log", "Log size"], String(page.log_size) === last.log_size],
    [["Akar log", "Log root"], page.log_root === last.log_root],
    [["Perolehan suara", "Tally"], tally(page.tally) === tally(last.tally)],
  ];
  const all = rows.every(([, same]) => same);
  const list = el("ul", { id: "recap-rows" });
  for (const [words, same] of rows) {
    list.append(el("li", { class: same ? "match" : "mismatch", "data-match": String(same) },
      `${words[0]}: ${same ? "cocok" : "BERBEDA"}`, el("span", { class: "en" }, `${words[1]}: ${same ? "matches" : "DIFFERS"}`)));
  }
  out.append(bi(all ? ["Rekap sama dengan yang Anda pindai.", "The recap matches what you scanned."]
    : ["Rekap BERBEDA dengan yang Anda pindai: laporkan ke panitia.", "The recap DIFFERS from what you scanned: tell the committee."], "p"), list,
  el("p", { class: "en" }, `${page.state || ""} · ${page.received_at || ""}`));
  remember({ kind: "recap", url: base, match: all, rows: rows.map(([w, same]) => [w[1], same]), page });
}

// --- cosigning ---------------------------------------------------------------------------------

function cosigner() {
  if (!state.cosigner) {
    const secret = newSecretKey();
    const pub = publicKeyOf(secret);
    const name = "saksi/" + hexOf(sha256(pub)).slice(0, 16);
    state.cosigner = { name, secret: hexOf(secret), verifier_key: verifierKey(name, pub, COSIGNATURE_TYPE), created_at: now() };
    save();
  }
  const secret = Uint8Array.from(state.cosigner.secret.match(/../g), (b) => parseInt(b, 16));
  return { ...state.cosigner, secretBytes: secret, publicKey: publicKeyOf(secret) };
}

function cosignLast() {
  const last = state.lastValid;
  if (!last) return;
  const me = cosigner();
  const checkpoint = checkpointBody({ signer: last.signer, logSize: last.log_size, logRoot: canonicalB64(last.log_root) });
  const time = Math.floor(Date.now() / 1000);
  const line = cosignatureLine(me.name, me.publicKey, time, sign(cosignedMessage(checkpoint, time), me.secretBytes));
  const out = $("cosign-result");
  out.replaceChildren(bi(["Checkpoint yang ditandatangani:", "Checkpoint signed:"], "p"), el("pre", { class: "line" }, checkpoint),
    bi(["Baris kosignatur (berikan ke panitia):", "Cosignature line (give it to the committee):"], "p"), el("pre", { class: "line", id: "cosign-line" }, line),
    bi(["Kunci verifikasi saksi:", "The witness's verifier key:"], "p"), el("pre", { class: "line" }, me.verifier_key));
  remember({ kind: "cosignature", checkpoint, line, verifier_key: me.verifier_key, time });
}

// --- export and the record's list --------------------------------------------------------------

function describe(e) {
  switch (e.kind) {
    case "opening": return e.ok ? `Laporan Nol SAH · TPS ${e.tps}` : `Laporan Nol TIDAK SAH (${SHORT[e.reason] || e.reason})`;
    case "results": return e.ok ? `Berita Acara SAH · total ${e.statement.total}` : `Berita Acara TIDAK SAH (${SHORT[e.reason] || e.reason})`;
    case "typed-key": return "Kunci diketik / key typed";
    case "recap": return e.match ? "Rekap cocok / recap matches" : "Rekap BERBEDA / recap differs";
    case "cosignature": return "Kosignatur dibuat / cosigned";
    case "other-qr": return "QR lain / another QR";
    default: return e.kind;
  }
}

function renderRecord() {
  const list = $("record");
  list.replaceChildren();
  for (const e of [...state.events].reverse().slice(0, 30)) {
    const time = new Date(e.at).toLocaleString("id-ID");
    const what = describe(e);
    const good = e.ok === true || e.match === true;
    const bad = e.ok === false || e.match === false;
    list.append(el("li", {}, el("span", { class: good ? "ok" : bad ? "bad" : "" }, what), ` — ${time}`));
  }
  if (!state.events.length) list.append(el("li", {}, "Belum ada / nothing yet"));
}

function exportRecord() {
  const data = { ...state, cosigner: state.cosigner && { name: state.cosigner.name, verifier_key: state.cosigner.verifier_key }, exported_at: now() };
  const blob = new Blob([JSON.stringify(data, null, 2) + "\n"], { type: "application/json" });
  const a = el("a", { href: URL.createObjectURL(blob), download: `saksi-${(state.pin && state.pin.tps || "tps").replace(/\W+/g, "-")}-${now().slice(0, 10)}.json` });
  document.body.append(a);
  a.click();
  a.remove();
}

function forget() {
  if (!confirm("Hapus semua catatan, pin dan kunci saksi di ponsel ini?\nErase every record, pin and witness key on this phone?")) return;
  state = EMPTY();
  save();
  renderPin();
  renderRecord();
  $("verdict").hidden = true;
}

function renderNet() {
  const net = $("net");
  net.textContent = navigator.onLine ? "online" : "offline";
  net.className = navigator.onLine ? "net" : "net off";
}

// --- start -------------------------------------------------------------------------------------

async function start() {
  state = await load();
  renderPin();
  renderRecord();
  renderNet();
  window.addEventListener("online", renderNet);
  window.addEventListener("offline", renderNet);
  $("scan").addEventListener("click", startCamera);
  $("stop").addEventListener("click", stopCamera);
  $("photo").addEventListener("change", (e) => e.target.files[0] && fromPhoto(e.target.files[0]));
  $("key-form").addEventListener("submit", pinTypedKey);
  $("recap-form").addEventListener("submit", compareWithRecap);
  $("cosign").addEventListener("click", cosignLast);
  $("cosign").disabled = !state.lastValid;
  $("export").addEventListener("click", exportRecord);
  $("forget").addEventListener("click", forget);
  whichBackend().then((b) => { $("version").textContent = `v${__VERSION__} · ed25519 ${b}`; });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => { /* http: without TLS: no offline cache */ });
  }
  window.saksiFlush = () => saving; // the tests wait for the record to be on disk before closing
  document.body.dataset.ready = "1";
}

start();
