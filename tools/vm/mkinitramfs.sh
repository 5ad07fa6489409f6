#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh [OUT] - build the initramfs that boots the dmwatch test VM.
#
# Debian's kernel has 9p and overlayfs (before 6.12 also virtio_pci) as modules,
# so it cannot mount a 9p root on its own.  This initramfs carries a static
# busybox plus exactly those modules and what they depend on.  Its /init mounts the host's root read-only over 9p (tag "hostroot"),
# stacks an overlay with a tmpfs upper on it (so the guest can write /etc, /run,
# /etc/pve ... and nothing ever reaches the host), mounts the writable 9p share
# "results" at /results and switch_roots into the overlay, running the
# guest-side script named by "dmwatch.init=PATH" on the kernel command line
# (tools/vm/guest-init.sh).
#
# OUT defaults to .output/vm/initramfs.cpio.gz in the repository.  The image is
# rebuilt only when the kernel, its modules directory, busybox or this script changed (a stamp
# file OUT.stamp records what it was built from).
#
# Environment:
#   VM_KERNEL   kernel image to build for (default: newest /boot/vmlinuz-* that
#               has /lib/modules/<version>/modules.dep)
#   VM_MODDIR   its modules, .../lib/modules/KVER (default /lib/modules/KVER; a
#               kernel fetched by tools/vm/kernels.sh lives elsewhere)
#   VM_BUSYBOX  static busybox binary (default: /bin/busybox, /usr/bin/busybox)
set -eu

me=$(basename "$0")
die() { echo "$me: error: $*" >&2; exit 1; }

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$script_dir/../.." && pwd)
out=${1:-$repo/.output/vm/initramfs.cpio.gz}

# What /init needs to mount its root: virtio PCI, 9p over virtio, overlayfs.  The
# kernel says which module files that takes and in which order (modprobe
# --show-depends): virtio_pci is built in from 6.12 on, netfs exists from 6.1 on,
# the legacy/modern virtio_pci helpers from 5.14 on.  No fixed list to keep true.
ROOT_MODULES="virtio_pci 9pnet_virtio 9p overlay"

# --- kernel ---------------------------------------------------------------------
# VM_KERNEL and VM_MODDIR come from tools/vm/common.sh (kernels.sh resolve); alone,
# this script takes the machine's newest installed kernel.
if [ -n "${VM_KERNEL:-}" ]; then
	kernel=$VM_KERNEL
else
	r=$("$script_dir/kernels.sh" resolve bookworm) || die "no installed kernel"
	kernel=${r%% *}
	VM_MODDIR=${r#* }
fi
[ -r "$kernel" ] || die "kernel $kernel is missing or unreadable"
moddir=${VM_MODDIR:-/lib/modules/${kernel##*/vmlinuz-}}
kver=${moddir##*/}
[ -f "$moddir/modules.dep" ] || die "no $moddir/modules.dep for kernel $kernel"
# modprobe -d wants the root that holds lib/modules/KVER
modroot=${moddir%/lib/modules/"$kver"}
[ -n "$modroot" ] || modroot=/

# --- busybox --------------------------------------------------------------------
busybox=${VM_BUSYBOX:-}
if [ -z "$busybox" ]; then
	for b in /bin/busybox /usr/bin/busybox; do
		[ -x "$b" ] && { busybox=$b; break; }
	done
fi
if [ -z "$busybox" ] || [ ! -x "$busybox" ]; then
	die "no busybox (apt-get install busybox-static)"
fi
# A dynamic busybox would need the host's libc inside the initramfs.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; install busybox-static or set VM_BUSYBOX"
fi

# --- up to date? ----------------------------------------------------------------
stamp_want="kver=$kver moddir=$moddir script=$(cksum < "$0") busybox=$(cksum < "$busybox")"
if [ -f "$out" ] && [ -f "$out.stamp" ] && [ "$(cat "$out.stamp")" = "$stamp_want" ]; then
	exit 0
fi

echo "  INITRD   $out (kernel $kver)"
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "${TMPDIR:-/tmp}/dmwatch-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
root=$work/root
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/lib/modules" \
	"$root/host" "$root/rw" "$root/newroot"

cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done

# Module files in load order, each once (modprobe lists a shared dependency again
# for every module that needs it).  Stored uncompressed: busybox insmod reads
# compressed ones only if built with the matching feature, and the kernel
# decompresses by itself only with CONFIG_MODULE_DECOMPRESS.
# shellcheck disable=SC2086
deps=$(modprobe -d "$modroot" -S "$kver" --show-depends -a $ROOT_MODULES) ||
	die "modprobe cannot resolve $ROOT_MODULES for $kver in $moddir"
: > "$root/modules.list"
echo "$deps" | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r src; do
	m=${src##*/}
	m=${m%%.ko*}
	dst=$root/lib/modules/$m.ko
	case $src in
	*.ko)     cp "$src" "$dst" ;;
	*.ko.xz)  xz -dc "$src" > "$dst" 2>/dev/null || "$busybox" xzcat "$src" > "$dst" ||
			die "cannot decompress $src" ;;
	*.ko.gz)  gzip -dc "$src" > "$dst" || die "cannot decompress $src" ;;
	*.ko.zst) zstd -qdc "$src" > "$dst" || die "cannot decompress $src (install zstd)" ;;
	*)        die "unexpected module file $src" ;;
	esac
	echo "$m" >> "$root/modules.list"
