#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Regenerate vmlinux/<arch>/vmlinux.h from a BTF-enabled kernel.
#
# Default source: the newest Debian kernel image in /boot (the kernel the VM tests
# boot and the one Proxmox-like hosts run), so CO-RE field names match what we load
# against. The compressed bzImage payload is located by its xz/zstd/gzip magic and
# unpacked to an ELF vmlinux, whose .BTF section bpftool dumps.
# Override: KERNEL=/boot/vmlinuz-X, or BTF=/sys/kernel/btf/vmlinux for a running kernel.
set -eu
arch=${1:-x86}
dir=$(cd "$(dirname "$0")/.." && pwd)/vmlinux/$arch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -z "${BTF:-}" ]; then
	kernel=${KERNEL:-$(ls -v /boot/vmlinuz-* | tail -n 1)}
	ver=$(basename "$kernel" | sed 's/^vmlinuz-//')
	hex=$(od -An -v -tx1 "$kernel" | tr -d ' \n')
	for magic in fd377a585a00:xz 28b52ffd:zstd 1f8b0800:gzip; do
		off=$(printf '%s' "$hex" | grep -ob "${magic%%:*}" | head -n 1 | cut -d: -f1)
		[ -n "$off" ] || continue
		tail -c +$((off / 2 + 1)) "$kernel" | "${magic##*:}" -dc > "$tmp/vmlinux" 2>/dev/null || true
		[ -s "$tmp/vmlinux" ] && break
	done
	[ -s "$tmp/vmlinux" ] || { echo "gen-vmlinux: cannot unpack $kernel" >&2; exit 3; }
	BTF=$tmp/vmlinux
else
	ver=$(uname -r)
fi

mkdir -p "$dir"
bpftool btf dump file "$BTF" format c > "$dir/vmlinux_$ver.h"
ln -sf "vmlinux_$ver.h" "$dir/vmlinux.h"
echo "gen-vmlinux: $dir/vmlinux.h -> vmlinux_$ver.h"
