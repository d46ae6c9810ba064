#!/usr/bin/env bash
# Checks this bundle without installing anything: the signature over
# SHA256SUMS, every file's SHA-256, no file beside them, and the license.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

key=
while [ $# -gt 0 ]; do
  case $1 in
    --public-key) key=${2:?--public-key needs a file}; shift 2 ;;
    -h | --help) echo "Usage: ./verify.sh [--public-key FILE]"; exit 0 ;;
    *) say "error: unknown argument $1 (usage: ./verify.sh [--public-key FILE])"; exit 2 ;;
  esac
done
key=$(public_key "$key")
verify_bundle "$key"
check_license "$key"
