#!/usr/bin/env bash
# Regenerates the non-Latin fonts in adapters/render/assets/fonts/ from their published sources,
# and documents where they come from. Not run by CI: the fonts are committed.
#
#   scripts/fonts.sh          # idempotent: installs what is missing, rewrites the files, checks them
#
# Sources (pinned; every input's sha256 is checked before use):
#   Debian  fonts-noto-cjk  NotoSansCJK-{Regular,Bold}.ttc  -> NotoSansCJK-{Regular,Bold}.otf
#   Debian  fonts-noto-core NotoSans{Arabic,Hebrew,Devanagari,Thai}-{Regular,Bold}.ttf -> same names
#   npm     @expo-google-fonts/noto-emoji 400Regular/NotoEmoji_400Regular.ttf -> NotoEmoji-Regular.ttf
#   PyPI    fonttools (pyftsubset), into a venv of its own under $ADGEN_TOOLS_DIR (default <repo>/.tools)
#   Debian  libharfbuzz-bin (hb-shape), only for the locl check at the end
# The outputs are byte-for-byte reproducible (pyftsubset keeps head.modified): after a run,
# `git status` shows nothing unless a pin or a recipe below was changed.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${ADGEN_TOOLS_DIR:-$REPO_ROOT/.tools}"
VENV="$TOOLS_DIR/fonts-venv"
WORK="$TOOLS_DIR/fonts-work"
OUT="$REPO_ROOT/adapters/render/assets/fonts"

FONTTOOLS_SPEC='fonttools==4.68.0'
DEB_NOTO_CORE='fonts-noto-core=20201225-1'
DEB_NOTO_CJK='fonts-noto-cjk=1:20220127+repack1-1'
NPM_EMOJI='@expo-google-fonts/noto-emoji@0.4.7'
NPM_EMOJI_TGZ='expo-google-fonts-noto-emoji-0.4.7.tgz'

CJK_DIR=/usr/share/fonts/opentype/noto
CORE_DIR=/usr/share/fonts/truetype/noto

# sha256 of every input file
INPUT_SHA256="
b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a  $CJK_DIR/NotoSansCJK-Regular.ttc
faa5f3656a78b2e2d450d27fe8382c778bc2b6bb5ea29c986664a6a435056ceb  $CJK_DIR/NotoSansCJK-Bold.ttc
504d7407d86875acf7d04dfaa0fd7524d0b8797723bc4aa18022f29db25b0b6e  $CORE_DIR/NotoSansArabic-Regular.ttf
ded6fc7359ca36d15d7aab9ef0c066e21ce48b26a069994d6602fa2cb9a1b952  $CORE_DIR/NotoSansArabic-Bold.ttf
436900d5ad77d33e4234247f3076eaecd25b92b9bea0519514f684140e3566a7  $CORE_DIR/NotoSansHebrew-Regular.ttf
d3b01343f71e8a93fffb84c345a1aecbaf4694b98d0eaace916cb9eac9e6dcd3  $CORE_DIR/NotoSansHebrew-Bold.ttf
79a470365ccb210fa3c7d8d8ff2e005ef9d983cfd067f735a0caf7e15070ca9f  $CORE_DIR/NotoSansDevanagari-Regular.ttf
77ad688cfe1dc55185bf4edb4db3c614202c65dd23a1463ad0e23fc52bcc9a5c  $CORE_DIR/NotoSansDevanagari-Bold.ttf
dfbd5ed0f1e68c3cbc51aa08f646d1ab0e68e7c4ceab70a69e465225ff701f93  $CORE_DIR/NotoSansThai-Regular.ttf
97bbc8ea98328325285f2f552228c7aac1db39d8f38f0096a61ba7df1f1f780e  $CORE_DIR/NotoSansThai-Bold.ttf
24aaa2a20c9c06ffe9bf04284bfd1f14376a329d10122f902abe2770817eb504  $WORK/npm/package/400Regular/NotoEmoji_400Regular.ttf
500bb1ccf43df7bbb522112f9133a52b16e1c35e809632f5d8609b179152de5b  $WORK/npm/package/LICENSE_FONT
"

# Layout features kept in the CJK subset: the ones a shaper applies by default to horizontal
# text (rustybuzz included). `*` would also keep vert/vrt2/dlig/... and their glyphs: +278 KB.
CJK_FEATURES='ccmp,locl,kern,mark,mkmk,liga,clig,calt,rlig,rclt'

