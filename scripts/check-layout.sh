#!/usr/bin/env bash
# The dependency rules of the layout (README "Layout"), checked on the resolved graph:
# - the domain crate `adgen` depends on no I/O crate (SDK, database, HTTP client/server, codec, font);
# - the submit, jobs, intake and sweep functions link no HTTP client, image codec, font or SQLite;
# - the brands function (which prepares logos) links no HTTP client or SQLite: it never fetches;
# - the webhooks, deliver and intake functions link no image codec, font or SQLite (webhooks
#   and deliver send through the SSRF-safe client; intake sends nothing over HTTP at all);
# - no binary links aws-lc (ring is the one TLS crypto provider).
# Exits non-zero naming every crate that breaks a rule.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

status=0
deps() { cargo tree -e normal --prefix none -p "$1" "${@:2}" | sed 's/ v[0-9].*//' | sort -u; }
refuse() {
  local package="$1" pattern="$2" found
  shift 2
  found="$(deps "$package" "$@" | grep -E "^($pattern)$" || true)"
  if [[ -n "$found" ]]; then
    echo "layout: $package must not depend on: $(echo "$found" | tr '\n' ' ')" >&2
    status=1
  fi
}

io='aws-config|aws-sdk-[a-z0-9]+|aws-smithy-[a-z-]+|rusqlite|libsqlite3-sys|reqwest|hyper|hyper-util|rustls|lambda_http|lambda_runtime|image|png|zune-jpeg|ab_glyph|rustybuzz|fast_image_resize|resvg|usvg|tiny-skia|roxmltree'
refuse adgen "$io" --depth 1
heavy='reqwest|rusqlite|libsqlite3-sys|image|png|zune-jpeg|image-webp|ab_glyph|ab_glyph_rasterizer|ttf-parser|owned_ttf_parser|rustybuzz|unicode-bidi|unicode-linebreak|fast_image_resize|resvg|usvg|tiny-skia|roxmltree|adgen-render'
refuse adgen-submit "$heavy"
refuse adgen-jobs "$heavy"
refuse adgen-brands 'reqwest|rusqlite|libsqlite3-sys'
pixels='rusqlite|libsqlite3-sys|image|png|zune-jpeg|image-webp|ab_glyph|ab_glyph_rasterizer|ttf-parser|owned_ttf_parser|rustybuzz|unicode-bidi|unicode-linebreak|fast_image_resize|resvg|usvg|tiny-skia|roxmltree|adgen-render'
refuse adgen-webhooks "$pixels"
refuse adgen-deliver "$pixels"
refuse adgen-intake "$heavy"
refuse adgen-sweep "$heavy"
# One TLS crypto provider (ring) in every binary: nothing may bring aws-lc beside it.
for binary in adgen-submit adgen-jobs adgen-brands adgen-webhooks adgen-generate adgen-deliver adgen-intake adgen-sweep adgen-local; do
  refuse "$binary" 'aws-lc-rs|aws-lc-sys|aws-lc-fips-sys'
done
if ((status == 0)); then
  echo "layout: domain free of I/O crates; submit, jobs, intake and sweep free of HTTP clients, codecs, fonts and SQLite; brands free of HTTP clients and SQLite; webhooks and deliver free of codecs, fonts and SQLite; ring the only TLS crypto provider"
fi
exit "$status"
