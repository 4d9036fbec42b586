// The few Python built-ins whose exact behaviour the results formats inherit from booth's
// reference implementation (booth/results.py): int(), str.split(), str.strip() and
// base64.b64decode().  The witness app must accept and refuse exactly what `booth results check`
// does, so these are ports of the documented Python behaviour, not approximations.

// str.isspace() characters (Python's whitespace, wider than the Unicode White_Space set).
const PY_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004" +
  "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
const SPACE_CLASS = "[" + PY_SPACES.replace(/[\\\]^-]/g, "\\$&") + "]";
const LEADING = new RegExp("^" + SPACE_CLASS + "+", "u");
const TRAILING = new RegExp(SPACE_CLASS + "+$", "u");
const RUNS = new RegExp(SPACE_CLASS + "+", "u");
const ND = /^\p{Nd}$/u;
// Python refuses to read integers longer than this many digits (sys.get_int_max_str_digits()).
const MAX_DIGITS = 4300;

export function isSpace(ch) {
  return PY_SPACES.includes(ch);
}

/** str.strip() with no argument. */
export function strip(s) {
  return s.replace(LEADING, "").replace(TRAILING, "");
}

/** str.split() with no argument: runs of whitespace, no empty items. */
export function splitWhite(s) {
  const t = strip(s);
  return t === "" ? [] : t.split(RUNS);
}

/** The value 0-9 of a Unicode decimal digit (Nd digits come in runs of ten, 0 first). */
function digitValue(ch) {
  let cp = ch.codePointAt(0);
  let n = 0;
  while (cp > 0 && ND.test(String.fromCodePoint(cp - 1))) {
    cp -= 1;
    n += 1;
  }
  return n % 10;
}

// int() strips the same white space but for the four information separators U+001C..U+001F.
const INT_SPACE_CLASS = "[" + PY_SPACES.replace(/[\x1c-\x1f]/g, "").replace(/[\\\]^-]/g, "\\$&") + "]";
const INT_EDGES = new RegExp("^" + INT_SPACE_CLASS + "+|" + INT_SPACE_CLASS + "+$", "gu");

/** Python's int(s) for a str: a BigInt, or throws ValueError-like Error. */
export function pyInt(s) {
  let t = s.replace(INT_EDGES, "");
  let sign = 1n;
  if (t.startsWith("+") || t.startsWith("-")) {
    if (t[0] === "-") sign = -1n;
    t = t.slice(1);
  }
  const chars = Array.from(t);
  if (chars.length === 0) throw new Error(`invalid literal for int(): ${JSON.stringify(s)}`);
  let digits = "";
  let prevDigit = false;
  for (const ch of chars) {
    if (ch === "_") {
      if (!prevDigit) throw new Error(`invalid literal for int(): ${JSON.stringify(s)}`);
      prevDigit = false;
      continue;
    }
    if (!ND.test(ch)) throw new Error(`invalid literal for int(): ${JSON.stringify(s)}`);
    digits += ch >= "0" && ch <= "9" ? ch : String(digitValue(ch));
    prevDigit = true;
  }
  if (!prevDigit) throw new Error(`invalid literal for int(): ${JSON.stringify(s)}`);
  if (digits.length > MAX_DIGITS) throw new Error("integer string too long");
  return sign * BigInt(digits);
}

/** str.isdigit() for the digits int() accepts (Nd); other "digits" (²) make int() fail anyway. */
export function allDecimal(s) {
  return s.length > 0 && Array.from(s).every((ch) => ND.test(ch));
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** base64.b64decode(s, validate=strict) (CPython 3.11 binascii.a2b_base64). */
export function pyB64decode(s, strict = false) {
  if (!/^[\x00-\x7f]*$/.test(s)) throw new Error("string argument should contain only ASCII characters");
  const out = [];
  let quad = 0;
  let left = 0;
  let pads = 0;
  let padding = false;
  if (strict && s.length > 0 && s[0] === "=") throw new Error("Leading padding not allowed");
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "=") {
      padding = true;
      if (quad >= 2 && quad + ++pads >= 4) {
        if (strict && i + 1 < s.length) throw new Error("Excess data after padding");
        return Uint8Array.from(out);
      }
      continue;
    }
    const v = ALPHABET.indexOf(ch);
    if (v < 0) {
      if (strict) throw new Error("Only base64 data is allowed");
      continue;
    }
    if (strict && padding) throw new Error("Discontinuous padding not allowed");
    pads = 0;
    if (quad === 0) {
      quad = 1;
      left = v;
    } else if (quad === 1) {
      quad = 2;
      out.push(((left << 2) | (v >> 4)) & 0xff);
      left = v & 0x0f;
    } else if (quad === 2) {
      quad = 3;
      out.push(((left << 4) | (v >> 2)) & 0xff);
      left = v & 0x03;
    } else {
      quad = 0;
      out.push(((left << 6) | v) & 0xff);
      left = 0;
    }
  }
  if (quad !== 0) throw new Error(quad === 1 ? "Invalid base64: 1 more than a multiple of 4" : "Incorrect padding");
  return Uint8Array.from(out);
}

/** str.partition(sep). */
export function partition(s, sep) {
  const at = s.indexOf(sep);
  return at < 0 ? [s, "", ""] : [s.slice(0, at), sep, s.slice(at + sep.length)];
}

/** str.rstrip("\n"). */
export function rstripNewlines(s) {
  return s.replace(/\n+$/, "");
}
