//! Running a timed child: re-exec this example in `--child` mode, collect its JSON report and
//! its peak resident set size from `wait4`'s `rusage`.
//!
//! Linux carries the *spawning* process's memory high-water mark into the child's `ru_maxrss`
//! (the child starts on a copy of — or, with `posix_spawn`, on — the parent's address space,
//! and `execve` folds that address space's peak into the child's accounting). The parent has
//! generated and read whole data sets, so it is big; a child spawned by it directly would
//! report at least the parent's size. So the parent starts a small *launcher* (this binary,
//! freshly executed, `--launch`), which spawns the timed child and reads its `wait4` rusage;
//! the child also reports its own `VmHWM` as a cross-check.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::common::ChildReport;

/// A finished child: its report and its peak RSS in KiB.
pub struct Finished {
    /// What the child printed.
    pub report: ChildReport,
    /// `ru_maxrss` (KiB on Linux): the child's peak resident set over its whole life.
    pub peak_rss_kib: u64,
    /// User + system CPU time of the child, seconds.
    pub cpu_s: f64,
}

/// Runs this executable with `args` and waits for it with `wait4`.
pub fn run_child(args: &[String]) -> Result<Finished> {
    let exe = std::env::current_exe().context("find this executable")?;
    let mut child = Command::new(&exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("start {}", exe.display()))?;
    let mut out = String::new();
    if let Some(mut so) = child.stdout.take() {
        so.read_to_string(&mut out)
            .context("read the child's report")?;
    }
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; zeroed is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own un-reaped child; status and ru point to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e).context("wait4 for the child");
        }
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!(
            "child `{}` failed ({}) — its error is printed above",
            args.join(" "),
            if libc::WIFSIGNALED(status) {
                format!("killed by signal {}", libc::WTERMSIG(status))
            } else {
                format!("exit status {}", libc::WEXITSTATUS(status))
            }
        );
    }
    let report: ChildReport = serde_json::from_str(out.trim())
        .with_context(|| format!("parse the child's report {out:?}"))?;
    Ok(Finished {
        report,
        peak_rss_kib: ru.ru_maxrss.max(0) as u64,
        cpu_s: tv(ru.ru_utime) + tv(ru.ru_stime),
    })
}

fn tv(t: libc::timeval) -> f64 {
    t.tv_sec as f64 + t.tv_usec as f64 / 1e6
}

/// `--launch`: runs the child given by `args` (the same arguments without `--launch`), and
/// prints its report with `peak_rss_kib` from `wait4`.
pub fn launch(args: &[String]) -> Result<()> {
    let f = run_child(args)?;
    let mut report = f.report;
    report.peak_rss_kib = f.peak_rss_kib;
    report.cpu_s = f.cpu_s;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// Copies a directory tree (the fresh copy each run starts from; not timed).
pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("create {}", to.display()))?;
    for e in std::fs::read_dir(from).with_context(|| format!("list {}", from.display()))? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), &target)
                .with_context(|| format!("copy {} to {}", e.path().display(), target.display()))?;
        }
    }
    Ok(())
}

/// Bytes of the files under `dir` (what `Store::disk_size` counts, for a closed store).
pub fn tree_size(dir: &Path) -> Result<u64> {
    interlog::storage::files::dir_size(dir).with_context(|| format!("measure {}", dir.display()))
}

/// Removes a path if it exists.
pub fn remove(p: &Path) -> Result<()> {
    let r = if p.is_dir() {
        std::fs::remove_dir_all(p)
    } else {
        std::fs::remove_file(p)
    };
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("remove {}", p.display())),
    }
}

/// Busy and total CPU time of the whole machine so far, seconds (from /proc/stat).
pub fn machine_cpu() -> Option<(f64, f64)> {
    let s = std::fs::read_to_string("/proc/stat").ok()?;
    let line = s.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 8 {
        return None;
    }
    // user nice system idle iowait irq softirq steal
    let busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    let total = busy + v[3] + v[4];
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some((busy as f64 / hz, total as f64 / hz))
}

/// CPU cores kept busy by the whole machine over the next `window`.
fn busy_cores(window: std::time::Duration) -> f64 {
    let a = machine_cpu();
    std::thread::sleep(window);
    match (a, machine_cpu()) {
        (Some((b0, _)), Some((b1, _))) => (b1 - b0) / window.as_secs_f64(),
        _ => 0.0,
    }
}

/// Waits (up to `max_s` seconds) until other processes keep less than `threshold` cores busy.
/// Returns the load seen last, in cores.
pub fn settle(max_s: u64, threshold: f64) -> f64 {
    let start = std::time::Instant::now();
    loop {
        let b = busy_cores(std::time::Duration::from_millis(300));
        if b < threshold || start.elapsed().as_secs() >= max_s {
            return b;
        }
    }
}
