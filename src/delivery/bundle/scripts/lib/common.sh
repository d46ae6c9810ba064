# shellcheck shell=bash
# Shared by install.sh, upgrade.sh, verify.sh and collect-diagnostics.sh:
# sourced by them, never run on its own. Written by `sitectl bundle`.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '%s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

# A field of the bundle's BUNDLE file (`site NAME`, `version RELEASE`).
field() { awk -v key="$1" '$1 == key { print $2; exit }' "$here/BUNDLE"; }
SITE=$(field site)
VERSION=$(field version)
if [ -z "$SITE" ] || [ -z "$VERSION" ]; then
  die "$here/BUNDLE names no site or version: this is not a whole bundle"
fi
# The installation's folder, set by each script's --dir.
dir=/opt/sitectl/$SITE

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "this needs \`$tool\`, which is not installed on this host"
  done
}

# The public key that judges the bundle: --public-key, else the bundle's
# own copy, whose fingerprint the customer compares with the delivery note.
public_key() {
  local given=$1
  if [ -n "$given" ]; then
    [ -r "$given" ] || die "--public-key $given: no such file"
    printf '%s\n' "$given"
    return
  fi
  say "note: checking with the bundle's own public key, sha256 $(sha256sum "$here/sitectl-public.pem" | cut -d' ' -f1)"
  say "      compare it with the fingerprint in your delivery note, or pass the key you received separately with --public-key FILE"
  printf '%s\n' "$here/sitectl-public.pem"
}

# Every file as we signed it, and nothing else: the signature over
# SHA256SUMS first, then each file's SHA-256, then no file beside them.
verify_bundle() {
  local key=$1 unlisted odd
  need sha256sum openssl awk comm
  [ -f "$here/SHA256SUMS" ] && [ -f "$here/SHA256SUMS.sig" ] ||
    die "the bundle has no SHA256SUMS or no SHA256SUMS.sig: it is not whole; ask us for a new copy"
  openssl dgst -sha256 -verify "$key" -signature "$here/SHA256SUMS.sig" "$here/SHA256SUMS" >/dev/null 2>&1 ||
    die "the bundle's signature does not verify with $key: it was changed after it was signed, or it is not ours. Load nothing from it; ask us for a new copy"
  (cd "$here" && sha256sum --check --strict --quiet SHA256SUMS) ||
    die "a file of the bundle differs from the one that was signed (above): it was damaged or changed. Load nothing from it; copy the bundle again"
  odd=$(cd "$here" && find . ! -type f ! -type d | sed 's#^\./##')
  [ -z "$odd" ] ||
    die "the bundle's folder holds links or other non-files, which a bundle never has: $(echo "$odd" | tr '\n' ' ')- unpack the bundle again into an empty folder"
  unlisted=$(cd "$here" && find . ! -type d ! -path ./SHA256SUMS ! -path ./SHA256SUMS.sig | sed 's#^\./##' | LC_ALL=C sort |
    LC_ALL=C comm -23 - <(awk '{ print $2 }' SHA256SUMS | LC_ALL=C sort))
  [ -z "$unlisted" ] ||
    die "the bundle's folder holds files that were not signed: $(echo "$unlisted" | tr '\n' ' ')- unpack the bundle into an empty folder"
  say "verified: every file of the bundle of $SITE $VERSION is as it was signed"
}

