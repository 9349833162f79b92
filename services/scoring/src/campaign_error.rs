//! Why a campaign file cannot be used: shared by the campaign and the parts
//! it compiles (calendar, zones), which report their own problems.

/// Why a campaign file cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CampaignError {
    /// The JSON does not have the campaign shape.
    #[error("the campaign is not valid JSON of the expected shape: {0}")]
    Json(String),
    /// The time zone is not an IANA name.
    #[error("unknown time zone {0:?}; use an IANA name such as Europe/Brussels")]
    TimeZone(String),
    /// A field holds a value outside its meaningful range.
    #[error("{field}: {problem}")]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A zone could not be compiled.
    #[error("zones.features[{index}] ({name:?}): {problem}")]
    Zone {
        /// The feature's index in `zones.features`.
        index: usize,
        /// The zone's name, or "zone N" (counting from 1) when it has none.
        name: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl CampaignError {
    /// The path of the field the problem concerns (`thresholds.max_gap_s`,
    /// `zones.features[2]`), or `""` for the whole file.
    pub fn field(&self) -> String {
        match self {
            Self::Json(_) => String::new(),
            Self::TimeZone(_) => "time_zone".into(),
            Self::Invalid { field, .. } => field.clone(),
            Self::Zone { index, .. } => format!("zones.features[{index}]"),
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), problem: problem.into() }
    }
}
