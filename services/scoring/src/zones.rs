//! Zones compiled for fast membership tests: H3 cell sets behind a raster prefilter.
//!
//! Each GeoJSON feature becomes one [`Zone`]:
//!
//! 1. Its polygon is tiled with H3 cells in `Covers` mode at a resolution whose
//!    edge exceeds the GPS accuracy filter, so a fix that is really inside is
//!    never lost to GPS error, then the set is compacted. Membership of a
//!    point is decided by indexing it at that resolution and walking up its
//!    parents to the coarsest resolution present (one `to_cell`, a few hash
//!    lookups). This is the definition of "inside".
//! 2. Indexing costs ≈ 0.7 µs, too much for every fix of every ride. So the
//!    zone's bounding box is divided into a raster of at most 32 × 32 blocks,
//!    each classified once at compile time: `Inside` (the block lies in the
//!    polygon, so every point of it lies in a covering cell), `Outside` (the
//!    block is further from the polygon than any cell can reach) or `Edge`.
//!    A point costs a bounds test and an array read; only points in `Edge`
//!    blocks are indexed. The raster never changes an answer, it only skips
//!    work (a unit test checks both paths agree).

use geo::{BoundingRect, Contains, Intersects, MultiPolygon, Rect, Validation, coord};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use crate::campaign_error::CampaignError;

/// What a zone means for a ride.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneRole {
    /// School grounds: school runs must start or end here.
    School,
    /// Where rides must take place.
    CampaignArea,
    /// No part of a ride may be here (e.g. a motorway or a drop-off car park).
    Excluded,
}

/// Largest raster side, in blocks.
const RASTER_MAX_SIDE: usize = 32;
/// Metres per degree of latitude.
const M_PER_DEG_LAT: f64 = 111_320.0;

/// The compiled zones of a campaign, grouped by role.
#[derive(Debug, Default)]
pub(crate) struct Zones {
    school: Vec<Zone>,
    campaign_area: Vec<Zone>,
    excluded: Vec<Zone>,
}

impl Zones {
    /// Compiles every feature, or names the problem of each one that cannot be.
    pub(crate) fn compile(
        collection: &geojson::FeatureCollection,
        resolution: u8,
        max_accuracy_m: f64,
    ) -> Result<Self, Vec<CampaignError>> {
        let resolution = Resolution::try_from(resolution)
            .map_err(|_| vec![CampaignError::invalid("thresholds.h3_resolution", "must be between 0 and 15")])?;
        if resolution.edge_length_m() < max_accuracy_m {
            return Err(vec![CampaignError::invalid(
                "thresholds.h3_resolution",
                format!(
                    "cells at resolution {resolution} ({:.0} m edge) are smaller than the accuracy filter ({max_accuracy_m} m)",
                    resolution.edge_length_m()
                ),
            )]);
        }
        let mut zones = Self::default();
        let mut problems = Vec::new();
        for (index, feature) in collection.features.iter().enumerate() {
            match Self::compile_feature(index, feature, resolution) {
                Ok((role, zone)) => match role {
                    ZoneRole::School => zones.school.push(zone),
                    ZoneRole::CampaignArea => zones.campaign_area.push(zone),
                    ZoneRole::Excluded => zones.excluded.push(zone),
                },
                Err(problem) => problems.push(problem),
            }
        }
        if problems.is_empty() { Ok(zones) } else { Err(problems) }
    }

    fn compile_feature(
        index: usize,
        feature: &geojson::Feature,
        resolution: Resolution,
    ) -> Result<(ZoneRole, Zone), CampaignError> {
        let text = |key: &str| feature.property(key).and_then(|v| v.as_str()).map(str::to_owned);
        let name = text("name").unwrap_or_else(|| format!("zone {}", index + 1));
        let zone_error = |problem: String| CampaignError::Zone { index, name: name.clone(), problem };
        let role = match text("role").as_deref() {
            Some("school") => ZoneRole::School,
            Some("campaign_area") => ZoneRole::CampaignArea,
            Some("excluded") => ZoneRole::Excluded,
            other => {
                return Err(zone_error(format!(
                    "properties.role is {other:?}; expected \"school\", \"campaign_area\" or \"excluded\""
                )));
            }
        };
        let geometry = feature.geometry.as_ref().ok_or_else(|| zone_error("has no geometry".into()))?;
        let area = area(&geometry.value).map_err(zone_error)?;
        let zone = Zone::compile(name.clone(), area, resolution).map_err(zone_error)?;
        Ok((role, zone))
    }

    /// The zones with this role.
    pub(crate) fn of(&self, role: ZoneRole) -> &[Zone] {
        match role {
            ZoneRole::School => &self.school,
            ZoneRole::CampaignArea => &self.campaign_area,
            ZoneRole::Excluded => &self.excluded,
        }
    }

