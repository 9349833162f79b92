//! `/open/{town}`: what a town's ride campaigns achieved, for everyone and
//! without signing in — per campaign its participants, rides, kilometres and
//! CO2 avoided, week by week, and a heat map of the streets ridden. It reads
//! the same aggregates as the council's reports ([`smartville_engine::reports`]),
//! never a ride, and shows only totals: no participant, class or school is
//! named, a street shows once ten different participants rode it, and no
//! ride's start or end is ever among them.
//!
//! A town is named by its council's name in lower case with dashes
//! (`/open/geel`) or by its tenant id (the Open311 jurisdiction).

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use fluent_bundle::FluentValue;
use h3o::CellIndex;
use maud::{Markup, html};
use smartville_engine::reports::{self, Period, Report, ReportQuery};
use smartville_store::campaigns::{self, Campaign, CampaignKind, CampaignStatus};
use smartville_store::reports::Reach;
use smartville_store::tenancy::{self, Tenant};
use unicode_normalization::UnicodeNormalization;

use super::chart;
use super::i18n::Lang;
use super::layout;
use super::map::Drawing;
use crate::ApiState;

/// A town's name as its address: lower case, accents dropped, words joined by dashes.
pub fn town_slug(name: &str) -> String {
    let plain: String = name.nfd().filter(char::is_ascii).collect::<String>().to_lowercase();
    plain.split(|c: char| !c.is_ascii_alphanumeric()).filter(|word| !word.is_empty()).collect::<Vec<_>>().join("-")
}

/// `GET /open/{town}`.
pub async fn page(State(state): State<ApiState>, Path(town): Path<String>, lang: Lang) -> Response {
    match render(&state, &town, lang).await {
        Ok(Some(page)) => Html(page.into_string()).into_response(),
        Ok(None) => super::not_found(lang),
        Err(error) => super::failed(lang, error),
    }
}

async fn render(state: &ApiState, town: &str, lang: Lang) -> Result<Option<Markup>, smartville_engine::EngineError> {
    let engine = &state.engine;
    let tenants = tenancy::tenants(&engine.store).await?;
    let Some(tenant) = tenants.iter().find(|t| t.id.as_str() == town || town_slug(&t.name) == town) else {
        return Ok(None);
    };
    let shown: Vec<Campaign> = campaigns::campaigns(&engine.store, &tenant.id)
        .await?
        .into_iter()
        .filter(|c| c.kind == CampaignKind::Rides && c.status != CampaignStatus::Draft)
        .collect();
    let mut reported = Vec::with_capacity(shown.len());
    for campaign in shown {
        let query = ReportQuery { from: None, until: None, by: Period::Week, reach: Reach::Campaign };
        match reports::report(engine, &campaign, &query).await {
            Ok(report) => {
                let cells = reports::heat_map(engine, &campaign).await?;
                reported.push(Shown { campaign, report, cells });
            }
            Err(reports::ReportRefusal::Engine(error)) => return Err(error),
            // A campaign longer than a report covers: its figures are on the council's pages.
            Err(reports::ReportRefusal::Range(_)) => {}
        }
    }
    Ok(Some(dashboard(lang, tenant, &reported)))
}

/// A campaign with what the dashboard shows of it.
struct Shown {
    campaign: Campaign,
    report: Report,
    /// The heat map's cells, with how many participants rode each.
    cells: Vec<(CellIndex, i64)>,
}

fn dashboard(lang: Lang, tenant: &Tenant, campaigns: &[Shown]) -> Markup {
    let title = lang.text("open-title", &[("town", FluentValue::from(tenant.name.as_str()))]);
    let body = html! {
        h1 { (title) }
        p { (lang.t("open-intro")) }
        @if campaigns.is_empty() { p { (lang.t("open-no-campaigns")) } }
        @for shown in campaigns {
            (campaign_section(lang, shown))
        }
    };
    layout::page(lang, &title, body)
}

