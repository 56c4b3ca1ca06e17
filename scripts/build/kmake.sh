#!/usr/bin/env bash
# Run make in a variant's tree and build directory with the rig's toolchain
# arguments (ccache included), for hand work on a built variant:
#   kmake.sh VARIANT [make targets and variables...]
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init
kbuild_env

variant=${1:?usage: kmake.sh VARIANT [make args...]}
variant_check "$variant"
shift
mapfile -t margs < <(kmake_args "$(variant_toolchain "$variant")")
exec make -C "$(tree_dir "$(variant_tree "$variant")")" O="$(build_dir "$variant")" "${margs[@]}" "$@"
