//! The forecast cache's binary form: compact, exact (floats as their bits) and quick to read
//! back, because a warm weekly report reads thousands of entries. Only this build reads what
//! it wrote: every blob starts with [`FORMAT`], and anything it cannot read whole is a cache
//! miss (recomputed), never an error and never a guess.

use chrono::NaiveDate;

use crate::core::forecast::timing::Features;
use crate::core::forecast::{CurvePoint, Dating, FanPoint, Fitted, Forecast, Samples, Status};
use crate::core::model::Direction;

/// Bumped whenever the layout below changes.
const FORMAT: u8 = 1;

/// A fitted forecast (see [`Fitted`]) with what the report reads of the metric's readings up
/// to the as-of date: how much of its gap is still open and, per engineer (database id), the
/// last date they reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedEntry {
    pub fitted: Fitted,
    pub gap_open: f64,
    pub heard: Vec<(i64, NaiveDate)>,
}

pub fn encode_fitted(e: &FittedEntry) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(2048));
    w.u8(FORMAT);
    w.forecast(&e.fitted.forecast);
    match &e.fitted.dating {
        None => w.u8(0),
        Some(d) => {
            w.u8(1);
            w.features(&d.features);
            w.len(d.sim_fan.len());
            for (day, q) in &d.sim_fan {
                w.i64(*day);
                for x in q {
                    w.f64(*x);
                }
            }
            w.opt_i32(d.curve_p90);
            w.direction(d.direction);
            w.f64(d.target_scaled);
            w.f64(d.scale);
            w.len(d.reason.len());
            for part in &d.reason {
                w.str(part);
            }
        }
    }
    w.f64(e.gap_open);
    w.len(e.heard.len());
    for (id, date) in &e.heard {
        w.i64(*id);
        w.date(*date);
    }
    w.done()
}

pub fn decode_fitted(b: &[u8]) -> Option<FittedEntry> {
    let mut r = Reader { b, at: 0 };
    if r.u8()? != FORMAT {
        return None;
    }
    let forecast = r.forecast()?;
    let dating = match r.u8()? {
        0 => None,
        1 => {
            let features = r.features()?;
            let n = r.len()?;
            let mut sim_fan = Vec::with_capacity(n);
            for _ in 0..n {
                sim_fan.push((r.i64()?, [r.f64()?, r.f64()?, r.f64()?]));
            }
            let curve_p90 = r.opt_i32()?;
            let direction = r.direction()?;
            let target_scaled = r.f64()?;
            let scale = r.f64()?;
            let n = r.len()?;
            let mut reason = Vec::with_capacity(n);
            for _ in 0..n {
                reason.push(r.str()?);
            }
            Some(Dating { features, sim_fan, curve_p90, direction, target_scaled, scale, reason })
        }
        _ => return None,
    };
    let gap_open = r.f64()?;
    let n = r.len()?;
    let mut heard = Vec::with_capacity(n);
    for _ in 0..n {
        heard.push((r.i64()?, r.date()?));
    }
    r.end()?;
    Some(FittedEntry { fitted: Fitted { forecast, dating }, gap_open, heard })
}

/// What dating with a calibration adds to a fitted forecast: its dates, P(never), samples,
/// fan and reason ([`Fitted::finish`] changes nothing else).
pub fn encode_dated(f: &Forecast) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(1024 + f.samples.len() * 2));
    w.u8(FORMAT);
    for d in [f.p10, f.p50, f.p80, f.p90] {
        w.opt_date(d);
    }
    w.f64(f.p_never);
    w.samples(&f.samples);
    w.fan(&f.fan);
    w.str(&f.reason);
    w.done()
}

/// The dated forecast: `fitted` with the fields [`encode_dated`] wrote.
pub fn decode_dated(b: &[u8], fitted: &Fitted) -> Option<Forecast> {
    let d = fitted.dating.as_ref()?;
    let mut r = Reader { b, at: 0 };
    if r.u8()? != FORMAT {
        return None;
    }
    let (p10, p50, p80, p90) = (r.opt_date()?, r.opt_date()?, r.opt_date()?, r.opt_date()?);
    let p_never = r.f64()?;
    let samples = r.samples()?;
    let fan = r.fan()?;
    let reason = r.str()?;
    r.end()?;
    let mut f = fitted.forecast.clone();
    f.p10 = p10;
    f.p50 = p50;
    f.p80 = p80;
    f.p90 = p90;
    f.p_never = p_never;
    f.samples = samples;
    f.fan = fan;
    f.reason = reason;
    f.features = Some(d.features);
    Some(f)
}

