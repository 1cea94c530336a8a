"""Fault trials: SIGKILL the Snakemake workflow at seeded random points, rerun it, compare with an uninterrupted run.

    .venv/bin/python tests/faults/kill_trials.py --trials 20 --seed 7 [--fresh N] [--workdir DIR] [--json FILE]

A small simulated project (tests/miniproject.py, 2 sites) is run once uninterrupted: the reference, whose
Snakemake metadata gives every job's outputs, log and measured duration. Each trial then

1. copies the reference and undoes a seeded set of jobs (deletes their outputs and logs): one job of a rule
   taken in turn, sometimes with a second job, so every rule is tried; with --fresh N, the first N trials
   undo every job (a fresh run: costly, so CI leaves it out);
2. runs the workflow on those jobs' outputs and kills it with SIGKILL at a seeded point of the measured
   timeline: a fraction (0-1) of the rule's reference duration after the job's log appears, a fraction of
   Snakemake's start-up, or (fresh trials) a fraction of the whole reference run. The whole workflow dies at
   once, as in a power cut: Snakemake's process group and every process below it (Jupyter kernels run in
   sessions of their own, so a group kill alone would leave them running for up to a second);
3. records where the kill landed (the command lines of the frozen process tree) and checks what the kill left:
   every output that is there is either complete (byte-equal to the reference; an executed notebook with every
   cell completed) or marked incomplete by Snakemake, and Snakemake without the profile's rerun-incomplete
   refuses to use the marked ones;
4. reruns as a user would: a lock left by the killed run stops a plain rerun with Snakemake's message (the
   first trials check that), so the trial runs `snakemake --unlock` (what that message and the README say to
   do after a crash), then reruns the same targets, which must complete;
5. runs the default target, which must have nothing to do, and compares every processed table and HTML report
   with the reference byte for byte; the set of files under data/processed/ and reports/ must also be the
   reference's (no leftover temporaries).

Snakemake runs are forked from this process after it has imported Snakemake: the child calls Snakemake's own
command-line entry point with the same arguments as `make run`, in a session of its own. This saves the 2-3 s of
imports per run that would otherwise make 20 trials too slow for CI; the jobs themselves are real processes.
Two trials run at a time. The process exits non-zero when a trial fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import snakemake.cli  # noqa: E402
import snakemake.dag  # noqa: E402,F401  (imported lazily by Snakemake: once here, not in every forked run)
import snakemake.executors.local  # noqa: E402,F401
import snakemake.scheduling.job_scheduler  # noqa: E402,F401
from mini_project import (  # noqa: E402
    make_project,
    marked_incomplete,
    reproducible_outputs,
    snakemake_command,
    snakemake_metadata,
)

import analysis.project.loader  # noqa: E402,F401  (imported before forking: the Snakefile needs it)

PROJECT = "faults-mini"
SITES = ["assens", "guldborgsund"]
SCALE = 0.1
POLL = 0.02
RUN_TIMEOUT = 300.0
LOCK_MESSAGE_TRIALS = 4  # trials that also try a plain rerun over the lock (each try costs a Snakemake start)


@dataclass(frozen=True)
class Job:
    label: str
    rule: str
    outputs: tuple[str, ...]
    log: str
    duration: float


@dataclass
class Reference:
    root: Path
    jobs: dict[str, Job]
    startup: float
    seconds: float
    hashes: dict[str, str]
    files: list[str]


@dataclass(frozen=True)
class Trial:
    number: int
    undone: tuple[str, ...]
    anchor: str  # a job label (kill after its log appears), "start" (Snakemake's start-up) or "run" (the whole run)
    fraction: float


@dataclass
class Outcome:
    trial: Trial
    landed: str = ""
    rules_hit: list[str] = field(default_factory=list)
    kill_after: float = 0.0
    locked: bool = False
    incomplete: list[str] = field(default_factory=list)
    partial_kept_out: int = 0
    temporaries: int = 0
    rerun_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


# Snakemake in a forked child ---------------------------------------------------------------------------------


def start_snakemake(root: Path, args: list[str], transcript: Path, tmpdir: Path) -> int:
    """Fork a child that runs Snakemake's command line on the project in `root`, in a new session; its output
    goes to `transcript`. Returns the child's pid (= its process group and session id)."""
    argv = snakemake_command(root, PROJECT, *args)[3:]  # what follows `python -m snakemake`
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.setsid()
        os.chdir(root)
        os.environ["TMPDIR"] = str(tmpdir)  # the jobs' mktemp folders, which a killed job cannot remove
        fd = os.open(transcript, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.argv = ["snakemake", *argv]
        try:
            snakemake.cli.main(argv)
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class Child:
    """A forked Snakemake run: poll it without losing its exit code."""

    def __init__(self, pid: int):
        self.pid, self.code = pid, None

    def poll(self) -> int | None:
        if self.code is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.code = os.waitstatus_to_exitcode(status)
        return self.code

    def wait(self, timeout: float = RUN_TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                kill_tree(self.pid)
                raise TimeoutError(f"snakemake did not finish in {timeout:.0f} s")
            time.sleep(POLL)
        return self.code


def run(root: Path, args: list[str], transcript: Path, tmpdir: Path) -> tuple[int, str]:
    code = Child(start_snakemake(root, args, transcript, tmpdir)).wait()
    return code, transcript.read_text(encoding="utf-8", errors="replace")


def kill_tree(pid: int) -> list[list[str]]:
    """SIGKILL the process group `pid` and every process below it, all frozen first so that none runs on (or
    starts another) while the others die. Returns the command lines of the frozen processes."""
    try:
        leader = psutil.Process(pid)
        os.killpg(pid, signal.SIGSTOP)
        below = leader.children(recursive=True)
        for process in below:  # kernels sit in sessions of their own, outside the group
            with _gone():
                process.send_signal(signal.SIGSTOP)
        below = leader.children(recursive=True)
    except psutil.NoSuchProcess:
        below = []
    commands = []
    for process in below:
        with _gone():
            commands.append(process.cmdline())
    with _gone():
        os.killpg(pid, signal.SIGKILL)
    for process in below:
        with _gone():
            process.kill()
    with _gone():
        os.waitpid(pid, 0)
    return commands


class _gone:
    """Ignore a process that has already exited."""

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is not None and issubclass(kind, (psutil.NoSuchProcess, ProcessLookupError, ChildProcessError))


# The reference run ---------------------------------------------------------------------------------------------


def output_files(root: Path) -> list[str]:
    """Every file under the project's processed data and reports, relative to `root`."""
    found = []
    for folder in (root / "data" / "processed" / PROJECT, root / "reports" / PROJECT):
        found += [str(p.relative_to(root)) for p in folder.rglob("*") if p.is_file()]
    return sorted(found)


def read_jobs(root: Path) -> dict[str, Job]:
    """The jobs of a finished run, from Snakemake's metadata: outputs, log and duration (first start to last
    output written)."""
    grouped: dict[tuple[str, str], list[tuple[str, dict]]] = {}
    for output, record in snakemake_metadata(root).items():
        grouped.setdefault((record["rule"], record["log"][0]), []).append((output, record))
    jobs = {}
    for (rule, log), records in grouped.items():
        label = Path(log).stem
        duration = max(r["endtime"] for _, r in records) - min(r["starttime"] for _, r in records)
        jobs[label] = Job(label, rule, tuple(sorted(o for o, _ in records)), log, duration)
    return dict(sorted(jobs.items()))


def reference_run(workdir: Path) -> Reference:
    root = workdir / "reference"
    root.mkdir(parents=True)
    make_project(root, PROJECT, SITES, SCALE)
    with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
        # Snakemake's plugin registries and lazily imported modules, set up once here rather than in every child.
        snakemake.cli.parse_args(snakemake_command(root, PROJECT)[3:])
    started = time.time()
    code, text = run(root, [], workdir / "reference.txt", workdir / "tmp")
    seconds = time.time() - started
    if code != 0:
        raise RuntimeError(f"the uninterrupted reference run failed:\n{text[-3000:]}")
    first_start = min(record["starttime"] for record in snakemake_metadata(root).values())
    return Reference(
        root,
        read_jobs(root),
        max(first_start - started, 0.1),
        seconds,
        reproducible_outputs(root, PROJECT),
        output_files(root),
    )


# Trials ---------------------------------------------------------------------------------------------------------


def plan_trials(reference: Reference, count: int, seed: int, fresh: int = 0) -> list[Trial]:
    """Seeded trials. The first `fresh` start from nothing and are killed at a point of the whole reference run.
    The others undo one job of each rule in a shuffled turn, sometimes with a second job; most of their kills
    are timed from the job's log appearing, about one in seven from Snakemake's start."""
    rng = random.Random(seed)
    rules = sorted({job.rule for job in reference.jobs.values()})
    rng.shuffle(rules)
    trials = []
    for number in range(1, count + 1):
        if number <= fresh:
            trials.append(Trial(number, tuple(sorted(reference.jobs)), "run", round(rng.uniform(0.0, 1.0), 3)))
            continue
        rule = rules[(number - fresh - 1) % len(rules)]
        focus = rng.choice(sorted(label for label, job in reference.jobs.items() if job.rule == rule))
        undone = {focus}
        if rng.random() < 0.2:
            undone.add(rng.choice(sorted(reference.jobs)))
        if rng.random() < 1 / 7:
            anchor, fraction = "start", rng.uniform(0.0, 1.0)
        else:
            anchor, fraction = focus, rng.uniform(0.0, 1.0)
        trials.append(Trial(number, tuple(sorted(undone)), anchor, round(fraction, 3)))
    return trials


def rule_duration(reference: Reference, label: str) -> float:
    """The shortest reference duration among the jobs of `label`'s rule: jobs that ran beside another in the
    reference took longer than they take alone, and a kill timed past the job's end hits nothing."""
    rule = reference.jobs[label].rule
    return min(job.duration for job in reference.jobs.values() if job.rule == rule)


def _job_of(reference: Reference, path: str) -> str | None:
    return next((job.label for job in reference.jobs.values() if path in job.outputs), None)


def describe_landing(reference: Reference, commands: list[list[str]]) -> list[tuple[str, str]]:
    """(job label, phase) of every job process in the frozen tree."""
    found = set()
    for command in commands:
        if "papermill" in command or "analysis.jobs.run_notebook" in command:  # the latter: main's notebook runner
            notebook = next((a for a in command if a.startswith("reports/") and a.endswith(".ipynb")), None)
            if notebook and (label := _job_of(reference, notebook)):
                found.add((label, "notebook"))
        elif "analysis.reports.html" in command:
            html = next((a for a in command if a.endswith(".html")), "")
            if label := _job_of(reference, html):
                found.add((label, "html render"))
        elif "analysis.pool" in command:
            found.add(("pool", "python"))
        elif "analysis.failures" in command:
            found.add(("?", "failure summary"))
        else:  # a job's shell between its commands (mktemp, the redirections...)
            text = " ".join(command)
            found |= {(job.label, "shell") for job in reference.jobs.values() if job.log in text}
    labels_with_a_process = {label for label, phase in found if phase != "shell"}
    return sorted((label, phase) for label, phase in found if phase != "shell" or label not in labels_with_a_process)


def _notebook_complete(path: Path) -> bool:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    cells = [c for c in notebook.get("cells", []) if c.get("cell_type") == "code"]
    return bool(cells) and all(c.get("metadata", {}).get("papermill", {}).get("status") == "completed" for c in cells)


def check_what_the_kill_left(reference: Reference, root: Path, targets: list[str], outcome: Outcome) -> None:
    """Every target output that is there is complete or marked incomplete: nothing half-written passes as done."""
    marked = marked_incomplete(root)
    outcome.incomplete = sorted(marked)
    for target in targets:
        path = root / target
        if not path.exists():
            continue
        if target in marked:
            outcome.partial_kept_out += 1
            continue
        if target.endswith(".ipynb"):
            complete = _notebook_complete(path)
        else:
            complete = path.read_bytes() == (reference.root / target).read_bytes()
        if not complete:
            outcome.problems.append(f"{target} is unfinished but not marked incomplete")
    outcome.temporaries = sum(1 for f in output_files(root) if f.endswith(".tmp"))


def run_trial(reference: Reference, workdir: Path, trial: Trial, keep: bool) -> Outcome:
    began = time.monotonic()
    outcome = Outcome(trial)
    root = workdir / f"trial-{trial.number:02d}"
    notes = workdir / f"trial-{trial.number:02d}-runs"
    notes.mkdir()
    tmpdir = workdir / "tmp"
    shutil.copytree(reference.root, root, symlinks=True)
    targets = sorted(o for label in trial.undone for o in reference.jobs[label].outputs)
    for label in trial.undone:
        for output in reference.jobs[label].outputs:
            (root / output).unlink()
        (root / reference.jobs[label].log).unlink()

    # The run that is killed.
    started = time.monotonic()
    child = Child(start_snakemake(root, targets, notes / "killed.txt", tmpdir))
    if trial.anchor == "start":
        anchor_time, delay = started, trial.fraction * reference.startup
    elif trial.anchor == "run":
        anchor_time, delay = started, trial.fraction * reference.seconds
    else:
        log = root / reference.jobs[trial.anchor].log
        while not log.exists() and child.poll() is None and time.monotonic() - started < RUN_TIMEOUT:
            time.sleep(POLL)
        anchor_time, delay = time.monotonic(), trial.fraction * rule_duration(reference, trial.anchor)
    while time.monotonic() < anchor_time + delay and child.poll() is None:
        time.sleep(POLL)
    outcome.kill_after = round(time.monotonic() - started, 2)
    if child.poll() is not None:
        outcome.landed = "after the run ended"
        if child.code != 0:
            outcome.problems.append(f"the run before the kill failed (exit {child.code}); see {notes}")
    else:
        commands = kill_tree(child.pid)
        hit = describe_landing(reference, commands)
        outcome.rules_hit = sorted({reference.jobs[label].rule for label, _ in hit if label in reference.jobs})
        if hit:
            outcome.landed = ", ".join(f"{label} ({phase})" for label, phase in hit)
        else:
            where = "scheduling" if any((root / ".snakemake" / "locks").glob("*.lock")) else "start-up"
            outcome.landed = f"snakemake itself ({where})"

    check_what_the_kill_left(reference, root, targets, outcome)
    if outcome.partial_kept_out:
        code, text = run(root, ["--workflow-profile", "none", "--dry-run"], notes / "no-profile.txt", tmpdir)
        if code == 0 or "IncompleteFilesException" not in text:
            outcome.problems.append("without rerun-incomplete, Snakemake did not refuse the incomplete outputs")

    # The rerun, as a user would do it: the first trials also check that the lock stops a plain rerun.
    outcome.locked = any((root / ".snakemake" / "locks").glob("*.lock"))
    if outcome.locked and trial.number <= LOCK_MESSAGE_TRIALS:
        code, text = run(root, targets, notes / "locked-rerun.txt", tmpdir)
        if code == 0 or "--unlock" not in text:
            outcome.problems.append("a rerun over the killed run's lock did not stop with the --unlock advice")
    if outcome.locked:
        code, text = run(root, ["--unlock"], notes / "unlock.txt", tmpdir)
        if code != 0:
            outcome.problems.append(f"snakemake --unlock failed: {text[-500:]}")
    rerun_started = time.monotonic()
    code, text = run(root, targets, notes / "rerun.txt", tmpdir)
    outcome.rerun_seconds = round(time.monotonic() - rerun_started, 1)
    if code != 0:
        outcome.problems.append(f"the rerun failed: {text[-1500:]}")
    code, text = run(root, [], notes / "default-target.txt", tmpdir)
    if code != 0 or "Nothing to be done" not in text:
        outcome.problems.append(f"the default target still had work after the rerun: {text[-1500:]}")

    # The outputs against the uninterrupted run.
    hashes = reproducible_outputs(root, PROJECT)
    differing = sorted(k for k in reference.hashes.keys() | hashes.keys() if reference.hashes.get(k) != hashes.get(k))
    if differing:
        outcome.problems.append(f"outputs differ from the uninterrupted run: {differing}")
    files = output_files(root)
    if files != reference.files:
        outcome.problems.append(
            f"files differ: extra {sorted(set(files) - set(reference.files))}, "
            f"missing {sorted(set(reference.files) - set(files))}"
        )
    if not outcome.problems and not keep:
        shutil.rmtree(root)
        shutil.rmtree(notes)
    outcome.seconds = round(time.monotonic() - began, 1)
    return outcome


def _worker(arguments: tuple[Reference, Path, Trial, bool]) -> Outcome:
    try:
        return run_trial(*arguments)
    except Exception:
        return Outcome(arguments[2], problems=[traceback.format_exc()])


# Report ---------------------------------------------------------------------------------------------------------


def summary_table(reference: Reference, outcomes: list[Outcome]) -> str:
    lines = [
        f"reference run: {reference.seconds:.1f} s, {len(reference.jobs)} jobs: "
        + ", ".join(f"{j.label} {j.duration:.1f} s" for j in reference.jobs.values()),
        "",
        f"{'trial':>5}  {'undone':<36} {'kill at':>8}  {'landed in':<52} {'lock':<4} {'marked':>6} "
        f"{'tmp':>3} {'rerun':>6}  result",
    ]
    for o in outcomes:
        anchor = o.trial.anchor if o.trial.anchor in ("start", "run") else "log"
        undone = "every job (fresh)" if len(o.trial.undone) == len(reference.jobs) else ", ".join(o.trial.undone)
        lines.append(
            f"{o.trial.number:>5}  {undone:<36} {o.kill_after:>6.2f} s  "
            f"{o.landed[:52]:<52} {'yes' if o.locked else 'no':<4} {len(o.incomplete):>6} "
            f"{o.temporaries:>3} {o.rerun_seconds:>5.1f}s  "
            f"{'ok' if not o.problems else 'FAILED'} ({anchor} + {o.trial.fraction:.2f})"
        )
    rules = sorted({job.rule for job in reference.jobs.values()})
    lines.append("")
    lines.append(
        "kills that landed inside a running job, by rule: "
        + ", ".join(f"{rule} {sum(rule in o.rules_hit for o in outcomes)}" for rule in rules)
    )
    inside = sum(bool(o.rules_hit) for o in outcomes)
    itself = sum(o.landed.startswith("snakemake itself") for o in outcomes)
    after = sum(o.landed == "after the run ended" for o in outcomes)
    lines.append(
        f"landings: {inside} inside a job, {itself} in Snakemake itself, {after} after the run ended; "
        f"{sum(o.locked for o in outcomes)} left a lock, "
        f"{sum(o.partial_kept_out for o in outcomes)} unfinished outputs were marked incomplete"
    )
    failed = [o for o in outcomes if o.problems]
    lines.append(f"trials: {len(outcomes)}, failed: {len(failed)}")
    for o in failed:
        lines.append(f"trial {o.trial.number}: " + "; ".join(o.problems))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a new temporary folder)")
    parser.add_argument("--json", type=Path, help="write every trial's outcome here")
    parser.add_argument("--keep", action="store_true", help="keep passed trials' folders")
    parser.add_argument("--parallel", type=int, default=2, help="trials run at a time")
    parser.add_argument("--fresh", type=int, default=0, help="trials (of --trials) that start from nothing")
    args = parser.parse_args(argv)
    scratch = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="kill-trials-")) if scratch else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "tmp").mkdir(exist_ok=True)
    reference = reference_run(workdir)
    trials = plan_trials(reference, args.trials, args.seed, args.fresh)
    with multiprocessing.get_context("fork").Pool(args.parallel) as pool:
        outcomes = pool.map(_worker, [(reference, workdir, t, args.keep) for t in trials], chunksize=1)
    print(summary_table(reference, outcomes))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "reference_seconds": reference.seconds,
                    "jobs": {k: asdict(v) for k, v in reference.jobs.items()},
                    "outcomes": [asdict(o) for o in outcomes],
                },
                indent=2,
                default=str,
            )
        )
    if scratch and not args.keep and not any(o.problems for o in outcomes):
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if any(o.problems for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
