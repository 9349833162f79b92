//! What a run cost the machine: CPU time from `/proc/stat` (Linux).
//!
//! Uploads per second at saturation move a lot from one run (or one machine)
//! to the next on shared cores; CPU time per settled upload, measured at a
//! rate the machine carries, moves much less and says what a change bought.
//! It counts everything on the machine (the engine, PostgreSQL, Redis and
//! the load generator itself); time stolen by the hypervisor is left out.

use serde::{Deserialize, Serialize};

/// Kernel ticks per second of `/proc/stat` (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// A reading of the machine's CPU time counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTimes {
    /// Ticks spent running anything (user, nice, system, irq, softirq).
    busy: u64,
    /// Ticks idle or waiting for I/O.
    idle: u64,
}

impl CpuTimes {
    /// The counters now; `None` where `/proc/stat` cannot be read.
    pub fn now() -> Option<Self> {
        Self::parse(&std::fs::read_to_string("/proc/stat").ok()?)
    }

    fn parse(stat: &str) -> Option<Self> {
        let line = stat.lines().find(|line| line.starts_with("cpu "))?;
        let ticks: Vec<u64> = line.split_whitespace().skip(1).map(|f| f.parse().ok()).collect::<Option<_>>()?;
        let tick = |i: usize| ticks.get(i).copied().unwrap_or(0);
        Some(Self { busy: tick(0) + tick(1) + tick(2) + tick(5) + tick(6), idle: tick(3) + tick(4) })
    }

    /// What the machine spent between `self` and `later` on `settled` uploads.
    pub fn until(self, later: Self, settled: u64) -> MachineUse {
        let busy = later.busy.saturating_sub(self.busy) as f64;
        let idle = later.idle.saturating_sub(self.idle) as f64;
        MachineUse {
            busy_share: busy / (busy + idle).max(1.0),
            cpu_ms_per_upload: busy / TICKS_PER_SECOND * 1000.0 / (settled.max(1) as f64),
        }
    }
}

/// The machine's CPU use over the upload phase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MachineUse {
    /// Share of the CPU time that was busy (1.0: no idle time left).
    pub busy_share: f64,
    /// Busy CPU time per settled upload, milliseconds.
    pub cpu_ms_per_upload: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_time_is_shared_out_over_the_settled_uploads() {
        let before = CpuTimes::parse("cpu  100 0 50 1000 10 0 0 7 0 0\ncpu0 1 2 3 4\n").expect("parses");
        let after = CpuTimes::parse("cpu  400 0 150 1100 10 0 0 99 0 0\n").expect("parses");
        // 400 busy ticks (steal left out) = 4 s over 200 uploads; 100 idle ticks.
        let used = before.until(after, 200);
        assert_eq!(used, MachineUse { busy_share: 0.8, cpu_ms_per_upload: 20.0 });
        assert_eq!(CpuTimes::parse("intr 1 2 3"), None);
    }
}

/// The upload phase of a run: how long it took and the machine's CPU counters around it.
#[derive(Debug, Clone, Copy)]
pub struct UploadPhase {
    /// From the first upload to the last one settled.
    pub length: std::time::Duration,
    /// CPU counters at its start and end (where the machine has them).
    pub cpu: Option<(CpuTimes, CpuTimes)>,
}
