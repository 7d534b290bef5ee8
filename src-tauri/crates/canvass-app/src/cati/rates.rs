//! AAPOR outcome rates (RR1–RR6, COOP1–4, REF1–3, CON1–3) as one pure function over class counts.
//!
//! Formulas from AAPOR's Standard Definitions as queXS ships them (cati-model.md
//! section 3). A rate whose denominator is zero is `None` ("n/a"), never 0.

use serde::Serialize;

use super::outcomes::RateClass;

/// Cases per rate class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ClassCounts {
    pub i: i64,
    pub p: i64,
    pub r: i64,
    pub nc: i64,
    pub o: i64,
    pub uh: i64,
    pub uo: i64,
    pub ne: i64,
}

impl ClassCounts {
    /// Counts one more case of `class`.
    pub fn add(&mut self, class: RateClass) {
        match class {
            RateClass::I => self.i += 1,
            RateClass::P => self.p += 1,
            RateClass::R => self.r += 1,
            RateClass::NC => self.nc += 1,
            RateClass::O => self.o += 1,
            RateClass::UH => self.uh += 1,
            RateClass::UO => self.uo += 1,
            RateClass::NE => self.ne += 1,
        }
    }
}

/// The AAPOR rates; `None` where the denominator is zero.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Rates {
    pub rr1: Option<f64>,
    pub rr2: Option<f64>,
    pub rr3: Option<f64>,
    pub rr4: Option<f64>,
    pub rr5: Option<f64>,
    pub rr6: Option<f64>,
    pub coop1: Option<f64>,
    pub coop2: Option<f64>,
    pub coop3: Option<f64>,
    pub coop4: Option<f64>,
    pub ref1: Option<f64>,
    pub ref2: Option<f64>,
    pub ref3: Option<f64>,
    pub con1: Option<f64>,
    pub con2: Option<f64>,
    pub con3: Option<f64>,
}

fn ratio(n: f64, d: f64) -> Option<f64> {
    (d != 0.0).then(|| n / d)
}

/// The rates of `c` with `e`, the estimated eligible share of unknown-eligibility cases.
pub fn rates(c: &ClassCounts, e: f64) -> Rates {
    let f = |x: i64| x as f64;
    let (i, p, r, nc, o, u) = (f(c.i), f(c.p), f(c.r), f(c.nc), f(c.o), f(c.uh + c.uo));
    let d = (i + p) + (r + nc + o) + u;
    let de = (i + p) + (r + nc + o) + e * u;
    let d0 = (i + p) + (r + nc + o);
    let contacted = (i + p) + r + o;
    Rates {
        rr1: ratio(i, d),
        rr2: ratio(i + p, d),
        rr3: ratio(i, de),
        rr4: ratio(i + p, de),
        rr5: ratio(i, d0),
        rr6: ratio(i + p, d0),
        coop1: ratio(i, (i + p) + r + o),
        coop2: ratio(i + p, (i + p) + r + o),
        coop3: ratio(i, (i + p) + r),
        coop4: ratio(i + p, (i + p) + r),
        ref1: ratio(r, d),
        ref2: ratio(r, de),
        ref3: ratio(r, d0),
        con1: ratio(contacted, d),
        con2: ratio(contacted, de),
        con3: ratio(contacted, d0),
    }
}

/// The usual estimate of `e` when none is given: the eligible share among
/// cases whose eligibility is known, `(I+P+R+NC+O) / (I+P+R+NC+O+NE)`; 1 when nothing is known.
pub fn estimate_e(c: &ClassCounts) -> f64 {
    let eligible = (c.i + c.p + c.r + c.nc + c.o) as f64;
    let known = eligible + c.ne as f64;
    if known == 0.0 {
        1.0
    } else {
        eligible / known
    }
}
