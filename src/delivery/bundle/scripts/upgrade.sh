#!/usr/bin/env bash
# Upgrades an installation to this bundle: the same checks as install.sh
# (signature, checksums, license, image IDs) before anything is loaded, then
# the new images and compose.yaml, with .env (the database password) and the
# data volumes kept. The previous compose.yaml stays as compose.yaml.previous.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

usage() {
  cat <<USAGE
Usage: ./upgrade.sh [--dir DIR] [--public-key FILE] [--timeout SECONDS]

Upgrades the installation in DIR [default: /opt/sitectl/$SITE] to $SITE $VERSION.
  --dir DIR           the installation's folder, as install.sh made it
  --public-key FILE   our public key, as received apart from the bundle
                      [default: the bundle's own copy, fingerprint shown]
  --timeout SECONDS   how long the site may take to become healthy [default: 600]
Its data (the Docker volumes) and .env are kept.
USAGE
}

checked_arguments "$@"
need docker
[ -e "$dir/compose.yaml" ] && [ -e "$dir/.env" ] ||
  die "$dir holds no installation (no compose.yaml or .env): run ./install.sh --dir $dir"
installed=$(awk '$1 == "site" { print $2; exit }' "$dir/BUNDLE" 2>/dev/null || true)
[ -z "$installed" ] || [ "$installed" = "$SITE" ] ||
  die "$dir holds site $installed, and this bundle is for $SITE"
from=$(awk '$1 == "version" { print $2; exit }' "$dir/BUNDLE" 2>/dev/null || true)
load_images
cp "$dir/compose.yaml" "$dir/compose.yaml.previous"
install_compose_files
set_license
add_new_variables
compose up -d --remove-orphans || die "docker compose up failed (above): see \`docker logs\` of the container it names, and run ./collect-diagnostics.sh --dir $dir for us; compose.yaml.previous is the release before"
wait_healthy "$timeout"
say "upgraded $SITE from ${from:-an unknown release} to $VERSION in $dir (the previous compose.yaml is compose.yaml.previous)"
