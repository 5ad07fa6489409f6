#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh - the kernel matrix the VM tests boot: Debian's own kernels from
# several releases, fetched beside the machine's, never installed into it.
#
#   kernels.sh fetch [SUITE...]   download and unpack each suite's kernel (default:
#                                 every suite of the matrix); does nothing for a suite
#                                 already unpacked, so it is safe to run every time
#   kernels.sh update [SUITE...]  the same, but asks the archive for a newer kernel
#   kernels.sh resolve SPEC       print "KERNEL_IMAGE MODULES_DIR" for SPEC: a suite
#                                 name, a version prefix of a fetched or installed
#                                 kernel (5.10, 6.12, 7), or a path to a vmlinuz
#   kernels.sh list               the matrix: suite, kernel version, image
#
# The matrix (oldest first):
#   bullseye  5.10  vmlinux BTF but no module BTF (like Proxmox VE 7's 5.15)
#   bookworm  6.1   the machine's own linux-image-amd64 (installed by `make deps`)
#   trixie    6.12  .ko.xz modules, virtio_pci built in
#   sid       7.x   the newest; split into linux-binary/-modules/-base packages
#
# The suites get an apt source list, package lists and cache of their own under
# $VM_KERNELS_DIR/apt, so the machine's own sources stay as they are; the mirror is
# the one the machine's sources name.  Each kernel is unpacked with dpkg -x into
# $VM_KERNELS_DIR/SUITE/root (vmlinuz, lib/modules/KVER) and depmod'ed there; the
# guest sees it over 9p and links /lib/modules/KVER to it (guest-init.sh).
#
# Environment:
#   VM_KERNELS_DIR  where kernels live (/var/cache/dmwatch/kernels when writable,
#                   else <repo>/.output/kernels)
#   DEBIAN_MIRROR   archive URL (default: the first deb.debian.org-like URI of the
#                   machine's sources, else http://deb.debian.org/debian)
set -euo pipefail

me=kernels
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$VM_DIR/../.." && pwd)
MATRIX="bullseye bookworm trixie sid"
INSTALLED_SUITE=bookworm

die() {
	echo "$me: error: $*" >&2
	exit 1
}
say() { echo "  KERNEL   $*" >&2; }

kernels_dir() {
	if [ -n "${VM_KERNELS_DIR:-}" ]; then
		echo "$VM_KERNELS_DIR"
	elif mkdir -p /var/cache/dmwatch/kernels 2> /dev/null && [ -w /var/cache/dmwatch/kernels ]; then
		echo /var/cache/dmwatch/kernels
	else
		echo "$REPO/.output/kernels"
	fi
}
KDIR=$(kernels_dir)

# The archive the machine already uses (its sources may point at a local mirror).
mirror() {
	local uri
	if [ -n "${DEBIAN_MIRROR:-}" ]; then
		echo "$DEBIAN_MIRROR"
		return
	fi
	uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2> /dev/null |
		sed -n -e 's/^deb \(\[[^]]*\] \)\{0,1\}\([a-z]*:\/\/[^ ]*\/debian\/\{0,1\}\) .*/\2/p' \
			-e 's/^URIs: *\([a-z]*:\/\/[^ ]*\/debian\/\{0,1\}\) *$/\1/p' | head -n 1)
	echo "${uri:-http://deb.debian.org/debian}"
}

# apt_suite SUITE CMD ARGS...: apt-get/apt-cache with SUITE as the only source.
apt_suite() {
	local suite=$1 cmd=$2 dir
	dir=$KDIR/apt/$suite
	shift 2
	"$cmd" -q -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$dir/lists" -o Dir::State::status="$KDIR/apt/empty-status" \
		-o Dir::Cache="$dir/cache" \
		-o Dir::Cache::archives="$dir/cache/archives" -o APT::Architecture=amd64 \
		-o APT::Architectures::=amd64 -o Debug::NoLocking=1 "$@"
}

