#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-matrix.sh "KERNELS" [PATTERN] - the VM scenarios on each kernel of the
# matrix (`make check-kernels`): one boot per kernel, tools/vm/run-tests.sh with
# VM_KERNEL set to it and results in .output/vm-KERNEL/.  KERNELS is a list of
# suites or versions (tools/vm/kernels.sh: bullseye bookworm trixie sid, 5.10
# 6.1 6.12 7); a kernel not fetched yet is fetched first.  PATTERN selects
# scenarios as in run-tests.sh.  Ends with one line per kernel (passed, failed,
# minutes) and "matrix: N kernels passed, N failed"; exits 1 if any failed.

set -u
VM_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$VM_DIR/../.." && pwd)

case ${1:-} in
"" | -h | --help)
	sed -n '4,11s/^# \{0,1\}//p' "$0"
	[ -n "${1:-}" ]
	exit $? ;;
esac
read -r -a kernels <<< "$1"
pattern=${2:-}

"$VM_DIR/kernels.sh" fetch "${kernels[@]}" || exit 2

summary=()
bad=0
for k in "${kernels[@]}"; do
	t0=$SECONDS
	log=$REPO/.output/vm-$k.log
	mkdir -p "$REPO/.output"
	echo "=== kernel $k ==="
	VM_KERNEL=$k VM_OUT=$REPO/.output/vm-$k "$VM_DIR/run-tests.sh" "$pattern" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	secs=$((SECONDS - t0))
	line=$(grep -E '^vm: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	kver=$(sed -n 's/^vm: [0-9]* scenario(s), kernel \([^,]*\),.*/\1/p' "$log" | head -n 1)
	summary+=("$(printf '%-9s %-24s %s (%dm%02ds)' "$k" "${kver:-?}" "${line#vm: }" $((secs / 60)) $((secs % 60)))")
	[ "$rc" = 0 ] || bad=$((bad + 1))
done

echo "=== matrix ==="
printf '%s\n' "${summary[@]}"
echo "matrix: $((${#kernels[@]} - bad)) kernels passed, $bad failed"
[ "$bad" = 0 ]
