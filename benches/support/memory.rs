//! What the benchmarks read of a process from /proc.

/// Peak resident memory of a process, from /proc (VmHWM).
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time a process has used so far (user and system), from /proc.
#[allow(dead_code)]
pub fn cpu_time(pid: u32) -> std::time::Duration {
    thread_cpu_time(&format!("/proc/{pid}/stat"))
}

/// The calling thread's `/proc` stat file, for [`thread_cpu_time`] to read
/// from another thread.
#[allow(dead_code)]
pub fn this_thread_stat() -> String {
    let task = std::fs::read_link("/proc/thread-self").unwrap_or_default();
    format!("/proc/{}/stat", task.display())
}

/// CPU time a thread (or, from `/proc/PID/stat`, a process) has used so
/// far, from its stat file.
pub fn thread_cpu_time(stat: &str) -> std::time::Duration {
    let stat = std::fs::read_to_string(stat).unwrap_or_default();
    // The fields after the command name, which may itself hold spaces.
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    std::time::Duration::from_millis(ticks * 1000 / per_second)
}