apt_update() {
	local suite=$1 dir=$KDIR/apt/$1 keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -r "$keyring" ] || die "no $keyring (apt-get install debian-archive-keyring)"
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	# The machine's installed packages must not be candidates: an empty status.
	: > "$KDIR/apt/empty-status"
	echo "deb [signed-by=$keyring] $(mirror) $suite main" > "$dir/sources.list"
	say "$suite: apt-get update ($(mirror))"
	apt_suite "$suite" apt-get update > "$dir/update.log" 2>&1 ||
		{ tail -n 5 "$dir/update.log" >&2; die "apt-get update for $suite failed (log: $dir/update.log)"; }
}

# The packages that make up SUITE's default amd64 kernel: linux-image-amd64 and
# the kernel packages it pulls in, at the suite's candidate version.  Since 7.x
# the image is split into linux-binary-* (vmlinuz), linux-modules-* and
# linux-base-* (modules.builtin, modules.order).
kernel_packages() {
	local suite=$1 seen=" " p
	local -a todo=(linux-image-amd64)
	while [ ${#todo[@]} -gt 0 ]; do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		case $seen in *" $p "*) continue ;; esac
		seen+="$p "
		# shellcheck disable=SC2207 # package names have no blanks
		todo+=($(apt_suite "$suite" apt-cache depends --no-recommends --no-suggests \
			--no-conflicts --no-breaks --no-replaces --no-enhances "$p" 2> /dev/null |
			sed -n 's/^ *\(Pre\)\{0,1\}Depends: \(linux-\(image\|binary\|modules\|base\)-[0-9a-z.+-]*amd64\)$/\2/p' |
			grep -v -- '-dbg$'))
	done
	for p in $seen; do
		[ "$p" = linux-image-amd64 ] || case $p in *-amd64) echo "$p" ;; esac
	done
}

# The kernel version inside an unpacked root (the directory under lib/modules).
root_kver() {
	local d
	for d in "$1"/lib/modules/* "$1"/usr/lib/modules/*; do
		[ -d "$d" ] && { basename "$d"; return 0; }
	done
	return 1
}

fetch_suite() {
	local suite=$1 force=$2 sdir=$KDIR/$1 pkgs p kver work want
	if [ "$suite" = "$INSTALLED_SUITE" ]; then
		# The machine's own kernel: linux-image-amd64 from its own sources.
		resolve_installed > /dev/null || die "no installed kernel with modules; run 'make deps'"
		return 0
	fi
	case " $MATRIX " in
	*" $suite "*) ;;
	*)	# a version or an image: fine if it is there already
		(resolve "$suite") > /dev/null || die "'$suite' is no suite of the matrix ($MATRIX) and no fetched kernel"
		return 0 ;;
	esac
	if [ "$force" = 0 ] && [ -f "$sdir/stamp" ]; then
		return 0
	fi
	apt_update "$suite"
	pkgs=$(kernel_packages "$suite")
	[ -n "$pkgs" ] || die "$suite has no linux-image-amd64 kernel packages"
	want="$(for p in $pkgs; do printf '%s=%s ' "$p" "$(apt_suite "$suite" apt-cache policy "$p" |
		sed -n 's/^ *Candidate: //p')"; done)"
	if [ -f "$sdir/stamp" ] && [ "$(cat "$sdir/stamp")" = "$want" ]; then
		say "$suite: up to date ($want)"
		return 0
	fi
	say "$suite: $want"
	work=$KDIR/.new-$suite
	rm -rf "$work"
	mkdir -p "$work/debs" "$work/root"
	# shellcheck disable=SC2086
	(cd "$work/debs" && apt_suite "$suite" apt-get download $want > ../download.log 2>&1) ||
		{ tail -n 5 "$work/download.log" >&2; die "downloading $suite's kernel failed"; }
	for p in "$work"/debs/*.deb; do
		dpkg -x "$p" "$work/root" || die "cannot unpack $p"
	done
	# merged /usr: depmod -b and modprobe -d look under ROOT/lib/modules.
	if [ ! -e "$work/root/lib" ] && [ -d "$work/root/usr/lib" ]; then
		ln -s usr/lib "$work/root/lib"
	fi
	kver=$(root_kver "$work/root") || die "$suite's packages hold no lib/modules/KVER"
	depmod -b "$work/root" "$kver" || die "depmod for $kver failed"
	rm -rf "$work/debs"
	echo "$want" > "$work/stamp"
	rm -rf "$sdir"
	mv "$work" "$sdir"
	say "$suite: $kver in $sdir"
}

# The image of an unpacked kernel: boot/vmlinuz-KVER, or (7.x) next to its modules.
image_of() {
	local root=$1 kver=$2 f
	for f in "$root/boot/vmlinuz-$kver" "$root/lib/modules/$kver/vmlinuz" \
		"$root/usr/lib/modules/$kver/vmlinuz"; do
		[ -r "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# The machine's newest installed kernel that has modules: "IMAGE MODDIR".
resolve_installed() {
	local k v best=
	for k in $(printf '%s\n' /boot/vmlinuz-* | sort -V); do
		v=${k#/boot/vmlinuz-}
		[ -f "/lib/modules/$v/modules.dep" ] && best="$k /lib/modules/$v"
	done
	[ -n "$best" ] && echo "$best"
}

resolve_suite() {
	local root=$KDIR/$1/root kver img
	[ -f "$KDIR/$1/stamp" ] || return 1
	kver=$(root_kver "$root") || return 1
	img=$(image_of "$root" "$kver") || return 1
	echo "$img $root/lib/modules/$kver"
}

# resolve SPEC: a suite, a path to an image, or a version prefix (5.10 matches
# 5.10.0-32-amd64 but not 5.100).
resolve() {
	local spec=$1 s r kver img
	case $spec in
	/* | ./* | ../*)
		[ -r "$spec" ] || die "cannot read kernel image $spec"
		case ${spec##*/} in
		vmlinuz) echo "$spec $(dirname "$spec")" ;;	# .../modules/KVER/vmlinuz
		vmlinuz-*) echo "$spec /lib/modules/${spec##*/vmlinuz-}" ;;
		*) die "cannot tell the version of $spec (want vmlinuz-KVER or modules/KVER/vmlinuz)" ;;
		esac
		return 0 ;;
	esac
	if [ "$spec" = "$INSTALLED_SUITE" ]; then
		resolve_installed || die "no installed kernel with modules; run 'make deps'"
		return 0
	fi
	case " $MATRIX " in
	*" $spec "*)
		resolve_suite "$spec" || die "the $spec kernel is not fetched; run 'tools/vm/kernels.sh fetch $spec'"
		return 0 ;;
	esac
	for s in $MATRIX; do
		if [ "$s" = "$INSTALLED_SUITE" ]; then
			r=$(resolve_installed) || continue
		else
			r=$(resolve_suite "$s") || continue
		fi
		img=${r%% *}
		kver=$(basename "${r#* }")
		case $kver in
		"$spec" | "$spec".* | "$spec"-*) echo "$r"; return 0 ;;
		esac
	done
	die "no kernel matches '$spec' (suites: $MATRIX; see 'tools/vm/kernels.sh list')"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
fetch | update)
	force=0
	[ "$cmd" = update ] && force=1
	# shellcheck disable=SC2086
	[ $# -gt 0 ] || set -- $MATRIX
	mkdir -p "$KDIR" || die "cannot create $KDIR"
	exec 8> "$KDIR/.lock"
	flock 8 || die "cannot lock $KDIR/.lock"
	for s in "$@"; do
		fetch_suite "$s" "$force"
	done ;;
resolve)
	[ $# -eq 1 ] || die "usage: kernels.sh resolve SUITE|VERSION|IMAGE"
	resolve "$1" ;;
list)
	for s in $MATRIX; do
		if r=$( (resolve "$s") 2> /dev/null); then
			printf '%-9s %-26s %s\n' "$s" "$(basename "${r#* }")" "${r%% *}"
		else
			printf '%-9s %-26s %s\n' "$s" "-" "(not fetched)"
		fi
	done ;;
-h | --help | "")
	sed -n '4,32s/^# \{0,1\}//p' "$0"
	[ -n "$cmd" ] ;;
*)
	die "unknown command '$cmd' (fetch, update, resolve, list)" ;;
esac
