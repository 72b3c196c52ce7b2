//! Charts drawn on the server as SVG with plotters: pure functions from data to markup, so they
//! can be snapshot-tested and plotters stays out of the browser bundle. The SVG backend writes
//! `<text>` elements and escapes them; the browser renders the fonts.

use crate::domain::dashboard::{Bucket, CycleSplit, TrendPoint};
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordi32};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const WIDTH: u32 = 640;
const HEIGHT: u32 = 300;
const FONT: &str = "sans-serif";
/// The series colours: blue, orange, teal (distinguishable with the common colour blindnesses).
const COLOURS: [RGBColor; 3] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x17, 0x9c, 0x8a),
];

/// A trend series: its value on a day, if measured.
type Series = fn(&TrendPoint) -> Option<f64>;
/// A scorecard's share (first or last ETA's day hit).
type Hit = fn(&crate::domain::scorecards::ScorecardRow) -> Option<f64>;
/// A stacked stage: where its bar starts and ends (hours).
type Stage = fn(&CycleSplit) -> (f64, f64);

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("drawing the chart failed: {0}")]
    Drawing(String),
}

fn drawing<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Drawing(format!("{e:?}"))
}

fn draw(
    paint: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), ChartError>,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        paint(&root)?;
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

fn empty(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    title: &str,
) -> Result<(), ChartError> {
    root.draw(&Text::new(
        title.to_string(),
        (20, 24),
        (FONT, 24).into_font(),
    ))
    .map_err(drawing)?;
    root.draw(&Text::new(
        "Nothing measured in this period yet".to_string(),
        (WIDTH as i32 / 2, HEIGHT as i32 / 2),
        (FONT, 15)
            .into_font()
            .color(&RGBColor(0x66, 0x66, 0x66))
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(drawing)
}

/// On-time ship %, on-time delivery % and OTIF % per day.
pub fn on_time_trend_svg(points: &[TrendPoint]) -> Result<String, ChartError> {
    trend_svg(
        points,
        "On time and OTIF, % per day",
        "Day ordered",
        "%b %d",
    )
}

/// On-time ship %, on-time delivery % and OTIF % per month (a point per month's first day).
pub fn monthly_trend_svg(points: &[TrendPoint]) -> Result<String, ChartError> {
    trend_svg(
        points,
        "On time and OTIF, % per month",
        "Month ordered",
        "%b %y",
    )
}

fn trend_svg(
    points: &[TrendPoint],
    title: &str,
    x_desc: &str,
    day_format: &str,
) -> Result<String, ChartError> {
    draw(|root| {
        let measured = points
            .iter()
            .any(|p| p.on_time_ship.is_some() || p.on_time_delivery.is_some() || p.otif.is_some());
        if !measured {
            return empty(root, title);
        }
        let last = points.len().saturating_sub(1) as i32;
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 24))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(0..last.max(1), 0f64..100f64)
            .map_err(drawing)?;
        let label = |i: &i32| {
            points
                .get(*i as usize)
                .map(|p| p.day.format(day_format).to_string())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&label)
            .y_desc("%")
            .x_desc(x_desc)
            .label_style((FONT, 17))
            .draw()
            .map_err(drawing)?;
        let series: [(&str, Series); 3] = [
            ("On-time ship", |p| p.on_time_ship),
            ("On-time delivery", |p| p.on_time_delivery),
            ("OTIF", |p| p.otif),
        ];
        for (n, (name, value)) in series.into_iter().enumerate() {
            let colour = COLOURS[n];
            let data: Vec<(i32, f64)> = points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| value(p).map(|v| (i as i32, v)))
                .collect();
            chart
                .draw_series(LineSeries::new(data, colour.stroke_width(2)))
                .map_err(drawing)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 17))
            .draw()
            .map_err(drawing)
    })
}

type Bars<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<SegmentedCoord<RangedCoordi32>, RangedCoordf64>>;

/// A chart with a bar slot per label, the labels under them, and a y axis up to `top`.
fn bar_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    labels: &[String],
    top: f64,
    y_desc: &str,
    x_desc: &str,
) -> Result<Bars<'a, 'b>, ChartError> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 24))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d((0..labels.len() as i32).into_segmented(), 0f64..top)
        .map_err(drawing)?;
    let label = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .x_labels(labels.len())
        .x_label_formatter(&label)
        .y_desc(y_desc)
        .label_style((FONT, 17));
    if !x_desc.is_empty() {
        mesh.x_desc(x_desc);
    }
    mesh.draw().map_err(drawing)?;
    Ok(chart)
}

/// A bar per bucket (e.g. release delay ranges), with its count above.
pub fn distribution_svg(
    title: &str,
    x_desc: &str,
    buckets: &[Bucket],
) -> Result<String, ChartError> {
    draw(|root| {
        if buckets.iter().all(|b| b.count == 0) {
            return empty(root, title);
        }
        let top = buckets.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64 * 1.15;
        let labels: Vec<String> = buckets.iter().map(|b| b.label.clone()).collect();
        let mut chart = bar_chart(root, title, &labels, top, "Orders", x_desc)?;
        chart
            .draw_series(buckets.iter().enumerate().map(|(i, b)| {
                let i = i as i32;
                Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), b.count as f64),
                    ],
                    COLOURS[0].mix(0.85).filled(),
                )
            }))
            .map_err(drawing)?;
        chart
            .draw_series(buckets.iter().enumerate().map(|(i, b)| {
                Text::new(
                    b.count.to_string(),
                    (SegmentValue::CenterOf(i as i32), b.count as f64),
                    (FONT, 15)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                )
            }))
            .map_err(drawing)?;
        Ok(())
    })
}

