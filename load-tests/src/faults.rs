//! What each fault of a chaos run did to the uploads around it.
//!
//! `chaos.sh` injects faults one after another during a morning rush and
//! writes down when it injected each and when the component was back; the
//! load generator writes its timeline (`run --timeline`). Laid side by side
//! they say, for each fault: which attempts failed and how, how long uploads
//! took to settle while it lasted and after, and how long until uploads were
//! answered as before it.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};

use crate::report::TimelineEvent;

/// One fault as the chaos script recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// What was done, e.g. `SIGKILL scoring`.
    pub name: String,
    /// When it was done, ms since the Unix epoch.
    pub injected_ms: i64,
    /// When the component was back (restarted and ready), ms since the Unix epoch.
    pub restored_ms: i64,
}

/// Reads the chaos script's record: one fault per line, `name<TAB>injected_ms<TAB>restored_ms`.
pub fn read(text: &str) -> Result<Vec<Fault>> {
    let mut faults = Vec::new();
    for (number, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, injected, restored] = fields[..] else {
            bail!("line {}: expected name, injected_ms and restored_ms separated by tabs", number + 1);
        };
        let ms = |field: &str| field.trim().parse::<i64>().with_context(|| format!("line {}: {field:?}", number + 1));
        faults.push(Fault { name: name.to_owned(), injected_ms: ms(injected)?, restored_ms: ms(restored)? });
    }
    faults.sort_by_key(|fault| fault.injected_ms);
    Ok(faults)
}

/// An upload is answered "as before" when it settles within this many times
/// the p99 before the first fault, and at least within this floor.
const NORMAL_FACTOR: f64 = 3.0;
const NORMAL_FLOOR_MS: f64 = 1_000.0;
/// Recovered means this many seconds in a row as before, each with uploads.
const NORMAL_SECONDS_IN_A_ROW: i64 = 3;

/// The table: a line for the time before the first fault, then one per fault.
pub fn table(timeline: &[TimelineEvent], faults: &[Fault]) -> String {
    let uploads: Vec<(i64, Option<f64>)> = timeline
        .iter()
        .filter_map(|event| match event {
            TimelineEvent::Upload { started_ms, settled_after_ms } => Some((*started_ms, *settled_after_ms)),
            TimelineEvent::Failure { .. } => None,
        })
        .collect();
    let failures: Vec<(i64, Option<u16>)> = timeline
        .iter()
        .filter_map(|event| match event {
            TimelineEvent::Failure { at_ms, status, .. } => Some((*at_ms, *status)),
            TimelineEvent::Upload { .. } => None,
        })
        .collect();
    let started_in = |from: i64, until: i64| -> Vec<Option<f64>> {
        uploads.iter().filter(|(at, _)| (from..until).contains(at)).map(|(_, settled)| *settled).collect()
    };
    let first_fault = faults.first().map_or(i64::MAX, |fault| fault.injected_ms);
    let baseline = started_in(i64::MIN, first_fault);
    let normal_ms = (percentile_99(&baseline).unwrap_or(0.0) * NORMAL_FACTOR).max(NORMAL_FLOOR_MS);

    let mut out = String::from(
        "| fault | down for | failed attempts (retried) | uploads during / after | submit→settled p99 during / after | back to normal after |\n\
         |---|---|---|---|---|---|\n",
    );
    out.push_str(&format!(
        "| none (before the first fault) | - | {} | {} | {} | - |\n",
        by_status(failures.iter().filter(|(at, _)| *at < first_fault)),
        baseline.len(),
        shown(&baseline),
    ));
    for (index, fault) in faults.iter().enumerate() {
        let phase_end = faults.get(index + 1).map_or(i64::MAX, |next| next.injected_ms);
        let during = started_in(fault.injected_ms, fault.restored_ms + 1);
        let after = started_in(fault.restored_ms + 1, phase_end);
        let failed = failures.iter().filter(|(at, _)| (fault.injected_ms..phase_end).contains(at));
        let is_normal_second = |second: i64| {
            let from = fault.injected_ms + second * 1000;
            let settled = started_in(from, from + 1000);
            !settled.is_empty()
                && settled.iter().all(|ms| ms.is_some_and(|ms| ms <= normal_ms))
                && !failures.iter().any(|(at, _)| (from..from + 1000).contains(at))
        };
        let seconds_in_phase = (phase_end.min(last_start(&uploads)) - fault.injected_ms) / 1000 + 1;
        let recovered = (0..seconds_in_phase.max(0))
            .find(|&second| (second..second + NORMAL_SECONDS_IN_A_ROW).all(is_normal_second))
            .map_or("not within the phase".to_owned(), |second| format!("{second} s"));
        out.push_str(&format!(
            "| {} | {:.1} s | {} | {} / {} | {} / {} | {recovered} |\n",
            fault.name,
            (fault.restored_ms - fault.injected_ms) as f64 / 1000.0,
            by_status(failed),
            during.len(),
            after.len(),
            shown(&during),
            shown(&after),
        ));
    }
    out.push_str(&format!(
        "\n\"As before\": every upload started in that second settled within {normal_ms:.0} ms \
         ({NORMAL_FACTOR}× the p99 before the first fault, at least {NORMAL_FLOOR_MS:.0} ms) with no failed \
         attempt, {NORMAL_SECONDS_IN_A_ROW} seconds in a row; counted from the fault.\n"
    ));
    out
}

