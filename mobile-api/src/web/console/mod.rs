//! `/admin`: the council's console, for the staff of councils and schools.
//! Every page runs the administration API's own routes (`crate::admin`) for
//! the signed-in member of staff, so what each role may see and do is
//! decided there, once.
//!
//! - [`campaigns`]: the campaigns, a new one from its file and zones, its
//!   map, audience, lifecycle and budget.
//! - [`reports`]: a campaign's report with charts, and as CSV.
//! - [`schools`]: schools, their classes and join codes, and a class's
//!   poster with its code to print.
//! - [`merchants`]: the shops, offers to approve, settlements.
//! - [`staff`]: the staff, invitations, and the audit log.
//! - [`reviews`]: rides in review and appeals, each on its map with its
//!   reasons, accepted or rejected with a note.

pub mod campaigns;
pub mod merchants;
pub mod reports;
pub mod reviews;
pub mod schools;
pub mod staff;

use maud::{Markup, html};

use super::i18n::{Lang, key};
use super::layout::{self, Part};
use super::map::Drawing;
use crate::admin::access::{Permission, ReadAudit, ReadCampaigns, ReadMerchants, ReadReviews, ReadSchools, ReadStaff};
use smartville_store::staff::StaffRole;

/// A page of the console with its link: its address, the catalogue key of
/// its name, and whether a role may open it.
struct ConsolePage {
    href: &'static str,
    key: &'static str,
    opens: fn(StaffRole) -> bool,
}

/// The console's pages, in the order their links show.
const PAGES: [ConsolePage; 6] = [
    ConsolePage { href: "/admin", key: "console-campaigns", opens: ReadCampaigns::allows },
    ConsolePage { href: "/admin/schools", key: "console-schools", opens: ReadSchools::allows },
    ConsolePage { href: "/admin/reviews", key: "console-reviews", opens: ReadReviews::allows },
    ConsolePage { href: "/admin/merchants", key: "console-merchants", opens: ReadMerchants::allows },
    ConsolePage { href: "/admin/staff", key: "console-staff", opens: ReadStaff::allows },
    ConsolePage { href: "/admin/audit", key: "console-audit", opens: ReadAudit::allows },
];

/// A console page for a staff member with `role`, titled `title`: the links
/// to the pages their role opens, `current` marked as the one shown.
fn page(lang: Lang, role: StaffRole, title: &str, current: &str, body: Markup) -> Markup {
    let links: Vec<(&str, &str)> = PAGES.iter().filter(|p| (p.opens)(role)).map(|p| (p.href, p.key)).collect();
    layout::signed_in(lang, title, &Part { links: &links, manifest: None }, current, body)
}

/// The address the console is used at (`http://localhost:8080`), for the
/// links it hands out: a poster's QR code, an invitation's set-up link.
fn origin(headers: &axum::http::HeaderMap) -> String {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let scheme = header("x-forwarded-proto").unwrap_or("http");
    format!("{scheme}://{}", header("host").unwrap_or("localhost"))
}

/// The console's first page for a staff member with `role`: the first of its pages their role opens.
pub fn home(role: StaffRole) -> &'static str {
    PAGES.iter().find(|p| (p.opens)(role)).map_or("/admin", |p| p.href)
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
    // A zone's CSS class names its role: `zone-school`, `cover-excluded` …
    let role = |properties: &serde_json::Value| properties["role"].as_str().unwrap_or("campaign_area").to_owned();
    let mut drawing = Drawing::default();
    drawing.geojson(zones, |properties| key("zone", &role(properties)));
    if let Some(coverage) = coverage {
        // The area's own cells tile all of it: its outline says as much in a few bytes.
        let edges = |properties: &serde_json::Value| properties["role"] != "campaign_area";
        drawing.geojson_where(coverage, edges, |properties| key("cover", &role(properties)));
    }
    if let Some(ride) = ride {
        drawing.line(ride, "ride");
    }
    let caption = format!("{id}-caption");
    let has_zones = zones["features"].as_array().is_some_and(|features| !features.is_empty());
    html! {
        @if !drawing.is_empty() {
            figure aria-labelledby=(caption) {
                figcaption #(caption) { (lang.t(if has_zones { "console-map" } else { "console-ride-map" })) }
                (drawing.svg(&caption))
                @if has_zones {
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
}
