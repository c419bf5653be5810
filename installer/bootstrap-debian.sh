#!/usr/bin/env bash
# Set up EpiManager on Debian 12 / Ubuntu 22.04+ (idempotent, fast when nothing changed):
#   - the apt libraries Qt 6 needs (offscreen and X11/Xvfb), a CJK font, Xvfb
#   - a Python 3.11+ virtual environment in .venv with the app installed (editable)
# Usage: installer/bootstrap-debian.sh [--dev]    (--dev adds the test/lint tools)
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
if [ "${1:-}" = "--dev" ]; then extras="[dev]"; fi

apt_pkgs=(
  # Qt runtime (QtGui/QtWidgets + offscreen platform)
  libgl1 libegl1 libglib2.0-0 libfontconfig1 libxkbcommon0 libdbus-1-3
  # Simplified-Chinese font (without one every Han character is a box)
  fonts-wqy-microhei
  # X11 (xcb platform plugin) and a virtual display for machines without a screen
  libx11-xcb1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1
  libxcb-util1 libxcb-xfixes0 libxcb-xkb1 xvfb xauth
)
# pg_dump / pg_restore: backups of a clinic-server database from any desk
apt_pkgs+=(postgresql-client)
# the test run starts its own throwaway PostgreSQL cluster (initdb + pg_ctl from this package)
if [ -n "$extras" ]; then apt_pkgs+=(postgresql); fi
# --dev: pdftotext/pdftoppm read printed PDFs back in the tests and render them for the screenshots
if [ -n "$extras" ]; then apt_pkgs+=(poppler-utils); fi
py="${PYTHON:-python3}"
if ! "$py" -c 'import ensurepip, venv' 2>/dev/null; then apt_pkgs+=(python3-venv); fi

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${apt_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    echo "安装系统软件包 / installing apt packages: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "不是 Debian/Ubuntu：请自行安装 Qt 6 运行库和中文字体 / not Debian: install Qt 6 libraries and a CJK font yourself" >&2
fi

if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "需要 Python 3.11 或更高版本 / Python 3.11+ is required (found: $("$py" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
# One stamp file records what is installed: the hash of pyproject.toml + requirements.lock and
# whether the dev tools are in.  A plain start after a test run does not reinstall (dev ⊇ plain).
want="$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)"
have="$(cat .venv/.stamp 2>/dev/null || true)"
if [ "$have" != "$want dev" ] && { [ -n "$extras" ] || [ "$have" != "$want" ]; }; then
  echo "安装 Python 依赖 / installing Python packages${extras}" >&2
  # (pip's notes about unusable local index locations on some machines are filtered out)
  .venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e ".${extras}" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  rm -f .venv/.stamp-*
  if [ -n "$extras" ]; then echo "$want dev" > .venv/.stamp; else echo "$want" > .venv/.stamp; fi
fi
