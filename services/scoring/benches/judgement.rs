//! How right the judgement is on real trips: the confusion matrix of the
//! labelled set (true mode × accepted / review / rejected, with the reasons)
//! for the trips as recorded and as a backgrounded phone sends them.
//!
//! Run with `cargo bench -p smartville-scoring --bench judgement`; it prints
//! Markdown, the tables in the README. With `-- --detail` it also lists every
//! trip's outcome with its figures and reasons, for looking into a mistake.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "../tests/common/labelled.rs"]
mod labelled;

use labelled::{Mode, Sampling};

fn main() {
    let trips = labelled::load();
    let campaign = labelled::motion_only_campaign();
    let mut people: Vec<(&Mode, &str)> = trips.iter().map(|t| (&t.mode, t.person.as_str())).collect();
    people.sort();
    people.dedup();
    println!("Labelled set: {} trips", trips.len());
    for mode in Mode::ALL {
        let count = trips.iter().filter(|t| t.mode == mode).count();
        let recorders = people.iter().filter(|(m, _)| **m == mode).count();
        println!("- {mode:?}: {count} trips by {recorders} recorders");
    }
    let detail = std::env::args().any(|arg| arg == "--detail");
    for sampling in Sampling::ALL {
        println!("\n#### {}\n", sampling.name());
        print!("{}", labelled::evaluate(&trips, sampling, &campaign).to_markdown());
        if detail {
            for trip in &trips {
                let outcome = labelled::judge(sampling.apply(trip), &campaign);
                println!("{:?} {:?} {} ({}): {}", trip.mode, outcome.status, trip.file, trip.label, outcome.detail);
            }
        }
    }
}
