//! Charts drawn as inline SVG (no script, no library): columns for a figure
//! over days or weeks, and a line for one that runs down. A chart is the
//! picture of a table the page also shows, which is what a screen reader
//! reads; the chart is labelled by its caption.

use maud::{Markup, html};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 160.0;

/// One column per value, as tall as its share of the largest.
#[allow(clippy::cast_precision_loss)] // a chart's few hundred columns
pub fn columns(labelled_by: &str, values: &[f64]) -> Markup {
    let most = values.iter().copied().fold(0.0_f64, f64::max).max(f64::MIN_POSITIVE);
    let step = WIDTH / values.len().max(1) as f64;
    html! {
        svg.chart viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-labelledby=(labelled_by) preserveAspectRatio="none" {
            @for (index, value) in values.iter().enumerate() {
                @let height = value.max(0.0) / most * (HEIGHT - 4.0);
                rect x=(format!("{:.1}", index as f64 * step + step * 0.1)) y=(format!("{:.1}", HEIGHT - height))
                    width=(format!("{:.1}", step * 0.8)) height=(format!("{:.1}", height)) {}
            }
        }
    }
}

/// A line through the values, from `top` (the chart's full height) down to zero.
#[allow(clippy::cast_precision_loss)] // a chart's few hundred points
pub fn line(labelled_by: &str, values: &[f64], top: f64) -> Markup {
    let top = top.max(f64::MIN_POSITIVE);
    let step = WIDTH / (values.len().max(2) - 1) as f64;
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            format!("{:.1},{:.1}", index as f64 * step, HEIGHT - value.clamp(0.0, top) / top * (HEIGHT - 4.0))
        })
        .collect();
    html! {
        svg.chart viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-labelledby=(labelled_by) preserveAspectRatio="none" {
            polyline points=(points.join(" ")) {}
        }
    }
}
