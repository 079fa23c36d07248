//! An SVG chart of the headline figures: for each figure, one horizontal bar per proxy target
//! giving its median as a ratio to direct (1.0 = same as no proxy). Bars past the right edge
//! are cut and labelled with their value.

use super::report::HEADLINE;
use super::summary::Summary;
use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

const COLORS: [RGBColor; 6] = [
    RGBColor(214, 96, 77),
    RGBColor(67, 147, 195),
    RGBColor(90, 174, 97),
    RGBColor(153, 112, 171),
    RGBColor(224, 130, 20),
    RGBColor(120, 120, 120),
];
const LABEL_WIDTH: u32 = 330;

pub fn write(path: &Path, summary: &Summary, targets: &[String]) -> Result<()> {
    let proxies: Vec<&String> = targets.iter().filter(|t| *t != "direct").collect();
    let figures: Vec<(&str, Vec<Option<f64>>)> = HEADLINE
        .iter()
        .filter_map(|(sc, key, label)| {
            let per = summary.get(*sc)?;
            let ratios: Vec<Option<f64>> = proxies
                .iter()
                .map(|t| {
                    per.get(*t)
                        .and_then(|m| m.get(*key))
                        .and_then(|s| s.vs_direct)
                })
                .collect();
            ratios
                .iter()
                .any(Option::is_some)
                .then_some((*label, ratios))
        })
        .collect();
    let n = figures.len().max(1);
    let right = figures
        .iter()
        .flat_map(|(_, r)| r.iter().flatten())
        .fold(1.5f64, |a, &b| a.max(b * 1.15))
        .min(4.0);
    let height = 90 + 22 * (n as u32) * (proxies.len().max(1) as u32 + 1);
    let err = |e: &dyn std::fmt::Display| anyhow!("drawing the chart: {e}");
    let root = SVGBackend::new(path, (1000, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "sockhop bench: median as a ratio to direct (1.0 = no proxy)",
            ("sans-serif", 18),
        )
        .margin(12)
        .margin_left(LABEL_WIDTH)
        .margin_right(60)
        .x_label_area_size(30)
        .build_cartesian_2d(0f64..right, 0f64..n as f64)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .max_light_lines(0)
        .x_desc("ratio to direct")
        .draw()
        .map_err(|e| err(&e))?;
    let slot = 0.8 / proxies.len().max(1) as f64;
    // Row 0 at the top.
    let row_top = |fi: usize| (n - fi) as f64 - 0.1;
    for (ti, t) in proxies.iter().enumerate() {
        let color = COLORS[ti % COLORS.len()];
        let bars: Vec<Rectangle<(f64, f64)>> = figures
            .iter()
            .enumerate()
            .filter_map(|(fi, (_, r))| {
                let v = r[ti]?.min(right);
                let y1 = row_top(fi) - ti as f64 * slot;
                Some(Rectangle::new(
                    [(0.0, y1 - slot * 0.9), (v, y1)],
                    color.filled(),
                ))
            })
            .collect();
        chart
            .draw_series(bars)
            .map_err(|e| err(&e))?
            .label(t.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .draw_series(LineSeries::new(
            [(1.0, 0.0), (1.0, n as f64)],
            BLACK.stroke_width(1),
        ))
        .map_err(|e| err(&e))?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    // Figure names left of the plot, values on every bar.
    let label_style = ("sans-serif", 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    let value_style = ("sans-serif", 11)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (fi, (label, ratios)) in figures.iter().enumerate() {
        let mid = row_top(fi) - 0.4;
        let (_, y) = chart.backend_coord(&(0.0, mid));
        let (x0, _) = chart.backend_coord(&(0.0, 0.0));
        root.draw(&Text::new(
            label.to_string(),
            (x0 - 8, y),
            label_style.clone(),
        ))
        .map_err(|e| err(&e))?;
        for (ti, r) in ratios.iter().enumerate() {
            let Some(r) = r else { continue };
            let y_bar = row_top(fi) - ti as f64 * slot - slot * 0.45;
            let (x, y) = chart.backend_coord(&(r.min(right), y_bar));
            let text = format!("{r:.2}×");
            let drawn = if *r > right {
                // Cut bar: the value goes inside its end, in white.
                let inside = ("sans-serif", 11)
                    .into_font()
                    .color(&WHITE)
                    .pos(Pos::new(HPos::Right, VPos::Center));
                root.draw(&Text::new(text, (x - 4, y), inside))
            } else {
                root.draw(&Text::new(text, (x + 4, y), value_style.clone()))
            };
            drawn.map_err(|e| err(&e))?;
        }
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
