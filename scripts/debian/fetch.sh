#!/usr/bin/env bash
# Downloads the exact Debian kernel packages the bundled Debian atlases are built from, with a
# private apt configuration under .cache/apt (the system's apt sources are not touched).
#
# usage: scripts/debian/fetch.sh [--dbg ID]   (run from anywhere; needs apt-get and network)
#   DEST: $BPF_ATLAS_DEB_DIR or <repo>/.cache/debs. Files already present are skipped; a copy in
#   $BPF_ATLAS_DEB_CACHE (default /work/cache/debs, if it exists) is used instead of downloading.
#   --dbg ID also fetches that kernel's -dbg package (~1 GB) for scripts/debian/dwarf-inline.sh.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dest="${BPF_ATLAS_DEB_DIR:-$repo/.cache/debs}"
cache="${BPF_ATLAS_DEB_CACHE:-/work/cache/debs}"
apt_dir="$repo/.cache/apt"
mkdir -p "$dest" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"

# id  package  version  (keep in step with scripts/debian/kernels.ts)
packages=(
  "debian-11 linux-image-5.10.0-46-amd64-unsigned 5.10.262-1"
  "debian-12 linux-image-6.1.0-56-amd64-unsigned 6.1.192-2"
  "debian-13 linux-image-6.12.107+deb13-amd64-unsigned 6.12.107-1"
  "debian-sid linux-binary-unsigned-7.2.13+deb14-amd64 7.2.13-1"
  "debian-sid linux-modules-7.2.13+deb14-amd64 7.2.13-1"
  "debian-sid linux-headers-7.2.13+deb14-amd64 7.2.13-1"
)
declare -A dbg_release=(
  [debian-11]="5.10.0-46-amd64 5.10.262-1"
  [debian-12]="6.1.0-56-amd64 6.1.192-2"
  [debian-13]="6.12.107+deb13-amd64 6.12.107-1"
  [debian-sid]="7.2.13+deb14-amd64 7.2.13-1"
)
if [[ "${1:-}" == "--dbg" ]]; then
  id="${2:?usage: fetch.sh --dbg ID}"
  read -r rel ver <<<"${dbg_release[$id]:?unknown id $id}"
  packages+=("$id linux-image-$rel-dbg $ver")
fi

cat > "$apt_dir/sources.list" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bullseye-security main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
EOF
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
          -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache")

missing=()
for row in "${packages[@]}"; do
  read -r _id pkg ver <<<"$row"
  file="${pkg}_${ver}_amd64.deb"
  if [[ -s "$dest/$file" ]]; then continue; fi
  if [[ -s "$cache/$file" ]]; then cp "$cache/$file" "$dest/$file"; echo "copied $file from $cache"; continue; fi
  missing+=("$pkg=$ver")
done

if ((${#missing[@]})); then
  apt-get "${apt_opts[@]}" update
  (cd "$dest" && apt-get "${apt_opts[@]}" download "${missing[@]}")
fi
echo "Debian kernel packages in $dest:"
ls -l "$dest"
