#!/usr/bin/env bash
# A throw-away single-node SLURM cluster on loopback, for tests/slurm/run_slurm_e2e.sh.
#
#   tests/slurm/cluster.sh start BASE   start munged, slurmctld and slurmd; all state under BASE
#   tests/slurm/cluster.sh stop  BASE   stop exactly the daemons that `start BASE` started (by PID)
#
# Needs root and Debian's slurm-wlm + munge (22.05). Only 127.0.0.1 is used; no accounting
# (AccountingStorageType=accounting_storage/none, so `sacct` does not work and the profile uses
# `squeue`; MinJobAge=3600 keeps finished jobs visible to squeue for the test's final check).
# Two partitions mirror profiles/slurm/partitions.yaml on the same node: `cpu` (default) and `gpu`;
# the node advertises one fake "gpu" GRES (File=/dev/null) so that
# `sbatch --gpus=1` is scheduled on a CPU-only machine.
#
# One file lives outside BASE: the symlink /etc/slurm/slurm.conf -> BASE/etc/slurm.conf, because the
# plugin's in-job helper (snakemake-executor-plugin-slurm-jobstep) drops SLURM_CONF before `srun`,
# which then reads the default path. `start` refuses to replace a slurm.conf that is not a link to
# a test cluster's; `stop` removes the link only if it still points at BASE.
set -euo pipefail

cmd="${1:-}"; BASE="${2:-}"
[ -n "$cmd" ] && [ -n "$BASE" ] || { echo "usage: $0 start|stop BASE" >&2; exit 2; }
CONF="$BASE/etc/slurm.conf"
SYSCONF=/etc/slurm/slurm.conf
NODE="$(hostname -s)"

die() { echo "cluster.sh: error: $*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() {  # wait_for SECONDS DAEMON DESCRIPTION COMMAND...: until COMMAND succeeds or DAEMON dies
  local secs="$1" daemon="$2" what="$3"; shift 3
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$(cat "$BASE/run/$daemon.bgpid")" 2>/dev/null \
      || die "$daemon exited; last lines of $BASE/log/$daemon.out:
$(tail -n 5 "$BASE/log/$daemon.out")"
    [ "$SECONDS" -lt "$end" ] || die "$what did not come up within ${secs}s; logs in $BASE/log"
    sleep 0.3
  done
}

start() {
  for bin in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd sbatch squeue sinfo scontrol; do
    command -v "$bin" >/dev/null || die "$bin not found (apt-get install slurm-wlm munge)"
  done
  [ "$(id -u)" = 0 ] || die "must run as root (slurmd runs jobs as their users)"
  if [ -e "$SYSCONF" ] || [ -L "$SYSCONF" ]; then
    case "$(readlink "$SYSCONF" || true)" in
      */subspace-slurm.*/etc/slurm.conf) ;;   # a stale link from an earlier, killed test run
      *) die "$SYSCONF exists and is not a test cluster's; refusing to touch a real SLURM set-up" ;;
    esac
  fi
  mkdir -p "$BASE"/{etc,run,log,state,spool,munge}
  chmod 755 "$BASE" "$BASE/run"; chmod 700 "$BASE/munge"

  # munge: own key and socket under BASE; -F keeps it in the foreground so $! is its PID.
  dd if=/dev/urandom of="$BASE/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$BASE/munge/munge.key"
  /usr/sbin/munged -F --force --socket="$BASE/run/munge.socket" --key-file="$BASE/munge/munge.key" \
    --log-file="$BASE/log/munged.log" --pid-file="$BASE/run/munged.pid" \
    --seed-file="$BASE/munge/munged.seed" >>"$BASE/log/munged.out" 2>&1 &
  echo $! > "$BASE/run/munged.bgpid"
  wait_for 10 munged munged test -S "$BASE/run/munge.socket"
  munge -S "$BASE/run/munge.socket" -n | unmunge -S "$BASE/run/munge.socket" >/dev/null \
    || die "munge credential round trip failed; see $BASE/log/munged.log"

  # Leave 1 GB to the rest of the machine; every rule asks for at most 4000 MB.
  local mem_mb; mem_mb=$(( $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) - 1024 ))
  [ "$mem_mb" -gt 16000 ] && mem_mb=16000
  [ "$mem_mb" -ge 4000 ] || die "needs at least 5 GB of memory (rules ask for 4000 MB), have $((mem_mb + 1024)) MB"
  # One fake GPU: slurmd needs a device file per GRES unit; nothing ever opens /dev/null as a GPU.
  echo "NodeName=$NODE Name=gpu Count=1 File=/dev/null" > "$BASE/etc/gres.conf"
  cat > "$CONF" <<CONF
ClusterName=subspace-e2e
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$BASE/run/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$BASE/state
SlurmdSpoolDir=$BASE/spool
SlurmctldPidFile=$BASE/run/slurmctld.pid
SlurmdPidFile=$BASE/run/slurmd.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
MinJobAge=3600
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
GresTypes=gpu
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem_mb Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$NODE MaxTime=INFINITE State=UP
CONF
  mkdir -p /etc/slurm
  ln -sfn "$CONF" "$SYSCONF"
  export SLURM_CONF="$CONF"

  /usr/sbin/slurmctld -D -c -f "$CONF" >>"$BASE/log/slurmctld.out" 2>&1 &
  echo $! > "$BASE/run/slurmctld.bgpid"
  wait_for 30 slurmctld slurmctld sh -c 'scontrol ping | grep -q UP'
  /usr/sbin/slurmd -D -f "$CONF" -N "$NODE" >>"$BASE/log/slurmd.out" 2>&1 &
  echo $! > "$BASE/run/slurmd.bgpid"
  wait_for 60 slurmd "node $NODE (idle)" sh -c '[ "$(sinfo -h -N -p cpu -o %t)" = idle ]'
  sinfo
}

stop() {
  export SLURM_CONF="$CONF"
  [ -f "$BASE/run/slurmctld.bgpid" ] && scancel --quiet --user root 2>/dev/null || true
  local d f pid
  for d in slurmd slurmctld munged; do
    f="$BASE/run/$d.bgpid"
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
      echo "stopped $d (pid $pid)"
    fi
    rm -f "$f"
  done
  if [ -L "$SYSCONF" ] && [ "$(readlink "$SYSCONF")" = "$CONF" ]; then rm -f "$SYSCONF"; fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop BASE" >&2; exit 2 ;;
esac
