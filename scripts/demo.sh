#!/usr/bin/env bash
# The main job, live: start a counter process, checkpoint it into a directory of images (which
# kills it), restore it from them, and watch it carry on with the same PID and count.
# Run as root. Installs what is missing (scripts/setup.sh) the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
work=$(mktemp -d /tmp/amber-demo.XXXXXX)
gcc -O2 -o "$work/counter" scripts/demo/counter.c
log="$work/counter.log"
setsid "$work/counter" "$log" </dev/null >/dev/null 2>&1 &
disown
sleep 1.5
pid=$(pgrep -n -f "$work/counter")
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
say "A live process (pid $pid), counting:"
tail -n 2 "$log"

say "\$ bin/amber dump -t $pid -D $work/images"
bin/amber dump -t "$pid" -D "$work/images" -v2
ls -l "$work/images"
if kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" != Z ]; then
  echo "unexpected: $pid still runs after dump" >&2; exit 1
fi
say "Checkpointed: process $pid is gone. Last line it wrote:"
tail -n 1 "$log"
sleep 1

say "\$ bin/amber restore -D $work/images -d"
bin/amber restore -D "$work/images" -d --pidfile "$work/restored.pid"
sleep 1.2
say "Restored as pid $(cat "$work/restored.pid"); it carries on from where it was:"
tail -n 4 "$log"
kill "$pid"
say "Images, logs and the counter's log are in $work"
