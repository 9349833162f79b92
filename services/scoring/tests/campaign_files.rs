//! A campaign file with problems gets every one of them named, each at the
//! path of its field, so a council fixes it in one go.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use smartville_scoring::{CampaignError, CampaignSpec};

fn example() -> Value {
    serde_json::from_slice(include_bytes!("../../../examples/campaign.json")).unwrap()
}

fn problems(file: &Value) -> Vec<(String, String)> {
    CampaignSpec::problems_of(file.to_string().as_bytes()).iter().map(|p| (p.field(), p.to_string())).collect()
}

#[test]
fn the_example_campaign_has_no_problems() {
    assert_eq!(problems(&example()), []);
}

#[test]
fn every_problem_is_named_with_its_field_and_zone_index() {
    let mut file = example();
    file["thresholds"] = json!({"min_speed_kmh": 40.0, "max_gap_s": 0});
    file["schedule"]["windows"]["mon"][0]["until"] = json!("06:00");
    file["zones"]["features"][1]["geometry"]["coordinates"] =
        json!([[[4.98, 51.16], [4.99, 51.17], [4.99, 51.16], [4.98, 51.17], [4.98, 51.16]]]);
    file["zones"]["features"][2]["properties"]["role"] = json!("car_park");
    let found = problems(&file);
    let fields: Vec<&str> = found.iter().map(|(field, _)| field.as_str()).collect();
    assert_eq!(
        fields,
        ["thresholds.max_gap_s", "schedule.windows", "zones.features[1]", "zones.features[2]", "thresholds"],
        "{found:#?}"
    );
    assert!(found[1].1.contains("07:00–06:00 ends before it starts"), "{found:#?}");
    assert!(found[2].1.contains("\"Demo school\"") && found[2].1.contains("self-intersection"), "{found:#?}");
    assert!(found[3].1.contains("car_park"), "{found:#?}");
    assert!(found[4].1.contains("min_speed_kmh must be below max_speed_kmh"), "{found:#?}");
    // `compile` stops at the first of them.
    let spec = CampaignSpec::from_json(file.to_string().as_bytes()).unwrap();
    assert_eq!(spec.compile().unwrap_err().field(), "thresholds.max_gap_s");
}

#[test]
fn a_file_of_the_wrong_shape_is_named_where_reading_stopped() {
    let mut file = example();
    file["reward"]["points_per_km"] = json!(-5);
    let found = problems(&file);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "reward.points_per_km", "{found:#?}");
    let mut file = example();
    file["thresholds"] = json!({"max_gap": 60});
    assert_eq!(problems(&file)[0].0, "thresholds.max_gap", "an unknown field, named");
    assert!(matches!(CampaignSpec::problems_of(b"[1, 2]")[..], [CampaignError::Json(_)]));
}