done
echo "  INITRD   modules: $(echo "$deps" | awk '$1 == "builtin" { printf "%s (built in) ", $2 }')$(tr '\n' ' ' < "$root/modules.list")"

cat > "$root/init" <<'INIT'
#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the dmwatch test VM, generated by tools/vm/mkinitramfs.sh.
export PATH=/bin

# The cpio has no device nodes (building it needs no root), so the kernel could
# not open /dev/console for us: get a console from devtmpfs first.
mount -t devtmpfs devtmpfs /dev
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

# Say why and power off: a guest that stops here must end QEMU at once instead of
# leaving the host to wait for its timeout.  If even poweroff fails, leaving PID 1
# panics the kernel and panic=-1 with -no-reboot ends QEMU as well.
fatal() {
	echo "dmwatch-vm: FATAL: $*"
	poweroff -f
	exit 1
}

while read -r m; do
	insmod "/lib/modules/$m.ko" || echo "dmwatch-vm: warning: insmod $m failed"
done < /modules.list

ginit=
for arg in $(cat /proc/cmdline); do
	case $arg in
	dmwatch.init=*) ginit=${arg#dmwatch.init=} ;;
	esac
done
[ -n "$ginit" ] || fatal "no dmwatch.init=PATH on the kernel command line"

# msize: 512 KiB messages instead of the 8 KiB default make 9p reads far faster.
p9opts=trans=virtio,version=9p2000.L,msize=512000
# cache=loose on the read-only host root: files stay in the guest's page cache as on
# a node's own disk, instead of every exec and library load going back over 9p (it
# made each process start ~20 ms dearer, so timings measured the transport).
# Everything the guest needs is in place before it boots.
mount -t 9p -o "$p9opts,ro,cache=loose" hostroot /host ||
	fatal "cannot mount the host root over 9p (tag hostroot); filesystems: $(grep -E '9p|overlay' /proc/filesystems | tr '\n\t' '  ')"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	fatal "cannot mount the overlay over the host root"
mkdir -p /newroot/results
mount -t 9p -o "$p9opts" results /newroot/results ||
	fatal "cannot mount the results share over 9p (tag results)"

for d in proc sys dev; do
	mount --move "/$d" "/newroot/$d" || fatal "cannot move /$d into the new root"
done

[ -x /newroot/bin/bash ] || fatal "no /bin/bash in the host root"
[ -r "/newroot$ginit" ] || fatal "guest script $ginit is not visible in the guest"
exec switch_root /newroot /bin/bash "$ginit"
INIT
chmod 0755 "$root/init"

# Sorted, fixed-order archive: the same inputs give the same image.
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -n -6 > "$work/initramfs"
mv "$work/initramfs" "$out"
echo "$stamp_want" > "$out.stamp"
