//! `/admin`: the council's console, for the staff of councils and schools.
//! Every page runs the administration API's own routes (`crate::admin`) for
//! the signed-in member of staff, so what each role may see and do is
//! decided there, once.
//!
//! - [`campaigns`]: the campaigns, a new one from its file and zones, its
//!   map, audience, lifecycle and budget.
//! - [`reviews`]: rides in review and appeals, each on its map with its
//!   reasons, accepted or rejected with a note.

pub mod campaigns;
pub mod reviews;

use maud::{Markup, html};

use super::i18n::Lang;
use super::layout::{self, Part};
use super::map::Drawing;

/// The console's pages, in the order their links show.
const PART: Part =
    Part { links: &[("/admin", "console-campaigns"), ("/admin/reviews", "console-reviews")], manifest: None };

/// A console page titled `title`, the link `current` marked as the one shown.
fn page(lang: Lang, title: &str, current: &str, body: Markup) -> Markup {
    layout::signed_in(lang, title, &PART, current, body)
}

/// A campaign's zones on a map: each zone's outline by its role, the H3
/// cells that decide what is inside it (`coverage`, when known) over it,
/// and `ride` (positions of a ride) on top; with a legend.
fn zones_map(
    lang: Lang,
    id: &str,
    zones: &serde_json::Value,
    coverage: Option<&serde_json::Value>,
    ride: Option<Vec<(f64, f64)>>,
) -> Markup {
    let role =
        |properties: &serde_json::Value| properties["role"].as_str().unwrap_or("campaign_area").replace('_', "-");
    let mut drawing = Drawing::default();
    drawing.geojson(zones, |properties| format!("zone-{}", role(properties)));
    if let Some(coverage) = coverage {
        // The area's own cells tile all of it: its outline says as much in a few bytes.
        let edges = |properties: &serde_json::Value| properties["role"] != "campaign_area";
        drawing.geojson_where(coverage, edges, |properties| format!("cover-{}", role(properties)));
    }
    if let Some(ride) = ride {
        drawing.line(ride, "ride");
    }
    let caption = format!("{id}-caption");
    html! {
        @if !drawing.is_empty() {
            figure aria-labelledby=(caption) {
                figcaption #(caption) { (lang.t("console-map")) }
                (drawing.svg(&caption))
                ul.legend {
                    li { span.zone-campaign-area {} (lang.t("console-zone-campaign-area")) }
                    li { span.zone-school {} (lang.t("console-zone-school")) }
                    li { span.zone-excluded {} (lang.t("console-zone-excluded")) }
                    @if coverage.is_some() { li { span.cover {} (lang.t("console-zone-cells")) } }
                }
            }
        }
    }
}
