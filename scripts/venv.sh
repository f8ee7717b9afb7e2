# Sourced by the scripts that run Python tools: `pip_venv DIR SPEC…` makes DIR a virtualenv
# holding exactly the pinned SPECs, installed once (a stamp file in DIR records them; another
# set of pins, or a broken venv, makes it anew).
pip_venv() {
  local venv="$1" stamp want
  shift
  stamp="$venv/.adgen-installed"
  want="$*"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$venv/bin/python" -c '' 2>/dev/null; then
    return 0
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  printf 'pip install %s\n' "$want" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2
  printf '%s' "$want" >"$stamp"
}
