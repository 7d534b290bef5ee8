//! Visit reasons and their AAPOR final disposition codes for in-person household surveys.
//!
//! The codes are those of AAPOR Standard Definitions (9th edition, 2016),
//! Table 2 (Final Disposition Codes for In-Person, Household Surveys), kept
//! as strings because `2.10` is not `2.1`. The README's CAPI section says
//! how each reason was placed.

use serde::Serialize;

/// Why a visit produced no interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitReason {
    /// Nobody opened the door at a residence.
    NobodyHome,
    /// Someone at the address refused the interview.
    Refused,
    /// The interviewer could not find the address.
    AddressNotFound,
    /// Anything else; the note says what.
    Other,
}

impl VisitReason {
    /// Every reason, in the order screens list them.
    pub const ALL: [VisitReason; 4] = [
        VisitReason::NobodyHome,
        VisitReason::Refused,
        VisitReason::AddressNotFound,
        VisitReason::Other,
    ];

    /// The stable code stored and sent to the server.
    pub fn code(self) -> &'static str {
        match self {
            VisitReason::NobodyHome => "nobody_home",
            VisitReason::Refused => "refused",
            VisitReason::AddressNotFound => "address_not_found",
            VisitReason::Other => "other",
        }
    }

    /// Reads a stable code (`nobody_home`, ...), also accepting dashes (`nobody-home`) from a command line.
    pub fn parse(code: &str) -> Option<VisitReason> {
        let code = code.trim().replace('-', "_");
        VisitReason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The AAPOR in-person disposition this reason maps to.
    ///
    /// A closed door at a residence is a non-contact with an eligible
    /// household, "No one at residence" (2.24). A refusal at the door is
    /// "Refusals" (2.11); which person refused is not recorded, so neither
    /// household-level (2.111) nor known-respondent (2.112) is claimed. An
    /// address that cannot be found is "Unable to locate address" (3.18), of
    /// unknown eligibility. Anything else is "Unknown eligibility, other" (3.90).
    pub fn aapor_code(self) -> &'static str {
        match self {
            VisitReason::NobodyHome => "2.24",
            VisitReason::Refused => "2.11",
            VisitReason::AddressNotFound => "3.18",
            VisitReason::Other => "3.90",
        }
    }

    /// AAPOR's wording for the code, in English as the standard gives it.
    pub fn aapor_label(self) -> &'static str {
        match self {
            VisitReason::NobodyHome => "No one at residence",
            VisitReason::Refused => "Refusals",
            VisitReason::AddressNotFound => "Unable to locate address",
            VisitReason::Other => "Unknown eligibility, other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip_and_map_to_in_person_codes() {
        for r in VisitReason::ALL {
            assert_eq!(VisitReason::parse(r.code()), Some(r));
        }
        assert_eq!(
            VisitReason::parse("nobody-home"),
            Some(VisitReason::NobodyHome)
        );
        assert_eq!(VisitReason::parse("asleep"), None);
        let codes: Vec<_> = VisitReason::ALL.iter().map(|r| r.aapor_code()).collect();
        assert_eq!(codes, ["2.24", "2.11", "3.18", "3.90"]);
    }
}