log() { printf 'fonts: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

deb_installed() { # pkg=version
  [[ "$(dpkg-query -W -f='${Status} ${Version}' "${1%%=*}" 2>/dev/null)" == "install ok installed ${1#*=}" ]]
}

install_debs() {
  local want=() spec
  for spec in "$DEB_NOTO_CORE" "$DEB_NOTO_CJK"; do
    deb_installed "$spec" || want+=("$spec")
  done
  command -v hb-shape >/dev/null 2>&1 || want+=(libharfbuzz-bin)
  if ((${#want[@]} == 0)); then
    log "Debian packages already installed"
    return 0
  fi
  log "apt-get install ${want[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends "${want[@]}" >&2
}

install_fonttools() {
  local stamp="$VENV/.adgen-installed"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$FONTTOOLS_SPEC" ]] && "$VENV/bin/python" -c 'import fontTools' 2>/dev/null; then
    log "$FONTTOOLS_SPEC already installed"
    return 0
  fi
  rm -rf "$VENV"
  log "creating venv $VENV with $FONTTOOLS_SPEC"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$FONTTOOLS_SPEC" >&2
  printf '%s' "$FONTTOOLS_SPEC" >"$stamp"
}

fetch_emoji() {
  mkdir -p "$WORK/npm"
  if [[ ! -f "$WORK/npm/$NPM_EMOJI_TGZ" ]]; then
    log "npm pack $NPM_EMOJI"
    (cd "$WORK/npm" && npm pack --silent "$NPM_EMOJI" >/dev/null)
  fi
  rm -rf "$WORK/npm/package"
  tar -xzf "$WORK/npm/$NPM_EMOJI_TGZ" -C "$WORK/npm"
}

check_inputs() {
  log "checking input sha256"
  grep -v '^$' <<<"$INPUT_SHA256" | sha256sum --quiet --strict -c - >&2 || die "an input differs from the pinned one"
}

# The CJK repertoire, one U+XXXX a line: every character that a 2-byte sequence decodes to in
# gb2312, big5, euc_jp (JIS X 0208) and euc_kr (KS X 1001), plus fixed blocks and all Hangul.
write_cjk_unicodes() {
  "$VENV/bin/python" - "$WORK/cjk-unicodes.txt" <<'PY'
import sys

def two_byte(codec, lead, trail):
    out = set()
    for b1 in range(*lead):
        for b2 in range(*trail):
            try:
                t = bytes([b1, b2]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(t) == 1:
                out.add(ord(t))
    return out

rep = set()
rep |= two_byte("gb2312", (0xA1, 0xFF), (0xA1, 0xFF))  # GB 2312
rep |= two_byte("big5", (0x81, 0xFF), (0x40, 0xFF))  # Big5 (all lead/trail bytes it decodes)
rep |= two_byte("euc_jp", (0xA1, 0xFF), (0xA1, 0xFF))  # JIS X 0208
rep |= two_byte("euc_kr", (0xA1, 0xFF), (0xA1, 0xFF))  # KS X 1001
for a, b in [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x31F0, 0x31FF),  # katakana phonetic extensions
    (0xFF00, 0xFFEF),  # half- and fullwidth forms
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0xAC00, 0xD7A3),  # all 11 172 Hangul syllables (+0.9 MB a weight over KS X 1001's 2 350)
]:
    rep |= set(range(a, b + 1))
with open(sys.argv[1], "w") as f:
    f.write("".join("U+%04X\n" % c for c in sorted(rep)))
print(f"CJK repertoire: {len(rep)} code points", file=sys.stderr)
PY
}

build_cjk() {
  local w
  write_cjk_unicodes
  for w in Regular Bold; do
    log "NotoSansCJK-$w.otf (member 0 of NotoSansCJK-$w.ttc: Noto Sans CJK JP)"
    "$VENV/bin/pyftsubset" "$CJK_DIR/NotoSansCJK-$w.ttc" --font-number=0 \
      --unicodes-file="$WORK/cjk-unicodes.txt" --layout-features="$CJK_FEATURES" \
      --no-glyph-names --no-hinting --name-IDs='*' --name-languages='*' \
      --output-file="$OUT/NotoSansCJK-$w.otf" 2> >(grep -v '^WARNING: ' >&2 || true)
  done
}

# Arabic, Hebrew, Devanagari, Thai: every code point and every layout feature kept (a cut to the
# script's blocks saved only 9-19 %); only the TrueType hinting (ttfautohint bytecode, which
# ab_glyph/tiny-skia never run) and DSIG are dropped, which saves 34-50 %.
build_core() {
  local s w
  for s in Arabic Hebrew Devanagari Thai; do
    for w in Regular Bold; do
      log "NotoSans$s-$w.ttf"
      "$VENV/bin/pyftsubset" "$CORE_DIR/NotoSans$s-$w.ttf" --unicodes='*' --layout-features='*' \
        --no-hinting --notdef-outline --name-IDs='*' --name-languages='*' \
        --output-file="$OUT/NotoSans$s-$w.ttf" 2> >(grep -v '^WARNING: ' >&2 || true)
    done
  done
}

# Static TrueType, already unhinted; subsetting saved under 1 %, so it ships as published.
build_emoji() {
  log "NotoEmoji-Regular.ttf (unmodified)"
  cp "$WORK/npm/package/400Regular/NotoEmoji_400Regular.ttf" "$OUT/NotoEmoji-Regular.ttf"
  chmod 644 "$OUT/NotoEmoji-Regular.ttf"
}

# OFL texts: Debian's copyright files carry the licence body; the copyright lines are the fonts'
# own (name ID 0), and for Noto CJK the upstream notice with its Reserved Font Name.
write_licences() {
  log "licence files"
  cp "$WORK/npm/package/LICENSE_FONT" "$OUT/OFL-NotoEmoji.txt"
  chmod 644 "$OUT/OFL-NotoEmoji.txt"
  "$VENV/bin/python" - "$OUT" "$CORE_DIR" <<'PY'
import sys
from fontTools.ttLib import TTFont

out, core = sys.argv[1:3]

def deb_licence(path, name):
    """The body of the stand-alone `License: <name>` paragraph of a Debian copyright file."""
    for para in open(path, encoding="utf-8").read().split("\n\n"):
        lines = para.split("\n")
        if lines[0] == f"License: {name}" and len(lines) > 1:
            return "\n".join("" if l == " ." else l[1:] for l in lines[1:]).strip("\n") + "\n"
    raise SystemExit(f"no License: {name} paragraph in {path}")

title = ("-----------------------------------------------------------\n"
         "SIL OPEN FONT LICENSE Version 1.1 - 26 February 2007\n"
         "-----------------------------------------------------------\n\n")
grant = ("This Font Software is licensed under the SIL Open Font License, Version 1.1.\n"
         "This license is copied below, and is also available with a FAQ at:\n"
         "https://openfontlicense.org\n\n\n")

# Noto CJK: Debian's copyright says only "2010-2012, Google Corporation" and leaves out the
# Reserved Font Name; the fonts' name ID 0 is "(c) 2014-2021 Adobe". Upstream (notofonts/noto-cjk
# LICENSE, and Google Fonts' OFL.txt for Noto Sans JP/KR/SC/TC) reads as below.
cjk = deb_licence("/usr/share/doc/fonts-noto-cjk/copyright", "SIL-1.1")
with open(f"{out}/OFL-NotoCJK.txt", "w", encoding="utf-8") as f:
    f.write("Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'.\n\n"
            + grant + cjk)

notices = []
for s in ("Arabic", "Devanagari", "Hebrew", "Thai"):
    n = TTFont(f"{core}/NotoSans{s}-Regular.ttf", lazy=True)["name"].getDebugName(0)
    notices.append(f"Noto Sans {s}: {n}")
core_body = deb_licence("/usr/share/doc/fonts-noto-core/copyright", "OFL-1.1")
with open(f"{out}/OFL-Noto.txt", "w", encoding="utf-8") as f:
    f.write("\n".join(notices) + "\n\n" + grant + title + core_body)
PY
}

check_fonts() {
  log "checks"
  local lang line
  # locl: the same characters set for each language must come out as region-specific glyphs.
  for lang in ja zh-Hans zh-Hant ko; do
    line="$(hb-shape --language="$lang" --no-positions --no-clusters "$OUT/NotoSansCJK-Regular.otf" '直骨今海')"
    printf 'locl %-8s %s\n' "$lang" "$line"
    printf '%s\n' "$line" >"$WORK/locl-$lang.txt"
  done
  cmp -s "$WORK/locl-ja.txt" "$WORK/locl-zh-Hans.txt" && die "locl: ja and zh-Hans shape alike"
  cmp -s "$WORK/locl-zh-Hans.txt" "$WORK/locl-zh-Hant.txt" && die "locl: zh-Hans and zh-Hant shape alike"
  cmp -s "$WORK/locl-ja.txt" "$WORK/locl-ko.txt" && die "locl: ja and ko shape alike"
  "$VENV/bin/python" - "$OUT" <<'PY'
import os, sys
from fontTools.ttLib import TTFont

out = sys.argv[1]
ok = True
for w in ("Regular", "Bold"):
    f = TTFont(f"{out}/NotoSansCJK-{w}.otf", lazy=True)
    g = f["GSUB"].table
    feats = g.FeatureList.FeatureRecord
    hani = next(r.Script for r in g.ScriptList.ScriptRecord if r.ScriptTag == "hani")
    got = {}
    for r in hani.LangSysRecord:
        got[r.LangSysTag.strip()] = sorted({feats[i].FeatureTag for i in r.LangSys.FeatureIndex})
    for tag in ("JAN", "KOR", "ZHS", "ZHT"):
        has = "locl" in got.get(tag, [])
        ok &= has
        print(f"GSUB hani/{tag} NotoSansCJK-{w}: {'locl' if has else 'NO locl'} ({','.join(got.get(tag, []))})")

samples = {
    "ja": "東京の新しいラーメン店のオープン記念、半額セール",
    "zh-Hans": "双十一限时特惠，全场五折",
    "zh-Hant": "週年慶全館八折，限時優惠",
    "ko": "새로운 카페 오픈 기념 50% 할인",
    "ar": "تخفيضات الصيف حتى ٥٠٪ على كل المنتجات",
    "he": "מבצע קיץ: 50% הנחה על הכול",
    "hi": "दिवाली की भव्य सेल, हर ऑर्डर पर 30% छूट",
    "th": "ลดราคาสูงสุด 50% ทุกชิ้น",
    "emoji": "🎉🔥☕🚀❤️✨👟🍜",
}
fonts = {
    "ja": "NotoSansCJK", "zh-Hans": "NotoSansCJK", "zh-Hant": "NotoSansCJK", "ko": "NotoSansCJK",
    "ar": "NotoSansArabic", "he": "NotoSansHebrew", "hi": "NotoSansDevanagari", "th": "NotoSansThai",
}
for lang, text in samples.items():
    files = ["NotoEmoji-Regular.ttf"] if lang == "emoji" else [
        f"{fonts[lang]}-{w}.{'otf' if fonts[lang] == 'NotoSansCJK' else 'ttf'}" for w in ("Bold", "Regular")]
    for name in files:
        cmap = TTFont(f"{out}/{name}", lazy=True).getBestCmap()
        miss = sorted({c for c in text if ord(c) not in cmap and c != "\ufe0f"})
        script_miss = [c for c in miss if ord(c) > 0x7F]
        ok &= not script_miss
        note = "covered" if not miss else "missing " + " ".join(f"U+{ord(c):04X}{c!r}" for c in miss)
        if miss and not script_miss:
            note += " (ASCII only: set in Inter)"
        print(f"cmap {lang:8} {name:30} {note}")

for name in sorted(os.listdir(out)):
    if name.startswith(("NotoSans", "NotoEmoji")):
        f = TTFont(f"{out}/{name}", lazy=True)
        h = f["hhea"]
        print(f"{name:30} {os.path.getsize(f'{out}/{name}'):>9} bytes  upem {f['head'].unitsPerEm}"
              f"  hhea ascender {h.ascent} descender {h.descent} lineGap {h.lineGap}"
              f"  glyphs {f['maxp'].numGlyphs}  cmap {len(f.getBestCmap())}")
sys.exit(0 if ok else 1)
PY
  (cd "$OUT" && sha256sum NotoSans*.otf NotoSans*.ttf NotoEmoji-Regular.ttf OFL-Noto*.txt)
}

main() {
  mkdir -p "$WORK" "$OUT"
  install_debs
  install_fonttools
  fetch_emoji
  check_inputs
  build_cjk
  build_core
  build_emoji
  write_licences
  check_fonts
}

main "$@"
