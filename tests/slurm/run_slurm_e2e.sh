#!/usr/bin/env bash
# End-to-end test of profiles/slurm on a real, throw-away single-node SLURM cluster.
#
#   sudo tests/slurm/run_slurm_e2e.sh          (.ci/run calls it after `make test`, as root)
#
# 1. installs Debian's slurm-wlm and munge if they are missing (apt-get; needs root);
# 2. starts munged, slurmctld and slurmd on 127.0.0.1 (tests/slurm/cluster.sh; no accounting);
# 3. runs tests/data/tiny_config.yaml locally (--cores 2) and through `--profile profiles/slurm`,
#    checks that every job went through sbatch and finished, and that the results are equal
#    (tests/slurm/compare_runs.py: scores, selections, attributions, tables; not wall times);
# 4. runs tests/slurm/gpu_probe through the same profile: a rule with `resources: gpu=1` must get
#    `--gpus=1` on the gpu partition, a rule without must get no GPU on the cpu partition;
# 5. stops every daemon it started, by PID, also on failure, Ctrl-C or timeout (trap).
#
# Environment: PYTHON (default .venv/bin/python: the venv `make install` builds),
# SLURM_E2E_TIMEOUT (seconds per Snakemake run, default 1500), SLURM_E2E_KEEP=1 keeps the work folder.
# Exit status: 0 all checks passed, 1 a check failed, 2 cannot run here (not root, no apt-get).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
RUN_TIMEOUT="${SLURM_E2E_TIMEOUT:-1500}"
CLUSTER="$ROOT/tests/slurm/cluster.sh"

