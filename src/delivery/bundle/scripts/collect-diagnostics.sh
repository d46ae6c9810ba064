#!/usr/bin/env bash
# Collects what support needs to help with an installation into one archive:
# versions, the Compose configuration, container states and logs, the
# images and disk space. Every secret is redacted first: the values of .env,
# and any value whose name says password, secret, token or key. Read the
# archive before you send it; nothing is sent by this script.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

out=
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=${2:?--dir needs a folder}; shift 2 ;;
    --out) out=${2:?--out needs a file}; shift 2 ;;
    -h | --help) echo "Usage: ./collect-diagnostics.sh [--dir DIR] [--out FILE.tar.gz]"; exit 0 ;;
    *) say "error: unknown argument $1 (usage: ./collect-diagnostics.sh [--dir DIR] [--out FILE.tar.gz])"; exit 2 ;;
  esac
done
need docker tar awk sed
[ -d "$dir" ] || die "$dir holds no installation: name it with --dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
# Beside the installation by default: never inside the bundle's folder,
# whose check refuses any file it did not sign.
out=${out:-$dir/sitectl-diagnostics-$SITE-$stamp.tar.gz}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
name=sitectl-diagnostics-$SITE-$stamp
mkdir "$scratch/$name"
collected=$scratch/$name

# The secrets' values, to be replaced wherever they appear.
: >"$scratch/secrets"
if [ -e "$dir/.env" ] && [ ! -r "$dir/.env" ]; then
  die "$dir/.env cannot be read, so its secrets could not be redacted: run this as the installation's owner (sudo)"
fi
if [ -r "$dir/.env" ]; then
  sed -n 's/^[A-Za-z_][A-Za-z0-9_]*=//p' "$dir/.env" | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/" >>"$scratch/secrets"
fi
redact() {
  awk -v secrets="$scratch/secrets" '
    BEGIN { while ((getline s < secrets) > 0) if (length(s) >= 4) secret[++n] = s }
    {
      for (i = 1; i <= n; i++)
        while ((at = index($0, secret[i])) > 0)
          $0 = substr($0, 1, at - 1) "[REDACTED]" substr($0, at + length(secret[i]))
      print
    }' |
    sed -E 's/(([A-Za-z0-9_]*(PASSWORD|SECRET|TOKEN|KEY|password|secret|token|key))["]?[=:][ ]*"?)[^", ]+/\1[REDACTED]/g'
}
run() {
  local file=$1
  shift
  { "$@" 2>&1 || echo "(exit $?)"; } | redact >"$collected/$file"
}

inspect_containers() {
  local ids
  ids=$(compose ps -q)
  # shellcheck disable=SC2086 # one argument per container
  [ -z "$ids" ] || docker inspect $ids
}

cp "$dir/BUNDLE" "$collected/BUNDLE" 2>/dev/null || echo "no BUNDLE in $dir" >"$collected/BUNDLE"
run host.txt sh -c 'uname -a; echo; df -h / /var/lib/docker 2>/dev/null; echo; free -m 2>/dev/null'
run docker-version.txt docker version
run compose-config.yaml compose config
run compose-ps.txt compose ps
run compose-logs.txt compose logs --no-color --tail 5000
run containers.json inspect_containers
run images.txt docker image ls --digests
run volumes.txt docker volume ls --filter "label=dev.sitectl.site=$SITE"
tar -czf "$out" -C "$scratch" "$name"
say "wrote $out: read it, then send it to us"
