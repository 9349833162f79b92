//! The demo town: a school, a campaign area and an excluded motorway strip in
//! Geel (the town of the OSLO standard's "Geelcoins" example), and routes from
//! students' homes to the school. `examples/campaign.json` uses the same
//! coordinates.

use crate::Route;

/// The demo school's entrance, `(lat, lon)`.
pub const SCHOOL: (f64, f64) = (51.1625, 4.9905);
/// Half-size of the square school zone, degrees `(lat, lon)` (≈ 100 m each way).
pub const SCHOOL_HALF_SIZE: (f64, f64) = (0.0009, 0.0014);
/// The campaign area: a box around Geel, `(min_lat, min_lon, max_lat, max_lon)`.
pub const CAMPAIGN_AREA: (f64, f64, f64, f64) = (51.12, 4.93, 51.20, 5.05);
/// An excluded strip (a motorway), `(min_lat, min_lon, max_lat, max_lon)`.
pub const EXCLUDED: (f64, f64, f64, f64) = (51.128, 4.93, 51.131, 5.05);

/// A 2.7 km ride from a home south-west of the centre to the school.
pub fn home_to_school() -> Route {
    Route::new(&[(51.1450, 4.9650), (51.1500, 4.9720), (51.1555, 4.9790), (51.1590, 4.9860), SCHOOL])
}

/// A winding 8 km ride through town ending at the school: about 30 minutes
/// by bike, the benchmark's ride.
pub fn long_ride_to_school() -> Route {
    Route::new(&[
        (51.1380, 4.9450),
        (51.1420, 4.9600),
        (51.1480, 4.9550),
        (51.1530, 4.9650),
        (51.1500, 4.9780),
        (51.1560, 4.9850),
        (51.1650, 4.9800),
        (51.1700, 4.9900),
        (51.1660, 5.0000),
        SCHOOL,
    ])
}
