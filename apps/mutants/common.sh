# Shared by the broken checkpointers here: CRIU-style argument parsing, nothing else.
# Sets: cmd pid dir pidfile log; say() appends to the -o log.
cmd=$1
[ $# -gt 0 ] && shift
pid='' dir=. pidfile='' log=''
while [ $# -gt 0 ]; do
  case $1 in
    -t | --tree) pid=$2; shift ;;
    --tree=*) pid=${1#*=} ;;
    -D | --images-dir) dir=$2; shift ;;
    --images-dir=*) dir=${1#*=} ;;
    --pidfile) pidfile=$2; shift ;;
    --pidfile=*) pidfile=${1#*=} ;;
    -o | --log-file) log=$2; shift ;;
    --log-file=*) log=${1#*=} ;;
  esac
  shift
done
case $log in '' | /*) ;; *) log=$dir/$log ;; esac
say() { [ -n "$log" ] && echo "$(basename "$0"): $*" >>"$log"; return 0; }