/// When the last upload started (the phases end there).
fn last_start(uploads: &[(i64, Option<f64>)]) -> i64 {
    uploads.iter().map(|(at, _)| *at).max().unwrap_or(i64::MIN)
}

/// Failed attempts counted by status, e.g. `503 ×40, no answer ×3`; `none` for none.
fn by_status<'a>(failures: impl Iterator<Item = &'a (i64, Option<u16>)>) -> String {
    let mut counts: BTreeMap<Option<u16>, u64> = BTreeMap::new();
    for (_, status) in failures {
        *counts.entry(*status).or_default() += 1;
    }
    if counts.is_empty() {
        return "none".to_owned();
    }
    counts
        .iter()
        .map(|(status, count)| match status {
            Some(status) => format!("{status} ×{count}"),
            None => format!("no answer ×{count}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The p99 of the settled uploads in ms, or `None` when there are none.
fn percentile_99(settled: &[Option<f64>]) -> Option<f64> {
    let mut times: Vec<f64> = settled.iter().flatten().copied().collect();
    if times.is_empty() {
        return None;
    }
    times.sort_by(f64::total_cmp);
    let rank = ((times.len() as f64) * 0.99).ceil() as usize;
    Some(times[rank.clamp(1, times.len()) - 1])
}

/// The p99 for the table, with the uploads that never settled counted.
fn shown(settled: &[Option<f64>]) -> String {
    let unsettled = settled.iter().filter(|ms| ms.is_none()).count();
    let p99 = percentile_99(settled).map_or("-".to_owned(), |ms| format!("{ms:.0} ms"));
    if unsettled == 0 { p99 } else { format!("{p99}, {unsettled} NEVER SETTLED") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Request;

    fn upload(started_ms: i64, settled_ms: f64) -> TimelineEvent {
        TimelineEvent::Upload { started_ms, settled_after_ms: Some(settled_ms) }
    }

    #[test]
    fn each_fault_gets_its_failures_latencies_and_recovery_time() {
        // Ten uploads a second for 20 s at 100 ms; a fault at 10 s, back at 12 s: the uploads
        // started while it lasted took 5 s, two attempts got 503, one no answer.
        let mut timeline: Vec<TimelineEvent> = (0..200)
            .map(|n| {
                let at = n * 100;
                upload(at, if (10_000..=12_000).contains(&at) { 5_000.0 } else { 100.0 })
            })
            .collect();
        for (at_ms, status) in [(10_500, Some(503)), (11_000, Some(503)), (11_500, None)] {
            timeline.push(TimelineEvent::Failure { at_ms, request: Request::Upload, status });
        }
        let faults = read("SIGKILL scoring\t10000\t12000\n").expect("reads");
        let table = table(&timeline, &faults);
        assert!(table.contains("| none (before the first fault) | - | none | 100 | 100 ms | - |"), "{table}");
        // Back to normal from the second starting at 13 s (12 s still holds the upload started at 12.0 s).
        assert!(
            table.contains("| SIGKILL scoring | 2.0 s | no answer ×1, 503 ×2 | 21 / 79 | 5000 ms / 100 ms | 3 s |"),
            "{table}"
        );
    }

    #[test]
    fn a_fault_never_recovered_from_and_unsettled_uploads_are_shown() {
        let mut timeline: Vec<TimelineEvent> = (0..50).map(|n| upload(n * 100, 100.0)).collect();
        timeline.extend((50..100).map(|n| TimelineEvent::Upload { started_ms: n * 100, settled_after_ms: None }));
        let table = table(&timeline, &read("stop PostgreSQL\t5000\t6000").expect("reads"));
        assert!(
            table.contains(
                "| stop PostgreSQL | 1.0 s | none | 11 / 39 | -, 11 NEVER SETTLED / -, 39 NEVER SETTLED | not within the phase |"
            ),
            "{table}"
        );
    }

    #[test]
    fn malformed_fault_lines_are_refused() {
        assert!(read("kill\t12").is_err());
        assert!(read("kill\tsoon\t12").is_err());
    }
}