    /// The H3 cells that decide what is inside each zone, as a GeoJSON
    /// FeatureCollection: one Feature per zone (its name, role and number of
    /// cells in the properties) whose MultiPolygon holds one polygon per cell
    /// (cells of several resolutions, compacted), to check on a map what
    /// the engine counts as inside.
    pub(crate) fn coverage(&self) -> serde_json::Value {
        let roles = [ZoneRole::CampaignArea, ZoneRole::School, ZoneRole::Excluded];
        let features: Vec<serde_json::Value> = roles
            .into_iter()
            .flat_map(|role| self.of(role).iter().map(move |zone| (role, zone)))
            .map(|(role, zone)| {
                let mut cells: Vec<CellIndex> = zone.cells.iter().copied().collect();
                cells.sort_unstable();
                let polygons: Vec<serde_json::Value> = cells
                    .iter()
                    .map(|cell| {
                        let boundary = cell.boundary();
                        let mut ring: Vec<[f64; 2]> = boundary.iter().map(|v| [v.lng(), v.lat()]).collect();
                        ring.extend(ring.first().copied());
                        serde_json::json!([ring])
                    })
                    .collect();
                serde_json::json!({
                    "type": "Feature",
                    "properties": {"name": zone.name, "role": role, "cells": cells.len()},
                    "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                })
            })
            .collect();
        serde_json::json!({"type": "FeatureCollection", "features": features})
    }

    /// The first zone with this role that contains the point.
    pub(crate) fn find(&self, role: ZoneRole, lat: f64, lon: f64) -> Option<&Zone> {
        self.of(role).iter().find(|zone| zone.contains(lat, lon))
    }
}

/// The area a GeoJSON geometry draws: a Polygon or a MultiPolygon whose
/// rings are closed (first position repeated last), have at least three
/// distinct corners, do not cross themselves or each other, and whose holes
/// lie inside their polygon. Every problem is named, with the polygon and ring.
pub fn area(geometry: &geojson::GeometryValue) -> Result<MultiPolygon, String> {
    let polygons: Vec<&geojson::PolygonType> = match geometry {
        geojson::GeometryValue::Polygon { coordinates } => vec![coordinates],
        geojson::GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        _ => return Err("geometry must be a Polygon or MultiPolygon".into()),
    };
    if polygons.is_empty() || polygons.iter().any(|rings| rings.is_empty()) {
        return Err("the geometry is empty: a polygon needs an outer ring".into());
    }
    for (p, rings) in polygons.iter().enumerate() {
        for (r, ring) in rings.iter().enumerate() {
            let which = format!("polygon {p}, ring {r}");
            if ring.len() < 4 {
                return Err(format!("{which} has {} positions; a ring needs at least 4", ring.len()));
            }
            if ring.first() != ring.last() {
                return Err(format!("{which} is not closed: its last position must repeat its first"));
            }
        }
    }
    let area = match geo::Geometry::<f64>::try_from(geometry) {
        Ok(geo::Geometry::Polygon(polygon)) => MultiPolygon::from(polygon),
        Ok(geo::Geometry::MultiPolygon(polygons)) => polygons,
        _ => return Err("geometry must be a Polygon or MultiPolygon".into()),
    };
    let problems = area.validation_errors();
    if problems.is_empty() {
        Ok(area)
    } else {
        Err(problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
    }
}

/// [`area`] of a GeoJSON geometry given as JSON, as an API receives it.
pub fn area_of_json(json: &serde_json::Value) -> Result<MultiPolygon, String> {
    let geometry: geojson::Geometry =
        serde_json::from_value(json.clone()).map_err(|e| format!("not a GeoJSON geometry: {e}"))?;
    area(&geometry.value)
}

/// How a raster block relates to the zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Outside,
    Edge,
    Inside,
}

/// One compiled zone.
#[derive(Debug)]
pub(crate) struct Zone {
    /// Shown in reason messages.
    pub(crate) name: String,
    /// Bounding box grown by the reach of a cell; outside it nothing is a member.
    bounds: Rect,
    block_deg: (f64, f64),
    raster_size: (usize, usize),
    raster: Vec<Block>,
    cells: FxHashSet<CellIndex>,
    resolution: Resolution,
    coarsest: Resolution,
}

impl Zone {
    fn compile(name: String, area: MultiPolygon, resolution: Resolution) -> Result<Self, String> {
        let mut tiler = TilerBuilder::new(resolution).containment_mode(ContainmentMode::Covers).build();
        for polygon in area.iter() {
            tiler.add(polygon.clone()).map_err(|e| format!("invalid polygon: {e}"))?;
        }
        let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
        cells.sort_unstable();
        cells.dedup();
        CellIndex::compact(&mut cells).map_err(|e| format!("cannot compact cells: {e}"))?;
        let coarsest = cells.iter().map(|c| c.resolution()).min().ok_or("the polygon covers no H3 cell")?;

        // A point whose cell intersects the polygon is at most one cell
        // diameter away from it; three average edges leave room for the
        // size variation of cells over the globe.
        let reach_m = 3.0 * resolution.edge_length_m();
        let polygon_bounds = area.bounding_rect().ok_or("empty geometry")?;
        let max_abs_lat = polygon_bounds.min().y.abs().max(polygon_bounds.max().y.abs()).min(89.0);
        let reach_deg = (reach_m / M_PER_DEG_LAT, reach_m / (M_PER_DEG_LAT * max_abs_lat.to_radians().cos()));
        let bounds = grow(polygon_bounds, reach_deg);

        let (width, height) = (bounds.width(), bounds.height());
        let block_target_deg = 2.0 * resolution.edge_length_m() / M_PER_DEG_LAT;
        let side = |extent: f64| ((extent / block_target_deg).ceil() as usize).clamp(1, RASTER_MAX_SIDE);
        let raster_size = (side(width), side(height));
        let block_deg = (width / raster_size.0 as f64, height / raster_size.1 as f64);
        let mut raster = Vec::with_capacity(raster_size.0 * raster_size.1);
        for row in 0..raster_size.1 {
            for column in 0..raster_size.0 {
                let min = coord! { x: bounds.min().x + column as f64 * block_deg.0, y: bounds.min().y + row as f64 * block_deg.1 };
                let block = Rect::new(min, coord! { x: min.x + block_deg.0, y: min.y + block_deg.1 });
                raster.push(if area.contains(&block) {
                    Block::Inside
                } else if !area.intersects(&grow(block, reach_deg)) {
                    Block::Outside
                } else {
                    Block::Edge
                });
            }
        }
        Ok(Self {
            name,
            bounds,
            block_deg,
            raster_size,
            raster,
            cells: cells.into_iter().collect(),
            resolution,
            coarsest,
        })
    }

    /// Whether the point is in the zone: the raster answers when it can, the
    /// H3 cell set otherwise.
    pub(crate) fn contains(&self, lat: f64, lon: f64) -> bool {
        let (min, max) = (self.bounds.min(), self.bounds.max());
        if lat < min.y || lat > max.y || lon < min.x || lon > max.x {
            return false;
        }
        let column = (((lon - min.x) / self.block_deg.0) as usize).min(self.raster_size.0 - 1);
        let row = (((lat - min.y) / self.block_deg.1) as usize).min(self.raster_size.1 - 1);
        match self.raster[row * self.raster_size.0 + column] {
            Block::Inside => true,
            Block::Outside => false,
            Block::Edge => self.contains_indexed(lat, lon),
        }
    }

    /// Membership by H3 alone: index at the compile resolution and walk parents.
    pub(crate) fn contains_indexed(&self, lat: f64, lon: f64) -> bool {
        let Ok(point) = LatLng::new(lat, lon) else { return false };
        let cell = point.to_cell(self.resolution);
        Resolution::range(self.coarsest, self.resolution)
            .rev()
            .any(|resolution| cell.parent(resolution).is_some_and(|parent| self.cells.contains(&parent)))
    }
}

fn grow(rect: Rect, (dlat, dlon): (f64, f64)) -> Rect {
    Rect::new(
        coord! { x: rect.min().x - dlon, y: rect.min().y - dlat },
        coord! { x: rect.max().x + dlon, y: rect.max().y + dlat },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(lat: f64, lon: f64, half_deg: f64) -> MultiPolygon {
        let ring = vec![
            (lon - half_deg, lat - half_deg),
            (lon + half_deg, lat - half_deg),
            (lon + half_deg, lat + half_deg),
            (lon - half_deg, lat + half_deg),
            (lon - half_deg, lat - half_deg),
        ];
        geo::Polygon::new(ring.into(), vec![]).into()
    }

    /// An L-shaped town: 0.04° square with its north-east quarter missing.
    fn l_shape() -> MultiPolygon {
        let ring = vec![
            (4.97, 51.14),
            (5.01, 51.14),
            (5.01, 51.16),
            (4.99, 51.16),
            (4.99, 51.18),
            (4.97, 51.18),
            (4.97, 51.14),
        ];
        geo::Polygon::new(ring.into(), vec![]).into()
    }

    #[test]
    fn raster_agrees_with_the_cell_set_everywhere() {
        let zone = Zone::compile("town".into(), l_shape(), Resolution::Ten).expect("compiles");
        assert!(zone.raster.contains(&Block::Inside) && zone.raster.contains(&Block::Outside));
        let (mut inside, steps) = (0, 200);
        for i in 0..=steps {
            for j in 0..=steps {
                let lat = 51.13 + 0.06 * f64::from(i) / f64::from(steps);
                let lon = 4.96 + 0.06 * f64::from(j) / f64::from(steps);
                let fast = zone.contains(lat, lon);
                assert_eq!(fast, zone.contains_indexed(lat, lon), "disagree at {lat},{lon}");
                inside += usize::from(fast);
            }
        }
        // Three quarters of a 0.04° square in a 0.06° sample grid: a third of the samples, plus the covering margin.
        let total = 201 * 201;
        assert!(inside > total / 3 && inside < total * 4 / 9, "{inside} of {total}");
    }

    #[test]
    fn a_tiny_school_inside_one_cell_is_still_covered() {
        let zone = Zone::compile("school".into(), square(51.16, 4.99, 0.0002), Resolution::Ten).expect("compiles");
        assert!(zone.contains(51.16, 4.99));
        assert!(!zone.contains(51.17, 4.99));
    }
}
