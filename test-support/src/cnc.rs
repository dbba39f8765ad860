//! A driver's CnC file seen from a test: the process that wrote it, counters by label and
//! the loss report, through `rusteron_client`'s [`AeronCnc`].

use std::path::Path;
use std::time::Duration;

use rusteron_client::{AeronCnc, LossReportEntry};

/// One entry of a driver's loss report.
pub type Loss = LossReportEntry;

/// A mapped CnC file, closed on drop.
pub struct Cnc {
    cnc: AeronCnc,
}

impl Cnc {
    /// Maps the CnC file in `dir`, waiting up to `timeout` for it to be ready.
    pub fn open(dir: &Path, timeout: Duration) -> Result<Cnc, String> {
        AeronCnc::open(dir, timeout)
            .map(|cnc| Cnc { cnc })
            .map_err(|e| format!("opening the CnC file in {}: {e}", dir.display()))
    }

    /// The process id that wrote the CnC file.
    pub fn pid(&self) -> i64 {
        self.cnc.constants().expect("CnC constants").pid()
    }

    /// The value of the counter labelled `label`; panics if there is none.
    pub fn counter(&self, label: &str) -> i64 {
        let counters = self.cnc.counters().expect("CnC counters");
        counters
            .iter()
            .find(|c| c.label == label)
            .unwrap_or_else(|| panic!("no counter {label:?}"))
            .value
    }

    /// Every entry of the loss report.
    pub fn loss_report(&self) -> Vec<Loss> {
        self.cnc.loss_report().expect("CnC loss report")
    }
}
