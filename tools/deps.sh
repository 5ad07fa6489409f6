#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages that building dmwatch, the VM test bed and the tests need.
# The other kernels of the test matrix (5.10, 6.12, 7.x) are not installed: they are
# fetched beside the machine's by tools/vm/kernels.sh (make check-kernels).
# Says what it installs; installs nothing when everything is there.
set -eu

PKGS="make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev \
libdevmapper-dev libyajl-dev qemu-system-x86 linux-image-amd64 busybox-static \
lvm2 dmsetup thin-provisioning-tools kpartx cpio kmod e2fsprogs python3 python3-jsonschema \
libclang-rt-14-dev dpkg-dev debhelper fakeroot chromium hyperfine time bsdutils \
debian-archive-keyring xz-utils prometheus fio bpftrace tmux dmeventd strace"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root; run: sudo apt-get install$missing" >&2
	exit 3
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
