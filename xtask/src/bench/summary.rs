//! Medians with min–max over repetitions, and ratios to `direct` and to `haproxy`.

use super::scenarios::Sample;
use serde::Serialize;
use std::collections::BTreeMap;

/// One figure of one target in one scenario, over every repetition.
#[derive(Debug, Clone, Serialize)]
pub struct Stat {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
    /// median / direct's median, when direct has this figure.
    pub vs_direct: Option<f64>,
    /// median / haproxy's median, when haproxy has this figure.
    pub vs_haproxy: Option<f64>,
}

/// scenario -> target -> metric -> stat.
pub type Summary = BTreeMap<String, BTreeMap<String, BTreeMap<String, Stat>>>;

pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub fn summarize(samples: &[Sample]) -> Summary {
    let mut values: BTreeMap<(String, String, String), Vec<f64>> = BTreeMap::new();
    for s in samples {
        for (k, v) in &s.metrics {
            values
                .entry((s.scenario.to_string(), s.target.clone(), k.clone()))
                .or_default()
                .push(*v);
        }
    }
    let mut out: Summary = BTreeMap::new();
    for ((sc, t, k), mut v) in values {
        let med = median(&mut v);
        let stat = Stat {
            median: med,
            min: v[0],
            max: v[v.len() - 1],
            n: v.len(),
            vs_direct: None,
            vs_haproxy: None,
        };
        out.entry(sc)
            .or_default()
            .entry(t)
            .or_default()
            .insert(k, stat);
    }
    for targets in out.values_mut() {
        let reference = |name: &str, targets: &BTreeMap<String, BTreeMap<String, Stat>>| {
            targets
                .get(name)
                .map(|m| m.iter().map(|(k, s)| (k.clone(), s.median)).collect())
                .unwrap_or_default()
        };
        let direct: BTreeMap<String, f64> = reference("direct", targets);
        let haproxy: BTreeMap<String, f64> = reference("haproxy", targets);
        for metrics in targets.values_mut() {
            // Error counts are reported as they are; a ratio of small counts means nothing.
            for (k, s) in metrics.iter_mut().filter(|(k, _)| k.as_str() != "errors") {
                let ratio = |r: Option<&f64>| r.filter(|r| **r != 0.0).map(|r| s.median / r);
                s.vs_direct = ratio(direct.get(k));
                s.vs_haproxy = ratio(haproxy.get(k));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(target: &str, rep: usize, v: f64) -> Sample {
        Sample {
            target: target.into(),
            scenario: "rr_64",
            rep,
            metrics: [("p50_us".to_string(), v)].into(),
            raw: serde_json::Value::Null,
            command: String::new(),
        }
    }

    #[test]
    fn medians_and_ratios() {
        let s = [
            sample("direct", 0, 10.0),
            sample("direct", 1, 30.0),
            sample("direct", 2, 20.0),
            sample("haproxy", 0, 40.0),
            sample("sockhop-copy", 0, 25.0),
            sample("sockhop-copy", 1, 35.0),
        ];
        let sum = summarize(&s);
        let d = &sum["rr_64"]["direct"]["p50_us"];
        assert_eq!((d.median, d.min, d.max, d.n), (20.0, 10.0, 30.0, 3));
        let c = &sum["rr_64"]["sockhop-copy"]["p50_us"];
        assert_eq!(c.median, 30.0);
        assert_eq!(c.vs_direct, Some(1.5));
        assert_eq!(c.vs_haproxy, Some(0.75));
    }
}
