#!/bin/sh
# Start the EpiManager version named by <install root>/current (Linux installs).
# Install layout: /opt/EpiManager/{current,versions/<version>/epimanager,epimanager-launch.sh}
root=$(dirname "$(readlink -f "$0")")
version=$(head -n 1 "$root/current" 2>/dev/null | tr -d '\r\n ')
exe="$root/versions/$version/epimanager"
if [ -z "$version" ] || [ ! -x "$exe" ]; then
    # no pointer yet: the newest installed version
    exe=$(ls -d "$root"/versions/*/epimanager 2>/dev/null | sort -V | tail -n 1)
fi
[ -n "$exe" ] || { echo "EpiManager 程序文件不存在：$root/versions/" >&2; exit 1; }
EPIMANAGER_NO_REDIRECT=1 exec "$exe" "$@"
