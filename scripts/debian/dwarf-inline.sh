#!/usr/bin/env bash
# Recomputes the DWARF inline classes of one Debian kernel from its -dbg package:
#   scripts/debian/dwarf-inline.sh ID [OUT_DIR]      (ID: debian-11 | debian-12 | debian-13 | debian-sid)
# Downloads linux-image-<release>-dbg (~0.8-1.2 GB) with fetch.sh, unpacks only the debug vmlinux,
# streams `llvm-dwarfdump-14 --debug-info` through out/scripts/debian/dwarf-inline.js and writes
# OUT_DIR/<version>-inline.tsv.gz and <version>-self-sites.tsv.gz (the files build.ts reads with
# --inline OUT_DIR). Needs: apt package llvm-14 (llvm-dwarfdump-14), `npx tsc -p .` done, ~2-3 GB
# of free space under .cache. Deletes the unpacked debug vmlinux afterwards (not the .deb).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
id="${1:?usage: dwarf-inline.sh ID [OUT_DIR]}"
out="${2:-$repo/.cache/inline}"
debs="${BPF_ATLAS_DEB_DIR:-$repo/.cache/debs}"
case "$id" in
  debian-11) rel=5.10.0-46-amd64 ver=5.10.262-1 short=5.10 image=linux-image-5.10.0-46-amd64-unsigned member='./boot/vmlinuz-*' ;;
  debian-12) rel=6.1.0-56-amd64 ver=6.1.192-2 short=6.1 image=linux-image-6.1.0-56-amd64-unsigned member='./boot/vmlinuz-*' ;;
  debian-13) rel=6.12.107+deb13-amd64 ver=6.12.107-1 short=6.12 image=linux-image-6.12.107+deb13-amd64-unsigned member='./boot/vmlinuz-*' ;;
  debian-sid) rel=7.2.13+deb14-amd64 ver=7.2.13-1 short=7.2 image=linux-binary-unsigned-7.2.13+deb14-amd64 member='./usr/lib/modules/*/vmlinuz.unsigned' ;;
  *) echo "unknown id $id" >&2; exit 2 ;;
esac
command -v llvm-dwarfdump-14 >/dev/null || { echo "llvm-dwarfdump-14 missing: apt-get install llvm-14" >&2; exit 1; }
[[ -f "$repo/out/scripts/debian/dwarf-inline.js" ]] || { echo "run 'npx tsc -p .' first" >&2; exit 1; }
"$repo/scripts/debian/fetch.sh" --dbg "$id" >/dev/null
work="$repo/.cache/dwarf/$id"
rm -rf "$work" && mkdir -p "$work" "$out"
trap 'rm -rf "$work"' EXIT
# 6.1-6.12 keep the debug vmlinux in usr/lib/debug/boot; 7.x in usr/lib/debug/lib/modules/<rel>/.
dpkg-deb --fsys-tarfile "$debs/linux-image-${rel}-dbg_${ver}_amd64.deb" \
  | tar -x -C "$work" --wildcards "./usr/lib/debug/boot/vmlinux-$rel" "./usr/lib/debug/lib/modules/$rel/vmlinux" 2>/dev/null || true
dbg="$(find "$work/usr/lib/debug" -name 'vmlinux*' -type f -size +100M | head -1)"
[[ -n "$dbg" ]] || { echo "no debug vmlinux found in the -dbg package" >&2; exit 1; }
dpkg-deb --fsys-tarfile "$debs/${image}_${ver}_amd64.deb" | tar -x -C "$work" --wildcards "$member"
vmlinuz="$(find "$work" -name 'vmlinuz*' -type f | head -1)"
node "$repo/out/scripts/debian/dwarf-inline.js" "$dbg" "$vmlinuz" "$work/$short"
gzip -9n < "$work/$short-inline.tsv" > "$out/$short-inline.tsv.gz"
gzip -9n < "$work/$short-self-sites.tsv" > "$out/$short-self-sites.tsv.gz"
echo "wrote $out/$short-inline.tsv.gz $out/$short-self-sites.tsv.gz"
