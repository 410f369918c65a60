#!/bin/sh
# /init of the matrix guest (PID 1 of the initramfs): mounts what a Linux system has, loads the
# 9p modules, mounts the host folders, runs /io/cmd.sh and hands its exit status back through
# /io/status, then powers off. Kernel command line: matrix.project=DIR (where the project tree
# is mounted, read-only: the same path as on the host), matrix.io=DIR (the writable folder).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8
say() { read -r up _ < /proc/uptime; echo "matrix-guest [$up]: $*" > /dev/console; }
off() { sync; echo o > /proc/sysrq-trigger; sleep 10; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /run /tmp
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
ln -sf /proc/self/fd /dev/fd
hostname matrix
ip link set lo up 2>/dev/null

release=$(uname -r)
mods=/lib/modules/$release/matrix
if [ -f "$mods/load.order" ]; then
  while read -r m; do
    insmod "$mods/$m" 2>/dev/null || say "insmod $m failed"
  done < "$mods/load.order"
fi

project=/project
io=/io
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    matrix.project=*) project=${arg#matrix.project=} ;;
    matrix.io=*) io=${arg#matrix.io=} ;;
  esac
done
mkdir -p "$project" "$io"
opts=trans=virtio,version=9p2000.L,msize=262144
if ! mount -t 9p -o "$opts" io "$io"; then say "cannot mount the io folder"; off; fi
if ! mount -t 9p -o "$opts,ro,cache=loose" project "$project"; then say "cannot mount the project"; off; fi

say "ready ($release)"
cd "$project"
IO=$io sh "$io/cmd.sh" > "$io/out.log" 2>&1
echo $? > "$io/status.tmp"
mv "$io/status.tmp" "$io/status"
say "done (status $(cat "$io/status"))"
umount "$io" 2>/dev/null
off
