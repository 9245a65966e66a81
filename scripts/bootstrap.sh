#!/usr/bin/env bash
# Set-up shared by `make demo` and `make test`: Debian packages, .venv, the project with its extras.
# Idempotent: each step is skipped when its stamp is newer than what it depends on.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
STAMP_DIR="$VENV/.stamps"
PYTHON=${PYTHON:-}

# Debian packages the project uses, with the command that proves each is present.
# Format: package:probe (probe is a path that exists when the package is installed).
DEBIAN_PACKAGES=(
  "python3-venv:"
  "python3-dev:"
  "gcc:/usr/bin/gcc"
  "swig:/usr/bin/swig"
  "libpcsclite-dev:/usr/include/PCSC/winscard.h"
  "libcups2-dev:/usr/include/cups/cups.h"
  "libzbar0:/usr/lib/x86_64-linux-gnu/libzbar.so.0"
  "mosquitto:/usr/sbin/mosquitto"
  "mosquitto-clients:/usr/bin/mosquitto_pub"
  "postgresql:"
  "cups:/usr/sbin/cupsd"
  "cups-client:/usr/sbin/lpadmin"
  "cups-ipp-utils:/usr/sbin/ippeveprinter"
  "printer-driver-cups-pdf:/usr/lib/cups/backend/cups-pdf"
  "ghostscript:/usr/bin/gs"
  "dbus-daemon:/usr/bin/dbus-daemon"
  "pcscd:/usr/sbin/pcscd"
  "vsmartcard-vpcd:/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
  "xvfb:/usr/bin/Xvfb"
  "xdotool:/usr/bin/xdotool"
  "libmtdev1:/usr/lib/x86_64-linux-gnu/libmtdev.so.1"
  "chromium:/usr/bin/chromium"
  "espeak-ng:/usr/bin/espeak-ng"
  "sox:/usr/bin/sox"
  "fonts-wqy-zenhei:/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
  "fonts-hanazono:/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"
  "poppler-utils:/usr/bin/pdftoppm"
  "iproute2:/usr/sbin/ip"
  "util-linux:/usr/bin/unshare"
  "nginx-light:/usr/sbin/nginx"
)

log() { printf '[bootstrap] %s\n' "$*" >&2; }

have_postgres() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

pick_python() {
  if [ -n "$PYTHON" ]; then echo "$PYTHON"; return; fi
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] < (3, 13) else 1)'; then
      command -v "$candidate"; return
    fi
  done
  log "no Python 3.11 or 3.12 found; install python3 (Debian 12 ships 3.11)"
  exit 1
}

missing_packages() {
  local py=$1 entry pkg probe
  for entry in "${DEBIAN_PACKAGES[@]}"; do
    pkg=${entry%%:*}
    probe=${entry#*:}
    case "$pkg" in
      python3-venv)
        # Only Debian's own Python needs the package; pyenv and others carry venv + ensurepip.
        "$py" -c 'import ensurepip, venv' >/dev/null 2>&1 && continue ;;
      python3-dev)
        [ -f "$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] && continue ;;
      postgresql)
        have_postgres && continue ;;
    esac
    [ -n "$probe" ] && [ -e "$probe" ] && continue
    printf '%s\n' "$pkg"
  done
}

install_debian_packages() {
  local py=$1
  local missing
  missing=$(missing_packages "$py" | tr '\n' ' ')
  [ -z "${missing// /}" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: $missing"
    log "run this once, then again the command you ran:"
    printf '\n    sudo apt-get update && sudo apt-get install -y --no-install-recommends %s\n\n' "$missing" >&2
    exit 2
  fi
  log "installing Debian packages: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

install_python_project() {
  local py=$1
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    "$py" -m venv "$VENV"
  fi
  mkdir -p "$STAMP_DIR"
  local stamp="$STAMP_DIR/project"
  if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then
    return 0
  fi
  log "installing the project and its extras into .venv (first time takes a few minutes)"
  local pip_log="$STAMP_DIR/pip.log"
  if ! { "$VENV/bin/python" -m pip install --upgrade pip &&
    "$VENV/bin/python" -m pip install -e ".[kiosk,hardware,postgres,dev]"; } >"$pip_log" 2>&1; then
    tail -n 40 "$pip_log" >&2
    log "pip failed; the whole log is in $pip_log"
    exit 1
  fi
  touch "$stamp"
}

main() {
  local py
  py=$(pick_python)
  install_debian_packages "$py"
  install_python_project "$py"
}

main "$@"
