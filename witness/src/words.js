// Every sentence the witness reads, Indonesian first with English beside.

export const REASONS = {
  ok: ["Hasil ini ditandatangani perangkat TPS yang dipin dan angkanya cocok.", "Signed by the pinned polling-place device; the numbers add up."],
  "not-pinned": ["Belum ada Laporan Nol yang dipindai: pindai QR Laporan Nol dulu, atau masukkan kunci perangkat.", "Not yet pinned: scan the zero report's QR first, or type the device key."],
  "bad-key": ["Kunci perangkat yang disimpan rusak. Pindai ulang Laporan Nol.", "The pinned device key is damaged. Scan the zero report again."],
  "other-election": ["Laporan ini dari pemilihan lain, bukan yang dipin pada pembukaan.", "This report is of another election, not the one pinned at opening."],
  "other-device": ["Laporan ini ditandatangani perangkat lain, bukan perangkat TPS ini.", "This report was signed by another device, not this polling place's."],
  tampered: ["Isi laporan telah diubah setelah ditandatangani (misalnya angka suara).", "The report was changed after it was signed (a count, for example)."],
  "not-results": ["QR ini bukan Berita Acara Hasil.", "This QR is not a results report."],
  malformed: ["QR rusak atau tidak lengkap: isinya tidak bisa dibaca sebagai laporan booth.", "Damaged or incomplete QR: it cannot be read as a booth report."],
  "other-tps": ["Laporan ini untuk TPS lain.", "This report is for another polling place."],
  "log-older": ["Log pada laporan ini lebih kecil daripada saat pembukaan.", "This report's log is smaller than at opening."],
  candidates: ["Daftar calon tidak sama dengan Laporan Nol.", "The candidates differ from the zero report's."],
  total: ["Jumlah suara tidak sama dengan total yang tertulis.", "The votes do not add up to the written total."],
  unbalanced: ["Rekonsiliasi tidak SESUAI: jumlah pemilih dan suara tidak seimbang.", "Reconciliation failed: voters and ballots do not balance."],
};

export const OPENING_REFUSALS = {
  origin: ["Laporan Nol ini ditandatangani kunci yang menyamar sebagai perangkat lain.", "This zero report is signed by a key posing as another device."],
  signature: ["Laporan Nol ini telah diubah setelah ditandatangani.", "This zero report was changed after it was signed."],
  format: ["QR Laporan Nol rusak atau tidak lengkap.", "Damaged or incomplete zero report QR."],
};

export const PARTS = {
  "bad-header": ["Kepala bagian QR rusak.", "Damaged QR part header."],
  conflict: ["Dua bagian QR bernomor sama tetapi berbeda isi.", "Two different QR parts with the same number."],
  mixed: ["Bagian QR ini dari laporan lain: mulai lagi.", "This QR part belongs to another report: starting again."],
  hash: ["Bagian QR tidak membentuk laporan aslinya.", "The QR parts do not make their report."],
};

export const CANDIDATE = ["Calon", "Candidate"];
export const BLANK = ["Suara kosong", "Blank"];
export const TOTAL = ["Jumlah", "Total"];

/** Short words for the record's list. */
export const SHORT = {
  "not-pinned": "belum dipin", "bad-key": "kunci rusak", "other-election": "pemilihan lain", "other-device": "perangkat lain",
  tampered: "diubah", "not-results": "bukan Berita Acara", malformed: "QR rusak", "other-tps": "TPS lain",
  "log-older": "log lebih kecil", candidates: "calon berbeda", total: "jumlah salah", unbalanced: "tidak SESUAI",
  origin: "kunci menyamar", signature: "diubah", format: "QR rusak",
};
