#!/usr/bin/env bash
# Installs this bundle on a host with Docker: checks every file against the
# signed SHA256SUMS and the license, loads the images, proves each is the
# image it is pinned to, and starts the site with Docker Compose. Nothing is
# loaded or started until every check has passed.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

usage() {
  cat <<USAGE
Usage: ./install.sh [--dir DIR] [--public-key FILE] [--timeout SECONDS]

Installs $SITE $VERSION into DIR [default: /opt/sitectl/$SITE] and starts it.
  --dir DIR           the installation's folder: compose.yaml, .env (its secrets)
  --public-key FILE   our public key, as received apart from the bundle
                      [default: the bundle's own copy, fingerprint shown]
  --timeout SECONDS   how long the site may take to become healthy [default: 600]
An installation that exists already is upgraded with upgrade.sh instead.
USAGE
}

checked_arguments "$@"
need docker openssl
if [ -e "$dir/compose.yaml" ]; then
  die "$dir holds an installation already ($(awk '$1 == "version" { print $2 }' "$dir/BUNDLE" 2>/dev/null || true)): run ./upgrade.sh --dir $dir to install $VERSION over it"
fi
mkdir -p "$dir"
load_images
install_compose_files
if [ ! -e "$dir/.env" ]; then
  # The database password is chosen here, once: Postgres keeps it in its
  # volume from the first start on.
  password=$(openssl rand -hex 24)
  (
    umask 077
    sed -e "s|^POSTGRES_PASSWORD=.*|POSTGRES_PASSWORD=$password|" "$dir/.env.example" >"$dir/.env.new"
  )
  mv "$dir/.env.new" "$dir/.env"
fi
set_license
compose up -d || die "docker compose up failed (above): see \`docker logs\` of the container it names, and run ./collect-diagnostics.sh --dir $dir for us"
wait_healthy "$timeout"
say "installed $SITE $VERSION in $dir"
