#!/bin/sh
# Build the one-folder app with PyInstaller and check that it starts (offscreen).
#   installer/build-pyinstaller.sh            → dist/epimanager/epimanager
# Needs pyinstaller in .venv:  .venv/bin/pip install pyinstaller
# Prints the build time, the folder size, and the output of `epimanager --version`.
set -eu
cd "$(dirname "$0")/.."
PY=.venv/bin/python
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    echo "pyinstaller is not installed: .venv/bin/pip install pyinstaller" >&2
    exit 2
fi
start=$(date +%s.%N)
"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller installer/epimanager.spec
end=$(date +%s.%N)
app=dist/epimanager/epimanager
version=$(QT_QPA_PLATFORM=offscreen EPIMANAGER_DATA_DIR="$(mktemp -d)" "$app" --version)
echo "build time: $("$PY" -c "print(round($end - $start, 1))") s"
echo "size: $(du -sh dist/epimanager | cut -f1) (dist/epimanager)"
echo "started offscreen: $version"
case "$version" in
    "EpiManager "*) ;;
    *) echo "unexpected --version output" >&2; exit 1 ;;
esac