b64url_decode() {
  local text
  text=$(printf '%s' "$1" | tr '_-' '/+')
  case $((${#text} % 4)) in
    2) text="$text==" ;;
    3) text="$text=" ;;
  esac
  printf '%s' "$text" | base64 -d 2>/dev/null
}

# The license key: signed by our key, and valid today by this host's clock.
check_license() {
  local key=$1 token header payload signature rest scratch claims exp nbf now
  token=$(tr -d ' \r\n' <"$here/license/license.jwt")
  # Three base64url parts: nothing else may reach the commands below.
  [[ $token =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]] ||
    die "license/license.jwt is not a license key (three base64url parts joined by dots): ask us for a new license"
  header=${token%%.*}
  rest=${token#*.}
  payload=${rest%%.*}
  signature=${rest#*.}
  scratch=$(mktemp -d)
  printf '%s.%s' "$header" "$payload" >"$scratch/signed"
  if ! b64url_decode "$signature" >"$scratch/signature"; then
    rm -rf "$scratch"
    die "the license key's signature is not base64url: ask us for a new license"
  fi
  if ! openssl dgst -sha256 -verify "$key" -signature "$scratch/signature" "$scratch/signed" >/dev/null 2>&1; then
    rm -rf "$scratch"
    die "the license key's signature does not verify with $key: ask us for a new license"
  fi
  rm -rf "$scratch"
  claims=$(b64url_decode "$payload") || die "the license key's claims are not base64url: ask us for a new license"
  exp=$(printf '%s' "$claims" | sed -n 's/.*"exp":\([0-9][0-9]*\).*/\1/p')
  nbf=$(printf '%s' "$claims" | sed -n 's/.*"nbf":\([0-9][0-9]*\).*/\1/p')
  [ -n "$exp" ] && [ -n "$nbf" ] || die "the license key names no validity period: ask us for a new license"
  now=$(date +%s)
  if [ "$now" -ge "$exp" ]; then
    die "the license expired on $(date -u -d "@$((exp - 1))" +%F) (this host's clock says $(date -u +%F)): install nothing; ask us for a renewed license and bundle"
  fi
  if [ "$now" -lt "$nbf" ]; then
    die "the license starts on $(date -u -d "@$nbf" +%F) (this host's clock says $(date -u +%F)): install on or after that day, or check the clock"
  fi
  say "license: valid until $(date -u -d "@$((exp - 1))" +%F)"
}

# Every image of images.txt into the local engine, named as compose.yaml
# runs it. Each archive's bytes were checked against the signed SHA256SUMS,
# and sitectl checked at build time that it holds the pinned image; the ID
# the engine reports is checked again where the engine reports image IDs
# (the classic image store; the containerd store reports manifest digests).
load_images() {
  local file id reference loaded actual
  need docker
  while read -r file id reference; do
    case $file in '' | '#'*) continue ;; esac
    say "loading $reference"
    loaded=$(docker load --input "$here/$file" | sed -n 's/^Loaded image\( ID\)\{0,1\}: //p' | tail -n 1) ||
      die "docker load --input $file failed (above)"
    [ -n "$loaded" ] || die "docker load --input $file named no image it loaded"
    docker tag "$loaded" "$reference" || die "docker tag $loaded $reference failed (above)"
    actual=$(docker image inspect --format '{{.Id}}' "$reference") ||
      die "the engine has no $reference after loading $file"
    if [ "$actual" != "$id" ]; then
      if docker info --format '{{.DriverStatus}}' 2>/dev/null | grep -q 'io.containerd.snapshotter'; then
        say "note: this engine's containerd image store names $reference $actual; its archive was checked against the signed SHA256SUMS"
      else
        die "$file holds image $actual, not the pinned $id: the bundle is not the one that was pinned; ask us for a new copy"
      fi
    fi
  done <"$here/images.txt"
}

# docker compose (v2) or docker-compose (v1), in the installation's folder.
compose() {
  if docker compose version >/dev/null 2>&1; then
    (cd "$dir" && docker compose --project-name "$SITE" "$@")
  elif command -v docker-compose >/dev/null 2>&1; then
    (cd "$dir" && docker-compose --project-name "$SITE" "$@")
  else
    die "this needs Docker Compose (\`docker compose\` or \`docker-compose\`), which is not installed on this host"
  fi
}

# Every container of the project healthy (or running, without a health
# check) within $1 seconds; an unhealthy or stopped one fails at once.
wait_healthy() {
  check_timeout "$1"
  local deadline=$(($(date +%s) + $1)) ids id state waiting
  ids=$(compose ps -a -q)
  [ -n "$ids" ] || die "no container of $SITE is running (docker compose ps shows none)"
  while :; do
    waiting=
    for id in $ids; do
      state=$(docker inspect --format '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id")
      case ${state#* } in
        healthy | running) ;;
        starting | created | restarting) waiting="$waiting ${state%% *}" ;;
        *)
          compose ps >&2 || true
          die "container ${state%% *} is ${state#* }: see \`docker logs ${state%% *}\`, and collect-diagnostics.sh for us"
          ;;
      esac
    done
    [ -z "$waiting" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      compose ps >&2 || true
      die "still not healthy after $1 seconds:$waiting (see \`docker logs\`, and collect-diagnostics.sh for us)"
    fi
    sleep 2
  done
  say "healthy: every container of $SITE"
}

# The compose files of the bundle into the installation folder.
install_compose_files() {
  install -m 0644 "$here/compose/compose.yaml" "$dir/compose.yaml.new"
  mv "$dir/compose.yaml.new" "$dir/compose.yaml"
  install -m 0644 "$here/compose/.env.example" "$dir/.env.example"
  install -m 0644 "$here/BUNDLE" "$dir/BUNDLE"
}

# The license key into .env (kept private), replacing the one there.
set_license() {
  local license
  license=$(tr -d ' \r\n' <"$here/license/license.jwt")
  rm -f "$dir/.env.new"
  (
    umask 077
    sed -e "s|^SITECTL_LICENSE_KEY=.*|SITECTL_LICENSE_KEY=$license|" "$dir/.env" >"$dir/.env.new"
  )
  mv "$dir/.env.new" "$dir/.env"
}

# A release may read variables the installed .env lacks: each is added
# empty (compose.yaml refuses to start without a required one, naming it).
add_new_variables() {
  local name
  while read -r name; do
    if ! grep -q "^$name=" "$dir/.env"; then
      printf '%s=\n' "$name" >>"$dir/.env"
      say "note: this release reads $name: it was added to $dir/.env empty; set it there if compose.yaml needs it"
    fi
  done < <(sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' "$here/compose/.env.example")
}

# A number of seconds, said so at once rather than after the images load.
check_timeout() {
  case $1 in '' | *[!0-9]*) die "--timeout $1: a number of seconds, e.g. 600" ;; esac
}

# The arguments install.sh and upgrade.sh share (each defines `usage`), then
# the checks both make before anything is loaded: sets `dir`, `key` and
# `timeout`.
checked_arguments() {
  key=
  timeout=600
  while [ $# -gt 0 ]; do
    case $1 in
      --dir) dir=${2:?--dir needs a folder}; shift 2 ;;
      --public-key) key=${2:?--public-key needs a file}; shift 2 ;;
      --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; say "error: unknown argument $1"; exit 2 ;;
    esac
  done
  check_timeout "$timeout"
  key=$(public_key "$key")
  verify_bundle "$key"
  check_license "$key"
}