say() { echo "[slurm-e2e $(date +%T)] $*"; }
fail() { echo "[slurm-e2e] FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "[slurm-e2e] cannot run: needs root (installs SLURM, runs slurmd)" >&2; exit 2; }
[ -x "$PYTHON" ] || { echo "[slurm-e2e] cannot run: $PYTHON not found (run \`make install\` or set PYTHON)" >&2; exit 2; }
export PATH="$(dirname "$PYTHON"):$PATH" HF_HUB_OFFLINE=1
cd "$ROOT"   # Snakemake finds profiles/default (the workflow profile) here
"$PYTHON" -c 'import snakemake_executor_plugin_slurm' 2>/dev/null \
  || fail "snakemake-executor-plugin-slurm is not installed in $(dirname "$PYTHON") (pip install -r requirements.txt)"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  command -v apt-get >/dev/null || { echo "[slurm-e2e] cannot run: SLURM missing and no apt-get" >&2; exit 2; }
  say "installing slurm-wlm and munge (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  timeout --foreground 600 apt-get update -qq || fail "apt-get update"
  timeout --foreground 900 apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null \
    || fail "apt-get install slurm-wlm munge"
fi

# Long steps run as `timeout ... &` + `wait`: `timeout` puts them in their own process group (and kills
# that whole group when it expires), and `wait` returns as soon as a signal arrives, so the traps below
# run at once; cleanup then stops the running step by PID before it stops the daemons.
CHILD=""
exec 3>&1 4>&2   # the script's own output: a trap can fire while a step's output goes to its log
bounded() {  # bounded SECONDS COMMAND...: exit status of COMMAND, 124 on time-out
  local secs="$1"; shift
  timeout --kill-after=20 "$secs" "$@" &
  CHILD=$!
  local rc=0; wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}
stop_child() {
  [ -n "$CHILD" ] || return 0
  kill -TERM "$CHILD" 2>/dev/null || true     # timeout passes TERM on to its whole process group
  for _ in $(seq 100); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$CHILD" 2>/dev/null || true
  wait "$CHILD" 2>/dev/null || true
}

BASE="$(mktemp -d /tmp/subspace-slurm.XXXXXX)"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  exec 1>&3 2>&4
  stop_child
  "$CLUSTER" stop "$BASE" || true
  if [ "$rc" != 0 ]; then
    echo "[slurm-e2e] exit $rc; last lines of the logs in $BASE:" >&2
    for f in "$BASE"/local.log "$BASE"/slurm.log "$BASE"/probe.log "$BASE"/log/slurmctld.log "$BASE"/log/slurmd.log; do
      [ -f "$f" ] && { echo "--- $f" >&2; tail -n 25 "$f" >&2; }
    done
    for f in "$BASE"/slurm/.snakemake/slurm_logs/rule_*/*/*.log; do
      [ -f "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
    done
  fi
  if [ "${SLURM_E2E_KEEP:-0}" = 1 ] || [ "$rc" != 0 ]; then echo "[slurm-e2e] work folder kept: $BASE" >&2
  else rm -rf "$BASE"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
t0=$SECONDS

say "starting a single-node cluster in $BASE"
bounded 180 "$CLUSTER" start "$BASE" || fail "could not start the cluster (logs in $BASE/log)"
export SLURM_CONF="$BASE/etc/slurm.conf"
t_cluster=$SECONDS

snake() {  # snake WORKDIR LOG ARGS...: the tiny config in WORKDIR, bounded by RUN_TIMEOUT
  local workdir="$1" log="$2"; shift 2
  mkdir -p "$workdir"
  local rc=0
  bounded "$RUN_TIMEOUT" "$PYTHON" -m snakemake --snakefile "$ROOT/Snakefile" \
    --directory "$workdir" --configfile "$ROOT/tests/data/tiny_config.yaml" "$@" >"$log" 2>&1 || rc=$?
  if [ "$rc" != 0 ]; then
    tail -n 40 "$log" >&2
    [ "$rc" = 124 ] && fail "snakemake $* timed out after ${RUN_TIMEOUT}s (log $log)"
    fail "snakemake $* exited $rc (log $log)"
  fi
}

say "local run (--cores 2)"
snake "$BASE/local" "$BASE/local.log" --cores 2
t_local=$SECONDS

say "SLURM run (--profile profiles/slurm)"
snake "$BASE/slurm" "$BASE/slurm.log" --profile "$ROOT/profiles/slurm"
t_slurm=$SECONDS

# Every job but the target rules (`default`, which the top-level Snakefile adds, and `all`: no shell, so
# they run in the main process) must have been an sbatch job that SLURM ran to completion.
expected=$("$PYTHON" -m snakemake --snakefile "$ROOT/Snakefile" --directory "$BASE/local" \
  --configfile "$ROOT/tests/data/tiny_config.yaml" --cores 1 -n -F --quiet rules 2>&1 \
  | awk '$1 == "all" || $1 == "default" {targets += $2} $1 == "total" {print $2 - targets; exit}')
submitted=$(grep -c "submitted with SLURM jobid" "$BASE/slurm.log" || true)
say "jobs: $expected expected, $submitted submitted to SLURM"
[ -n "$expected" ] && [ "$expected" -gt 0 ] || fail "could not count the workflow's jobs"
[ "$submitted" = "$expected" ] || fail "$submitted jobs were submitted to SLURM, expected $expected (log $BASE/slurm.log)"
# (finished jobs stay visible to squeue for MinJobAge, 3600 s on the test cluster)
job_states=$(squeue -h --states=all -o "%T") || fail "squeue failed"
states=$(sort <<<"$job_states" | uniq -c | tr -s ' ' | paste -sd, -)
say "SLURM job states: $states"
[ "$(grep -c '^COMPLETED$' <<<"$job_states" || true)" = "$expected" ] && ! grep -qv '^COMPLETED$' <<<"$job_states" \
  || fail "expected $expected COMPLETED SLURM jobs and nothing else, squeue says: $states"

say "comparing local and SLURM results"
"$PYTHON" "$ROOT/tests/slurm/compare_runs.py" "$BASE/local/results" "$BASE/slurm/results" \
  || fail "the SLURM run's results differ from the local run's"

say "GPU request probe (tests/slurm/gpu_probe)"
mkdir -p "$BASE/probe"
bounded "$RUN_TIMEOUT" "$PYTHON" -m snakemake --snakefile "$ROOT/tests/slurm/gpu_probe/Snakefile" \
  --directory "$BASE/probe" --profile "$ROOT/profiles/slurm" >"$BASE/probe.log" 2>&1 \
  || fail "GPU probe run (log $BASE/probe.log)"
gpu="$BASE/probe/probe/gpu.txt"; cpu="$BASE/probe/probe/cpu.txt"
grep -q "Partition=gpu " "$gpu" || fail "the gpu=1 job did not run on the gpu partition: $(grep -o 'Partition=[^ ]*' "$gpu")"
grep -Eq "TresPerJob=.*gpu(:[a-z0-9_]+)?:1" "$gpu" || fail "the gpu=1 job did not request a GPU: $(grep -i tres "$gpu")"
grep -q "Partition=cpu " "$cpu" || fail "the CPU job did not run on the cpu partition: $(grep -o 'Partition=[^ ]*' "$cpu")"
! grep -qi "gpu" "$cpu" || fail "the CPU job requested a GPU: $(grep -i gpu "$cpu")"
say "GPU probe: gpu=1 -> $(grep -o 'TresPerJob=[^ ]*' "$gpu") on partition gpu; CPU job on partition cpu without GPU"
t_probe=$SECONDS

say "PASSED in $((t_probe - t0)) s (cluster start $((t_cluster - t0)) s, local run $((t_local - t_cluster)) s," \
    "SLURM run $((t_slurm - t_local)) s, checks and GPU probe $((t_probe - t_slurm)) s)"