fn campaign_section(lang: Lang, Shown { campaign, report, cells }: &Shown) -> Markup {
    let anchor = format!("campaign-{}", campaign.slug);
    let totals = &report.totals;
    let dates = lang.text(
        "open-dates",
        &[("from", FluentValue::from(lang.date(report.from))), ("until", FluentValue::from(lang.date(report.until)))],
    );
    html! {
        section.campaign aria-labelledby=(anchor) {
            h2 #(anchor) { (campaign.name) }
            p { (dates) }
            dl.figures {
                div { dt { (lang.t("open-participants")) } dd.participants { (lang.number(totals.participants)) } }
                div { dt { (lang.t("open-rides")) } dd.rides { (lang.number(totals.rides_accepted)) } }
                div { dt { (lang.t("open-km")) } dd.km { (lang.decimal(totals.km, 1)) } }
                div { dt { (lang.t("open-co2")) } dd.co2 { (lang.decimal(totals.co2_kg, 1)) } }
            }
            @if !report.rows.is_empty() {
                (weeks(lang, &anchor, report))
            }
            (heat_map(lang, &anchor, cells))
        }
    }
}

/// The kilometres of each week as bars, and the same figures as a table
/// (what a screen reader reads; the drawing is its picture) that scrolls
/// sideways on its own where a phone is too narrow for it.
fn weeks(lang: Lang, anchor: &str, report: &Report) -> Markup {
    let caption = format!("{anchor}-weeks");
    let km: Vec<f64> = report.rows.iter().map(|row| row.figures.km).collect();
    html! {
        figure aria-labelledby=(caption) {
            figcaption #(caption) { (lang.t("open-km-per-week")) }
            (chart::columns(&caption, &km))
            div.scroll tabindex="0" role="region" aria-labelledby=(caption) {
                table {
                    thead { tr {
                        th scope="col" { (lang.t("open-week-of")) } th scope="col" { (lang.t("open-participants")) }
                        th scope="col" { (lang.t("open-rides")) } th scope="col" { (lang.t("open-km")) }
                        th scope="col" { (lang.t("open-co2")) }
                    } }
                    tbody { @for row in &report.rows { tr {
                        td { (lang.date(row.starts)) } td { (lang.number(row.figures.participants)) }
                        td { (lang.number(row.figures.rides_accepted)) } td { (lang.decimal(row.figures.km, 1)) }
                        td { (lang.decimal(row.figures.co2_kg, 1)) }
                    } } }
                }
            }
        }
    }
}

/// The streets ridden as H3 cells on a plain background ([`super::map`]), darker
/// where more participants rode.
fn heat_map(lang: Lang, anchor: &str, cells: &[(CellIndex, i64)]) -> Markup {
    let caption = format!("{anchor}-streets");
    let count = lang.text(
        "open-streets-count",
        &[("cells", FluentValue::from(cells.len())), ("riders", FluentValue::from(reports::HEAT_MAP_MIN_RIDERS))],
    );
    #[allow(clippy::cast_precision_loss)] // participants per cell, far below 2^52
    let most = cells.iter().map(|(_, riders)| *riders).max().unwrap_or(1) as f64;
    let mut drawing = Drawing::default();
    for (cell, riders) in cells {
        let outline = cell.boundary().iter().map(|at| (at.lng(), at.lat())).collect();
        #[allow(clippy::cast_precision_loss)]
        drawing.area(vec![outline], "cell", Some(0.3 + 0.7 * *riders as f64 / most));
    }
    html! {
        figure aria-labelledby=(caption) {
            figcaption #(caption) { (lang.t("open-streets")) }
            p { (count) }
            (drawing.svg(&caption))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_towns_address_is_its_name_plainly_written() {
        assert_eq!(town_slug("Geel"), "geel");
        assert_eq!(town_slug("Sint-Niklaas"), "sint-niklaas");
        assert_eq!(town_slug("  Zoersel (Halle) "), "zoersel-halle");
        assert_eq!(town_slug("Liège"), "liege");
    }
}