/// A replayed forecast's features (None: there was nothing to forecast at that origin).
pub fn encode_features(f: &Option<Features>) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(160));
    w.u8(FORMAT);
    match f {
        None => w.u8(0),
        Some(f) => {
            w.u8(1);
            w.features(f);
        }
    }
    w.done()
}

pub fn decode_features(b: &[u8]) -> Option<Option<Features>> {
    let mut r = Reader { b, at: 0 };
    if r.u8()? != FORMAT {
        return None;
    }
    let f = match r.u8()? {
        0 => None,
        1 => Some(r.features()?),
        _ => return None,
    };
    r.end()?;
    Some(f)
}

struct Writer(Vec<u8>);

impl Writer {
    /// The bytes written, without spare capacity: a command queues thousands of entries to
    /// cache once it has succeeded (ten thousand for a cold fever chart over 2,000 metrics),
    /// and the capacity guessed up front was about twice what a dated entry takes.
    fn done(mut self) -> Vec<u8> {
        self.0.shrink_to_fit();
        self.0
    }
    fn u8(&mut self, x: u8) {
        self.0.push(x);
    }
    fn varint(&mut self, mut x: u64) {
        while x >= 0x80 {
            self.0.push((x as u8) | 0x80);
            x >>= 7;
        }
        self.0.push(x as u8);
    }
    fn i64(&mut self, x: i64) {
        self.varint(((x << 1) ^ (x >> 63)) as u64);
    }
    fn len(&mut self, n: usize) {
        self.varint(n as u64);
    }
    fn f64(&mut self, x: f64) {
        self.0.extend_from_slice(&x.to_bits().to_le_bytes());
    }
    fn opt_f64(&mut self, x: Option<f64>) {
        match x {
            None => self.u8(0),
            Some(x) => {
                self.u8(1);
                self.f64(x);
            }
        }
    }
    fn opt_i32(&mut self, x: Option<i32>) {
        match x {
            None => self.u8(0),
            Some(x) => {
                self.u8(1);
                self.i64(i64::from(x));
            }
        }
    }
    fn bool(&mut self, x: bool) {
        self.u8(u8::from(x));
    }
    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn date(&mut self, d: NaiveDate) {
        use chrono::Datelike;
        self.i64(i64::from(d.num_days_from_ce()));
    }
    fn opt_date(&mut self, d: Option<NaiveDate>) {
        match d {
            None => self.u8(0),
            Some(d) => {
                self.u8(1);
                self.date(d);
            }
        }
    }
    fn status(&mut self, s: Status) {
        self.u8(match s {
            Status::Done => 0,
            Status::Converging => 1,
            Status::Stalled => 2,
            Status::Diverging => 3,
            Status::InsufficientData => 4,
        });
    }
    fn direction(&mut self, d: Direction) {
        self.u8(match d {
            Direction::Down => 0,
            Direction::Up => 1,
        });
    }
    /// Completion days: None as 0, a day as its zigzag code plus one (two bytes for most).
    fn samples(&mut self, s: &Samples) {
        self.len(s.len());
        for x in s.iter() {
            match x {
                None => self.varint(0),
                Some(d) => {
                    let d = i64::from(d);
                    self.varint((((d << 1) ^ (d >> 63)) as u64) + 1);
                }
            }
        }
    }
    fn fan(&mut self, fan: &[FanPoint]) {
        self.len(fan.len());
        for p in fan {
            self.date(p.date);
            self.f64(p.p10);
            self.f64(p.p50);
            self.f64(p.p90);
        }
    }
    fn features(&mut self, f: &Features) {
        self.status(f.status);
        self.f64(f.elapsed_weeks);
        self.opt_f64(f.curve_p50_weeks);
        self.opt_f64(f.curve_p10_weeks);
        self.opt_f64(f.curve_p90_weeks);
        self.opt_f64(f.pace_weeks);
        self.opt_f64(f.recent_pace_weeks);
        self.f64(f.p_reach);
        self.bool(f.count_like);
        self.f64(f.remaining);
        self.f64(f.still_share);
        self.len(f.n_dates);
        self.f64(f.left_share);
        self.f64(f.rise);
        self.f64(f.quiet);
    }
    fn forecast(&mut self, f: &Forecast) {
        self.status(f.status);
        self.str(&f.model);
        self.str(&f.reason);
        self.len(f.n_points);
        self.len(f.n_dates);
        self.opt_date(f.last_date);
        self.opt_f64(f.last_value);
        self.opt_f64(f.trend_per_week);
        for d in [f.p10, f.p50, f.p80, f.p90] {
            self.opt_date(d);
        }
        self.f64(f.p_never);
        self.samples(&f.samples);
        self.len(f.curve.len());
        for p in &f.curve {
            self.date(p.date);
            self.f64(p.value);
        }
        self.fan(&f.fan);
        match &f.features {
            None => self.u8(0),
            Some(x) => {
                self.u8(1);
                self.features(x);
            }
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn end(&self) -> Option<()> {
        (self.at == self.b.len()).then_some(())
    }
    fn u8(&mut self) -> Option<u8> {
        let x = *self.b.get(self.at)?;
        self.at += 1;
        Some(x)
    }
    fn varint(&mut self) -> Option<u64> {
        let mut x: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            x |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b < 0x80 {
                return Some(x);
            }
        }
        None
    }
    fn i64(&mut self) -> Option<i64> {
        let z = self.varint()?;
        Some(((z >> 1) as i64) ^ -((z & 1) as i64))
    }
    fn i32(&mut self) -> Option<i32> {
        i32::try_from(self.i64()?).ok()
    }
    /// A length, bounded by what is left to read (every item takes a byte at least).
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n <= self.b.len() - self.at).then_some(n)
    }
    fn f64(&mut self) -> Option<f64> {
        let bytes: [u8; 8] = self.b.get(self.at..self.at + 8)?.try_into().ok()?;
        self.at += 8;
        Some(f64::from_bits(u64::from_le_bytes(bytes)))
    }
    fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(f(self)?)),
            _ => None,
        }
    }
    fn opt_f64(&mut self) -> Option<Option<f64>> {
        self.opt(Self::f64)
    }
    fn opt_i32(&mut self) -> Option<Option<i32>> {
        self.opt(Self::i32)
    }
    fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    fn str(&mut self) -> Option<String> {
        let n = self.len()?;
        let s = std::str::from_utf8(self.b.get(self.at..self.at + n)?).ok()?.to_string();
        self.at += n;
        Some(s)
    }
    fn date(&mut self) -> Option<NaiveDate> {
        NaiveDate::from_num_days_from_ce_opt(self.i32()?)
    }
    fn opt_date(&mut self) -> Option<Option<NaiveDate>> {
        self.opt(Self::date)
    }
    fn status(&mut self) -> Option<Status> {
        Some(match self.u8()? {
            0 => Status::Done,
            1 => Status::Converging,
            2 => Status::Stalled,
            3 => Status::Diverging,
            4 => Status::InsufficientData,
            _ => return None,
        })
    }
    fn direction(&mut self) -> Option<Direction> {
        Some(match self.u8()? {
            0 => Direction::Down,
            1 => Direction::Up,
            _ => return None,
        })
    }
    fn samples(&mut self) -> Option<Samples> {
        let n = self.len()?;
        // Sized up front: collected through `Option`, the vector grew by doubling to 1,024
        // slots for 600 paths, and a warm report over 20,000 metrics held 150 MB of them
        // instead of 96. Each path takes a byte at least, so a corrupt length cannot reserve
        // more than the entry holds.
        let mut samples = Samples::with_capacity(n.min(self.b.len().saturating_sub(self.at)));
        for _ in 0..n {
            samples.push(match self.varint()? {
                0 => None,
                c => {
                    let z = c - 1;
                    Some(i32::try_from(((z >> 1) as i64) ^ -((z & 1) as i64)).ok()?)
                }
            });
        }
        Some(samples)
    }
    fn fan(&mut self) -> Option<Vec<FanPoint>> {
        let n = self.len()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(FanPoint { date: self.date()?, p10: self.f64()?, p50: self.f64()?, p90: self.f64()? });
        }
        Some(v)
    }
    fn features(&mut self) -> Option<Features> {
        Some(Features {
            status: self.status()?,
            elapsed_weeks: self.f64()?,
            curve_p50_weeks: self.opt_f64()?,
            curve_p10_weeks: self.opt_f64()?,
            curve_p90_weeks: self.opt_f64()?,
            pace_weeks: self.opt_f64()?,
            recent_pace_weeks: self.opt_f64()?,
            p_reach: self.f64()?,
            count_like: self.bool()?,
            remaining: self.f64()?,
            still_share: self.f64()?,
            n_dates: self.len_unbounded()?,
            left_share: self.f64()?,
            rise: self.f64()?,
            quiet: self.f64()?,
        })
    }
    /// A count that is not the length of anything that follows.
    fn len_unbounded(&mut self) -> Option<usize> {
        usize::try_from(self.varint()?).ok()
    }
    fn forecast(&mut self) -> Option<Forecast> {
        let status = self.status()?;
        let model = self.str()?;
        let reason = self.str()?;
        let n_points = self.len_unbounded()?;
        let n_dates = self.len_unbounded()?;
        let last_date = self.opt_date()?;
        let last_value = self.opt_f64()?;
        let trend_per_week = self.opt_f64()?;
        let (p10, p50, p80, p90) = (self.opt_date()?, self.opt_date()?, self.opt_date()?, self.opt_date()?);
        let p_never = self.f64()?;
        let samples = self.samples()?;
        let n = self.len()?;
        let mut curve = Vec::with_capacity(n);
        for _ in 0..n {
            curve.push(CurvePoint { date: self.date()?, value: self.f64()? });
        }
        let fan = self.fan()?;
        let features = self.opt(Self::features)?;
        Some(Forecast {
            status,
            model,
            reason,
            n_points,
            n_dates,
            last_date,
            last_value,
            trend_per_week,
            p10,
            p50,
            p80,
            p90,
            p_never,
            samples,
            curve,
            fan,
            features,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::forecast::{fit, Calibration, MetricSpec, Options, Reading};

    fn readings(values: &[f64]) -> Vec<Reading> {
        let d0 = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Reading { date: d0 + chrono::Duration::days(7 * i as i64), value: *v })
            .collect()
    }

    #[test]
    fn entries_round_trip_exactly() {
        let spec = MetricSpec { target: 10.0, direction: Direction::Down, tolerance: 0.5 };
        let as_of = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let series: [&[f64]; 4] = [
            &[100.0, 90.0, 82.0, 75.0, 70.0, 64.0, 60.0, 55.0, 52.0, 49.0],
            &[100.0, 100.0, 101.0, 99.0, 100.0, 100.5],
            &[12.0, 10.2],
            &[9.0, 9.5, 10.0, 10.2, 10.3],
        ];
        for values in series {
            for fan in [false, true] {
                let mut opts = Options::new(as_of, 42);
                opts.fan = fan;
                let fitted = fit(&spec, &readings(values), &opts);
                let entry = FittedEntry {
                    fitted: fitted.clone(),
                    gap_open: 0.25,
                    heard: vec![(3, as_of), (-1, NaiveDate::MIN)],
                };
                let bytes = encode_fitted(&entry);
                assert_eq!(decode_fitted(&bytes).as_ref(), Some(&entry));
                let dated = fitted.clone().finish(&opts, Calibration::shipped());
                match &fitted.dating {
                    Some(_) => assert_eq!(decode_dated(&encode_dated(&dated), &fitted), Some(dated)),
                    None => assert_eq!(fitted.forecast, dated),
                }
                // Anything cut short or trailing is refused, never misread.
                for cut in [1, bytes.len() / 2, bytes.len() - 1] {
                    assert_eq!(decode_fitted(&bytes[..cut]), None);
                }
                let mut longer = bytes.clone();
                longer.push(0);
                assert_eq!(decode_fitted(&longer), None);
            }
        }
        let f = fit(&spec, &readings(series[0]), &Options::new(as_of, 1)).dating.map(|d| d.features);
        assert_eq!(decode_features(&encode_features(&f)), Some(f));
        assert_eq!(decode_features(&encode_features(&None)), Some(None));
        assert_eq!(decode_features(&[9, 9]), None);
    }
}
