//! Maps without a tile server (DESIGN §11): shapes in longitude and latitude
//! — zones, H3 cells, rides, as GeoJSON gives them — drawn as an inline SVG
//! on a plain background, north up and east right, in an equirectangular
//! view fitted to what is drawn (true to scale across a town). Each shape
//! carries a CSS class, so the style sheet says how a school, an excluded
//! zone or a ride looks.

use maud::{Markup, html};
use serde_json::Value;

/// A position: longitude, latitude (degrees, WGS 84), as GeoJSON orders them.
pub type Position = (f64, f64);

/// A shape to draw.
enum Shape {
    /// An area: its rings (outer and holes, drawn even-odd so holes stay open).
    Area(Vec<Vec<Position>>),
    /// A line through its positions.
    Line(Vec<Position>),
}

/// What a map shows, in drawing order (later shapes on top).
#[derive(Default)]
pub struct Drawing {
    shapes: Vec<(Shape, String, Option<f64>)>,
}

/// The map's width in SVG units; its height follows from what it shows.
const WIDTH: f64 = 640.0;

impl Drawing {
    /// Adds an area of `rings` with the CSS class `class` and, if given, its own opacity (0 to 1).
    pub fn area(&mut self, rings: Vec<Vec<Position>>, class: &str, opacity: Option<f64>) {
        self.shapes.push((Shape::Area(rings), class.to_owned(), opacity));
    }

    /// Adds a line through `positions` with the CSS class `class`.
    pub fn line(&mut self, positions: Vec<Position>, class: &str) {
        self.shapes.push((Shape::Line(positions), class.to_owned(), None));
    }

    /// Adds every feature of a GeoJSON FeatureCollection (polygons as areas,
    /// lines as lines), each with the class `class_of` gives its properties.
    pub fn geojson(&mut self, collection: &Value, class_of: impl Fn(&Value) -> String) {
        self.geojson_where(collection, |_| true, class_of);
    }

    /// Adds the features of a GeoJSON FeatureCollection whose properties `keep` takes, as [`Drawing::geojson`].
    pub fn geojson_where(
        &mut self,
        collection: &Value,
        keep: impl Fn(&Value) -> bool,
        class_of: impl Fn(&Value) -> String,
    ) {
        let features = collection["features"].as_array().map(Vec::as_slice).unwrap_or_default();
        for feature in features.iter().filter(|feature| keep(&feature["properties"])) {
            let class = class_of(&feature["properties"]);
            let geometry = &feature["geometry"];
            let coordinates = &geometry["coordinates"];
            match geometry["type"].as_str() {
                Some("Polygon") => self.area(rings(coordinates), &class, None),
                Some("MultiPolygon") => {
                    let polygons = coordinates.as_array().map(Vec::as_slice).unwrap_or_default();
                    self.area(polygons.iter().flat_map(rings).collect(), &class, None);
                }
                Some("LineString") => self.line(positions(coordinates), &class),
                _ => {}
            }
        }
    }

    /// Whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// The map, labelled by the element with the id `labelled_by`; nothing
    /// when there is nothing to draw.
    pub fn svg(&self, labelled_by: &str) -> Markup {
        let all = || {
            self.shapes.iter().flat_map(|(shape, ..)| match shape {
                Shape::Area(rings) => rings.iter().flatten().copied().collect::<Vec<_>>(),
                Shape::Line(positions) => positions.clone(),
            })
        };
        let Some(view) = View::fitted(all()) else { return html! {} };
        html! {
            svg.map viewBox={ "0 0 " (WIDTH) " " (format!("{:.0}", view.height)) } role="img" aria-labelledby=(labelled_by) {
                @for (shape, class, opacity) in &self.shapes {
                    @match shape {
                        Shape::Area(rings) => {
                            @let d: String = rings.iter().map(|ring| format!("M{}Z", view.path(ring))).collect();
                            path class=(class) d=(d) fill-rule="evenodd"
                                fill-opacity=[opacity.map(|o| format!("{o:.2}"))] {}
                        }
                        Shape::Line(positions) => {
                            polyline class=(class) points=(view.path(positions)) {}
                        }
                    }
                }
            }
        }
    }
}

/// The rings of a GeoJSON polygon's coordinates.
fn rings(coordinates: &Value) -> Vec<Vec<Position>> {
    coordinates.as_array().map(Vec::as_slice).unwrap_or_default().iter().map(positions).collect()
}

/// The positions of a GeoJSON ring or line.
fn positions(coordinates: &Value) -> Vec<Position> {
    let list = coordinates.as_array().map(Vec::as_slice).unwrap_or_default();
    list.iter().filter_map(|at| Some((at.get(0)?.as_f64()?, at.get(1)?.as_f64()?))).collect()
}

/// The projection of a drawing: equirectangular, fitted to its extent.
struct View {
    west: f64,
    north: f64,
    /// How much narrower a degree of longitude is than one of latitude, at the middle latitude.
    shrink: f64,
    /// SVG units per degree of latitude.
    scale: f64,
    height: f64,
}

impl View {
    fn fitted(positions: impl Iterator<Item = Position>) -> Option<Self> {
        let (mut west, mut east, mut south, mut north) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (lon, lat) in positions.filter(|(lon, lat)| lon.is_finite() && lat.is_finite()) {
            (west, east, south, north) = (west.min(lon), east.max(lon), south.min(lat), north.max(lat));
        }
        if west > east {
            return None;
        }
        let shrink = ((south + north) / 2.0).to_radians().cos();
        let scale = WIDTH / ((east - west) * shrink).max(1e-9);
        let height = ((north - south) * scale).max(1.0);
        Some(Self { west, north, shrink, scale, height })
    }

    /// The positions as SVG coordinates: `x,y x,y …`.
    fn path(&self, positions: &[Position]) -> String {
        let point = |&(lon, lat): &Position| {
            format!("{:.1},{:.1}", (lon - self.west) * self.shrink * self.scale, (self.north - lat) * self.scale)
        };
        positions.iter().map(point).collect::<Vec<_>>().join(" ")
    }
}
