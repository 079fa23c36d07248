//! An SVG bar chart of the headline figures: each proxy target's median as a ratio to
//! direct (1.0 = as fast as no proxy), grouped by figure.

use super::report::HEADLINE;
use super::summary::Summary;
use anyhow::{Result, anyhow};
use plotters::prelude::*;
use std::path::Path;

const COLORS: [RGBColor; 6] = [
    RGBColor(214, 96, 77),
    RGBColor(67, 147, 195),
    RGBColor(90, 174, 97),
    RGBColor(153, 112, 171),
    RGBColor(224, 130, 20),
    RGBColor(120, 120, 120),
];

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
    let top = figures
        .iter()
        .flat_map(|(_, r)| r.iter().flatten())
        .fold(1.2f64, |a, &b| a.max(b * 1.1))
        .min(10.0);
    let err = |e: &dyn std::fmt::Display| anyhow!("drawing the chart: {e}");
    let root = SVGBackend::new(path, (1100, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let n = figures.len().max(1);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "sockhop bench: median / direct (1.0 = no proxy)",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(170)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..n as f64, 0f64..top)
        .map_err(|e| err(&e))?;
    let labels: Vec<&str> = figures.iter().map(|(l, _)| *l).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .max_light_lines(0)
        .x_labels(n * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - x.floor() - 0.5).abs() < 1e-6 && i < labels.len() {
                labels[i].to_string()
            } else {
                String::new()
            }
        })
        .x_label_style(
            ("sans-serif", 11)
                .into_font()
                .transform(FontTransform::Rotate90),
        )
        .y_desc("ratio to direct")
        .draw()
        .map_err(|e| err(&e))?;
    let width = 0.8 / proxies.len().max(1) as f64;
    for (ti, t) in proxies.iter().enumerate() {
        let color = COLORS[ti % COLORS.len()];
        let bars: Vec<Rectangle<(f64, f64)>> = figures
            .iter()
            .enumerate()
            .filter_map(|(fi, (_, r))| {
                let v = r[ti]?.min(top);
                let x0 = fi as f64 + 0.1 + ti as f64 * width;
                Some(Rectangle::new(
                    [(x0, 0.0), (x0 + width * 0.95, v)],
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
            [(0.0, 1.0), (n as f64, 1.0)],
            BLACK.stroke_width(1),
        ))
        .map_err(|e| err(&e))?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
