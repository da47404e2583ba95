# Sourced by build.sh and test-image.sh: the options podman needs on this machine, found by trying a
# container of IMAGE ($1). None where podman works as installed. In a VM like this project's (cgroup v1
# with cgroup v2 beside it, no CAP_SYS_RESOURCE), crun refuses "cgroups in hybrid mode" and podman's
# default limits (nofile 1048576) cannot be set: runc instead, and limits no higher than this shell's.
# Sets podman_global (before the command) and podman_limits (after run or build).
podman_global=()
podman_limits=()
if ! probe_error="$(podman run --rm --network host --entrypoint /bin/true "$1" 2>&1)"; then
  echo "== podman as installed cannot start a container here: ${probe_error##*Error: }"
  command -v runc >/dev/null || "$(dirname "${BASH_SOURCE[0]}")/../install-debian-deps.sh" <(printf 'runc\n')
  podman_global=(--runtime runc)
  podman_limits=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
  probe_error="$(podman "${podman_global[@]}" run --rm --network host "${podman_limits[@]}" --entrypoint /bin/true "$1" 2>&1)" \
    || { echo "podman cannot start a container with runc either: $probe_error" >&2; exit 1; }
  echo "   with: ${podman_global[*]} ${podman_limits[*]}"
fi
