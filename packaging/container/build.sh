#!/usr/bin/env bash
# Builds the backend's image (packaging/container/Containerfile) with podman, on a machine that has no
# Docker daemon and no container registry, only a Debian mirror: the Debian 12 base images are made
# here with debootstrap and kept in ~/.cache/fleetdeck-container, then handed to the Containerfile as
# build arguments (it still builds unchanged from the registry's debian:12 where there is one).
#
#   packaging/container/build.sh [--rev REV] [--tag IMAGE] [--new-base]
#
# --rev REV builds the sources committed at REV (git archive) instead of the working tree, whose
# uncommitted changes are otherwise in the image; the recipe is always this checkout's Containerfile.
# --tag names the image (default localhost/fleetdeckd:VERSION). --new-base makes the base images afresh
# (the runtime image's packages are the base image's, plus the libraries: this is how it gets updates).
# FLEETDECK_JOBS: the compiler's parallelism inside the build (default: all the cores it sees).
# Needs root: debootstrap, and rootful podman's storage in /var/lib/containers.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${FLEETDECK_CONTAINER_CACHE:-$HOME/.cache/fleetdeck-container}"
release=12
suite=bookworm
version="$(sed -n 's/^project(fleetdeck VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
tag="localhost/fleetdeckd:$version"
rev=""
new_base=no
while (($#)); do
  case "$1" in
    --rev) rev="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --new-base) new_base=yes; shift ;;
    *) echo "usage: $0 [--rev REV] [--tag IMAGE] [--new-base]" >&2; exit 2 ;;
  esac
done
build_base="localhost/fleetdeck-debian:$release"
runtime_base="localhost/fleetdeck-debian:$release-slim"

[[ $(id -u) -eq 0 ]] || { echo "$0: needs root (debootstrap, rootful podman)" >&2; exit 1; }
command -v podman >/dev/null && command -v debootstrap >/dev/null \
  || "$root/packaging/install-debian-deps.sh" <(printf '%s\n' podman debootstrap)

# The mirrors this machine's apt uses (for SUITE), so the images' apt-get reaches what the host reaches.
apt_mirror() {  # SUITE DEFAULT
  local uri
  uri="$(apt-get indextargets --format '$(REPO_URI)' "Codename: $1" 2>/dev/null | head -n1)"
  uri="${uri%/}"
  echo "${uri:-$2}"
}

# debian:12 is debootstrap --variant=minbase (debuerreotype builds it so) with apt's sources, and
# debian:12-slim is that without documentation, man pages and translations (debuerreotype's slimify
# lists, approximated): both made once from the mirror and cached as tar files.
make_base_images() {
  local mirror security
  mirror="$(apt_mirror "$suite" http://deb.debian.org/debian)"
  security="$(apt_mirror "$suite-security" http://deb.debian.org/debian-security)"
  rootfs="$(mktemp -d /var/tmp/fleetdeck-rootfs.XXXXXX)"
  echo "== debootstrap --variant=minbase $suite from $mirror"
  nice -n 15 debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache/debootstrap.log" >&2; return 1; }
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # As in the official images: no services started by package scripts, no downloaded .debs kept.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  # debootstrap takes the release's packages: security and point-release updates come from apt.
  echo "== apt-get upgrade in the new root ($suite-updates, $suite-security)"
  { chroot "$rootfs" apt-get update -qq && DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get upgrade -y -qq; } \
    >>"$cache/debootstrap.log" 2>&1 || { tail -n 20 "$cache/debootstrap.log" >&2; return 1; }
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
  tar --numeric-owner --xattrs -C "$rootfs" -cf "$cache/debian-$release.tar" .

  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$rootfs/usr/share/locale" -mindepth 1 -not -name locale.alias -delete
  rm -rf "$rootfs"/usr/share/{groff,info,linda,man}/* "$rootfs"/usr/share/lintian/overrides/*
  tar --numeric-owner --xattrs -C "$rootfs" -cf "$cache/debian-$release-slim.tar" .
  rm -rf "$rootfs"
  rootfs=""
}

import_base_image() {  # NAME TAR
  podman image exists "$1" && return 0
  echo "== podman import $2 as $1"
  podman import --change 'CMD ["bash"]' --message "debootstrap --variant=minbase $suite (packaging/container/build.sh)" \
    --quiet "$2" "$1" >/dev/null
}

mkdir -p "$cache"
rootfs=""
trap '[[ -z $rootfs ]] || rm -rf "$rootfs"' EXIT
if [[ $new_base == yes ]]; then
  rm -f "$cache/debian-$release.tar" "$cache/debian-$release-slim.tar"
  podman untag "$build_base" "$build_base" 2>/dev/null || true
  podman untag "$runtime_base" "$runtime_base" 2>/dev/null || true
fi
if ! podman image exists "$build_base" || ! podman image exists "$runtime_base"; then
  [[ -f "$cache/debian-$release.tar" && -f "$cache/debian-$release-slim.tar" ]] || make_base_images
  import_base_image "$build_base" "$cache/debian-$release.tar"
  import_base_image "$runtime_base" "$cache/debian-$release-slim.tar"
fi
source "$root/packaging/container/podman-options.sh" "$runtime_base"

# The build context: the working tree as it is, or a clean export of REV.
context="$root"
if [[ -n $rev ]]; then
  context="$(mktemp -d /var/tmp/fleetdeck-context.XXXXXX)"
  trap '[[ -z $rootfs ]] || rm -rf "$rootfs"; rm -rf "$context"' EXIT
  git -C "$root" archive "$rev" | tar -x -C "$context"
  echo "== context: $rev ($(git -C "$root" rev-parse --short "$rev"))"
fi

echo "== podman build $tag (compile jobs: ${FLEETDECK_JOBS:-all cores})"
start=$SECONDS
# nice: the compile shares the machine. --network host: the build's apt-get uses the host's route to
# the mirror. docker format: OCI images drop HEALTHCHECK.
nice -n 15 podman "${podman_global[@]}" build "${podman_limits[@]}" --pull=never --network host --format docker \
  --file "$root/packaging/container/Containerfile" \
  --ignorefile "$root/packaging/container/Containerfile.dockerignore" \
  --build-arg BUILD_IMAGE="$build_base" --build-arg RUNTIME_IMAGE="$runtime_base" \
  --build-arg BUILD_JOBS="${FLEETDECK_JOBS:-}" \
  --tag "$tag" "$context"
echo "== built $tag in $((SECONDS - start)) s: $(podman image inspect --format '{{.Size}}' "$tag") bytes"