/// Average cycle time per warehouse or carrier, stacked: processing, pickup, transit (hours).
pub fn cycle_split_svg(rows: &[CycleSplit]) -> Result<String, ChartError> {
    let title = "Cycle time split, average hours";
    draw(|root| {
        if rows.is_empty() {
            return empty(root, title);
        }
        let total = |r: &CycleSplit| r.processing_hours + r.pickup_hours + r.transit_hours;
        let top = rows.iter().map(total).fold(1.0, f64::max) * 1.15;
        let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
        let mut chart = bar_chart(root, title, &labels, top, "Hours", "")?;
        let stages: [(&str, Stage); 3] = [
            ("Processing", |r| (0.0, r.processing_hours)),
            ("Pickup", |r| {
                (r.processing_hours, r.processing_hours + r.pickup_hours)
            }),
            ("Transit", |r| {
                let base = r.processing_hours + r.pickup_hours;
                (base, base + r.transit_hours)
            }),
        ];
        for (s, (name, span)) in stages.into_iter().enumerate() {
            let colour = COLOURS[s];
            chart
                .draw_series(rows.iter().enumerate().map(|(i, r)| {
                    let (from, to) = span(r);
                    let i = i as i32;
                    Rectangle::new(
                        [
                            (SegmentValue::Exact(i), from),
                            (SegmentValue::Exact(i + 1), to),
                        ],
                        colour.mix(0.85).filled(),
                    )
                }))
                .map_err(drawing)?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 17))
            .draw()
            .map_err(drawing)
    })
}

/// Per carrier and service, the share of shipments delivered on the day the first ETA said and
/// on the day the last ETA said (percent), side by side.
pub fn eta_hits_svg(
    rows: &[crate::domain::scorecards::ScorecardRow],
) -> Result<String, ChartError> {
    let title = "Delivered on the promised day, %";
    draw(|root| {
        if rows.iter().all(|r| r.with_eta == 0) {
            return empty(root, title);
        }
        // Two slots per group: the first ETA's hit, then the last's; the label under the first.
        let labels: Vec<String> = rows
            .iter()
            .flat_map(|r| [r.group.clone(), String::new()])
            .collect();
        let mut chart = bar_chart(root, title, &labels, 110.0, "%", "")?;
        let series: [(&str, Hit); 2] = [
            ("First ETA's day", |r| r.first_day_hit),
            ("Last ETA's day", |r| r.last_day_hit),
        ];
        for (n, (name, value)) in series.into_iter().enumerate() {
            let colour = COLOURS[n];
            chart
                .draw_series(rows.iter().enumerate().filter_map(|(i, r)| {
                    let slot = (2 * i + n) as i32;
                    value(r).map(|v| {
                        Rectangle::new(
                            [
                                (SegmentValue::Exact(slot), 0.0),
                                (SegmentValue::Exact(slot + 1), v),
                            ],
                            colour.mix(0.85).filled(),
                        )
                    })
                }))
                .map_err(drawing)?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 15))
            .draw()
            .map_err(drawing)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn the_trend_chart_has_axes_labels_and_a_legend() {
        let points: Vec<TrendPoint> = (1..=7)
            .map(|d| TrendPoint {
                day: day(d),
                on_time_ship: Some(90.0 + d as f64),
                on_time_delivery: (d != 4).then_some(80.0 + d as f64),
                otif: Some(70.0 + 2.0 * d as f64),
            })
            .collect();
        let svg = on_time_trend_svg(&points).unwrap();
        for text in [
            "On-time ship",
            "On-time delivery",
            "OTIF",
            "Nov 01",
            "Day ordered",
            "%",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
        insta::assert_snapshot!("on_time_trend", svg);
    }

    #[test]
    fn distributions_and_the_cycle_split_draw_every_bar_with_its_label() {
        let buckets = vec![
            Bucket {
                label: "< 15 min".into(),
                count: 40,
            },
            Bucket {
                label: "15–60 min".into(),
                count: 25,
            },
            Bucket {
                label: "1–4 h".into(),
                count: 9,
            },
            Bucket {
                label: "> 4 h".into(),
                count: 2,
            },
        ];
        let svg = distribution_svg("Release delay", "Confirmed to released", &buckets).unwrap();
        assert!(
            svg.contains("&lt; 15 min") && svg.contains("&gt; 4 h"),
            "labels are escaped"
        );
        insta::assert_snapshot!("release_delay", svg);
        let rows = vec![
            CycleSplit {
                label: "RNO".into(),
                processing_hours: 20.0,
                pickup_hours: 4.0,
                transit_hours: 40.0,
            },
            CycleSplit {
                label: "NJ <&>".into(),
                processing_hours: 10.0,
                pickup_hours: 2.0,
                transit_hours: 30.0,
            },
        ];
        let svg = cycle_split_svg(&rows).unwrap();
        assert!(svg.contains("NJ &lt;&amp;&gt;"));
        insta::assert_snapshot!("cycle_split", svg);
    }

    #[test]
    fn an_empty_period_says_so() {
        let svg = on_time_trend_svg(&[]).unwrap();
        assert!(svg.contains("Nothing measured in this period yet"));
        let svg = distribution_svg(
            "Release delay",
            "x",
            &[Bucket {
                label: "a".into(),
                count: 0,
            }],
        )
        .unwrap();
        assert!(svg.contains("Nothing measured"));
        assert!(cycle_split_svg(&[]).unwrap().contains("Nothing measured"));
    }
}
