//! The judgement on real trips, labelled by how they travelled
//! (`tests/data/labelled/`), as recorded and as a phone in the background
//! sends them: the floors below are what the checks achieve today (see the
//! README's matrix, `cargo bench -p smartville-scoring --bench judgement`),
//! so that a change that judges real phones worse fails here. Raise them as
//! the judgement improves.
#![allow(clippy::unwrap_used)]

mod common;

use common::labelled::{self, Mode, Sampling};
use smartville_scoring::Status;

#[test]
fn real_trips_are_judged_as_they_travelled_at_every_sampling() {
    let trips = labelled::load();
    let campaign = labelled::motion_only_campaign();
    for sampling in Sampling::ALL {
        let matrix = labelled::evaluate(&trips, sampling, &campaign);
        let table = matrix.to_markdown();
        let name = sampling.name();
        assert!(matrix.share(Mode::Bike, Status::Accepted) >= 0.6, "{name}: bike rides refused\n{table}");
        assert!(matrix.share(Mode::Bike, Status::Review) <= 0.2, "{name}: bike rides sent to review\n{table}");
        assert!(matrix.share(Mode::Walk, Status::Accepted) <= 0.05, "{name}: walks accepted\n{table}");
        assert!(matrix.share(Mode::Motor, Status::Accepted) <= 0.25, "{name}: motor trips accepted\n{table}");
    }
}

#[test]
fn a_phone_sending_a_fix_every_30_s_is_judged_like_a_1_hz_logger() {
    let trips = labelled::load();
    let campaign = labelled::motion_only_campaign();
    let recorded = labelled::evaluate(&trips, Sampling::Native, &campaign);
    let phone = labelled::evaluate(&trips, Sampling::Phone(30.0), &campaign);
    let table = phone.to_markdown();
    assert!(phone.share(Mode::Bike, Status::Accepted) >= 0.75, "{table}");
    assert!(phone.share(Mode::Bike, Status::Review) <= 0.07, "{table}");
    for mode in Mode::ALL {
        let (at_1_hz, at_30_s) = (recorded.share(mode, Status::Accepted), phone.share(mode, Status::Accepted));
        assert!((at_1_hz - at_30_s).abs() <= 0.1, "{mode:?}: {at_1_hz} as recorded, {at_30_s} every 30 s\n{table}");
    }
}
